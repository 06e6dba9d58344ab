"""Example-based tests of the queue domain: QueueState.decide / apply.

The site (see conftest.make_site): counter 1 serves accueil (A) then etat-civil (C), counter 2
etat-civil then accueil, counter 3 only passeports (P); categories cmi and famille; rules:
guard 2 s, at most 2 recalls 10 s apart, at most 2 priority calls in a row while an ordinary
ticket has waited 15 min, tickets refused outside opening hours (Mon-Fri 08:30-12:00 and
13:30-17:00, Sat 09:00-12:00). The desk starts on Monday 2025-03-03 at 09:00, day started.
"""
from __future__ import annotations

import copy
import dataclasses as dc
from collections import deque
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import (
    CounterNotOpen, DomainError, DuplicateTicketId, InvalidFeedback, NoCurrentTicket, NoFreeNumber,
    RecallRefused, SameService,
    ServiceNotServed, SiteChangeRefused, SiteClosed, TicketNotWaiting, UnknownCategory, UnknownCounter, UnknownService, UnknownTicket,
)
from host_bridge.domain.estimate import (
    HORIZON, OpenCounter, ServiceTime, estimate_wait, play_forward, service_time,
)
from host_bridge.domain.queue import DayNotStarted
from host_bridge.domain.site import Service
from host_bridge.domain.tickets import CounterStatus, TicketStatus


def labels(tickets):
    return [t.label if t is not None else None for t in tickets]


def waiting_labels(desk, service):
    return [t.label for t in desk.state.waiting[service]]


# ----- numbering ------------------------------------------------------------------------------

def test_the_first_tickets_of_a_service_are_numbered_from_001_with_the_service_letter(desk):
    first, second = desk.issue("accueil"), desk.issue("accueil")
    assert (first.label, first.number) == ("A001", 1)
    assert (second.label, second.number) == ("A002", 2)


def test_each_service_numbers_its_tickets_independently(desk):
    issued = [desk.issue(s) for s in ("accueil", "etat-civil", "accueil", "passeports",
                                      "etat-civil")]
    assert labels(issued) == ["A001", "C001", "A002", "P001", "C002"]


def test_a_priority_ticket_takes_the_next_number_of_its_service(desk):
    issued = [desk.issue("accueil"), desk.issue("accueil", "cmi"), desk.issue("accueil")]
    assert labels(issued) == ["A001", "A002", "A003"]
    assert issued[1].category == "cmi"


def test_the_issued_event_carries_number_label_category_and_time(desk):
    events = desk.run(c.IssueTicket("etat-civil", "abc", "famille"))
    assert events == [e.TicketIssued("abc", "etat-civil", 1, "C001", "famille", desk.now)]


def issue_and_cancel(desk, service, count):
    """`count` tickets that end at once (cancelled): they move the numbering on, holding nothing."""
    for _ in range(count):
        desk.run(c.CancelTicket(desk.issue(service).id))


def live_labels(state):
    return [t.label for t in state.tickets.values() if t.status.live]


def test_numbering_wraps_from_999_back_to_001(desk):
    issue_and_cancel(desk, "accueil", 998)
    assert desk.issue("accueil").label == "A999"
    after_wrap = desk.issue("accueil")
    assert (after_wrap.label, after_wrap.number) == ("A001", 1)
    assert desk.issue("accueil").label == "A002"
    assert desk.issue("etat-civil").label == "C001"  # other services are not affected


def test_after_the_wrap_numbering_skips_the_labels_live_tickets_still_hold(desk):
    # the outside tester's day: 1,615 tickets, a few early ones still waiting or at a counter
    desk.open(3)
    early = [desk.issue("passeports") for _ in range(3)]          # P001 P002 P003
    assert desk.call(3) is early[0]                               # P001 at the counter
    desk.run(c.CancelTicket(early[1].id))                         # P002 free again
    issue_and_cancel(desk, "passeports", 995)                     # up to P998
    kept = [desk.issue("passeports"), desk.issue("passeports")]   # P999, then the wrap
    assert labels(kept) == ["P999", "P002"]  # P001 (called) and P003 (waiting) skipped
    assert desk.issue("passeports").label == "P004"
    issue_and_cancel(desk, "passeports", 1615 - 1003)
    live = live_labels(desk.state)
    assert len(live) == len(set(live)), sorted(live)
    assert sorted(live) == ["P001", "P002", "P003", "P004", "P999"]


def test_a_label_is_free_again_once_its_ticket_is_served_absent_or_cancelled(desk):
    desk.open(3)
    first, second, third = (desk.issue("passeports") for _ in range(3))
    desk.call(3), desk.call(3)                      # P001 served, P002 at the counter
    desk.run(c.MarkAbsent(3))                       # P002 absent
    desk.run(c.CancelTicket(third.id))              # P003 cancelled
    issue_and_cancel(desk, "passeports", 996)       # P004 .. P999
    assert labels(desk.issue("passeports") for _ in range(3)) == ["P001", "P002", "P003"]


def test_a_ticket_transferred_in_keeps_its_letter_and_numbering_skips_it(desk):
    desk.open(2)
    moved = desk.issue("etat-civil")                # C001
    assert desk.call(2) is moved
    desk.run(c.Transfer(2, "accueil"))              # C001 now waits in accueil
    issue_and_cancel(desk, "etat-civil", 998)       # C002 .. C999
    assert desk.issue("etat-civil").label == "C002"
    assert desk.issue("accueil").label == "A001"    # the accueil letter is not C's concern
    live = live_labels(desk.state)
    assert len(live) == len(set(live))


def test_a_ticket_is_refused_when_every_label_of_its_letter_is_live(desk, snapshot):
    for _ in range(999):
        desk.issue("accueil")
    before = snapshot(desk.state)
    with pytest.raises(NoFreeNumber, match="all 999 numbers of letter A") as refused:
        desk.run(c.IssueTicket("accueil", "one-too-many"))
    assert refused.value.code == "no_free_number"
    assert snapshot(desk.state) == before
    assert desk.issue("etat-civil").label == "C001"  # other letters still issue
    a500 = next(t for t in desk.state.tickets.values() if t.label == "A500")
    desk.run(c.CancelTicket(a500.id))
    assert desk.issue("accueil").label == "A500"


def test_a_day_recorded_with_a_label_twice_replays_and_keeps_it_held_until_both_end(
        make_desk, at):
    """Days recorded before labels were kept unique may hold two live P001: they replay as they
    were, and P001 is given again only once neither holds it."""
    desk = make_desk(start=False)
    history = [e.DayStarted(at(9).date(), at(9))]
    history += [e.TicketIssued(f"old-{n}", "passeports", n, f"P{n:03d}", None, at(9, 1))
                for n in range(1, 1000)]
    history += [e.TicketCancelled(f"old-{n}", at(9, 2)) for n in range(2, 1000)]
    history += [e.TicketIssued("dup", "passeports", 1, "P001", None, at(9, 3))]  # the old bug
    for event in history:
        desk.state.apply(event)
    desk.set_time(at(9, 5))
    live = sorted(live_labels(desk.state))
    assert live == ["P001", "P001"]
    assert desk.issue("passeports").label == "P002"
    desk.run(c.CancelTicket("old-1"))
    issue_and_cancel(desk, "passeports", 997)       # P003 .. P999
    assert desk.issue("passeports").label == "P003"  # P001 still held by "dup"
    desk.run(c.CancelTicket("dup"))
    issue_and_cancel(desk, "passeports", 996)       # P004 .. P999
    assert desk.issue("passeports").label == "P001"


# ----- days -----------------------------------------------------------------------------------

def test_commands_before_the_day_is_started_are_refused_with_day_not_started(make_desk):
    desk = make_desk(start=False)
    with pytest.raises(DayNotStarted):
        desk.run(c.IssueTicket("accueil", "x"))
    with pytest.raises(DayNotStarted):
        desk.run(c.OpenCounter(1))


def test_after_midnight_commands_are_refused_until_the_new_day_is_started(desk):
    desk.issue("accueil")
    desk.set_time(desk.now + timedelta(days=1))
    with pytest.raises(DayNotStarted):
        desk.run(c.IssueTicket("accueil", "late"))


def test_starting_the_day_already_started_changes_nothing(desk, snapshot):
    desk.issue("accueil")
    before = snapshot(desk.state)
    assert desk.start_day() == []
    assert snapshot(desk.state) == before


def test_a_new_day_expires_the_waiting_and_called_tickets_left_from_the_day_before(desk):
    desk.open(1, 2)
    served, called, waiting_a, waiting_c = (desk.issue("accueil"), desk.issue("accueil"),
                                            desk.issue("accueil"), desk.issue("etat-civil"))
    cancelled = desk.issue("passeports")
    desk.run(c.CancelTicket(cancelled.id))
    assert desk.call(1) is served
    assert desk.call(1) is called  # serves the first, calls the second
    tomorrow = desk.now + timedelta(days=1)
    desk.set_time(tomorrow)

    events = desk.start_day()

    assert len(events) == 1 and isinstance(events[0], e.DayStarted)
    started = events[0]
    assert (started.day, started.at) == (tomorrow.date(), tomorrow)
    assert sorted(started.expired) == sorted([called.id, waiting_a.id, waiting_c.id])
    assert desk.state.tickets == {}
    assert all(q == [] for q in desk.state.waiting.values())


def test_a_new_day_closes_every_counter_and_clears_what_they_held(desk):
    desk.open(1, 2, 3)
    desk.run(c.PauseCounter(2))
    desk.issue("accueil")
    desk.call(1)
    desk.set_time(desk.now + timedelta(days=1))
    desk.start_day()
    for number in (1, 2, 3):
        counter = desk.state.counters[number]
        assert (counter.status, counter.ticket_id, counter.last_next_at) == \
            (CounterStatus.CLOSED, None, None)
    with pytest.raises(CounterNotOpen):
        desk.run(c.CallNext(1))


def test_a_new_day_starts_numbering_again_at_001(desk):
    for service in ("accueil", "accueil", "etat-civil"):
        desk.issue(service)
    desk.set_time(desk.now + timedelta(days=1))
    desk.start_day()
    assert desk.issue("accueil").label == "A001"
    assert desk.issue("etat-civil").label == "C001"


def test_a_new_day_forgets_the_priority_run_of_the_day_before(desk):
    desk.open(1)
    desk.issue("accueil")                      # ordinary, will starve
    for _ in range(3):
        desk.issue("accueil", "cmi")
    desk.call(1), desk.call(1)                 # two priority calls in a row
    desk.set_time(desk.now + timedelta(days=1))
    desk.start_day()
    desk.open(1)
    ordinary = desk.issue("accueil")
    prio = desk.issue("accueil", "cmi")
    desk.advance(minutes=30)                   # the ordinary ticket is starving
    assert desk.call(1) is prio                # but no priority run today yet
    assert ordinary.status is TicketStatus.WAITING


# ----- call next: order -----------------------------------------------------------------------

def test_call_next_takes_the_counters_first_service_before_its_second(desk):
    desk.open(1, 2)
    civil = desk.issue("etat-civil")           # arrived first, but in counter 1's second service
    accueil = desk.issue("accueil")
    assert desk.call(1) is accueil
    assert desk.call(2) is civil


def test_each_counter_follows_its_own_order_of_services(desk):
    desk.open(1, 2)
    accueil = [desk.issue("accueil") for _ in range(2)]
    civil = [desk.issue("etat-civil") for _ in range(2)]
    # counter 2 serves etat-civil first, although the accueil tickets arrived earlier
    assert desk.call(2) is civil[0]
    assert desk.call(1) is accueil[0]
    assert desk.call(2) is civil[1]
    assert desk.call(2) is accueil[1]          # its first service is empty: its second one


def test_call_next_falls_back_to_the_counters_next_service_when_the_first_is_empty(desk):
    desk.open(1)
    civil = desk.issue("etat-civil")
    assert desk.call(1) is civil


def test_call_next_calls_the_tickets_of_a_service_in_arrival_order(desk):
    desk.open(1)
    issued = []
    for _ in range(4):
        issued.append(desk.issue("accueil"))
        desk.advance(seconds=30)
    called = [desk.call(1) for _ in range(4)]
    assert called == issued


def test_a_counter_never_calls_a_ticket_of_a_service_it_does_not_serve(desk):
    desk.open(3)
    desk.issue("accueil")
    desk.issue("etat-civil")
    assert desk.run(c.CallNext(3)) == []
    assert desk.holding(3) is None
    assert waiting_labels(desk, "accueil") == ["A001"]


def test_call_next_with_nobody_waiting_calls_nobody(desk):
    desk.open(1)
    assert desk.run(c.CallNext(1)) == []
    assert desk.holding(1) is None


def test_call_next_finishes_the_current_ticket_then_calls_the_next(desk):
    desk.open(1)
    first, second = desk.issue("accueil"), desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=5)
    events = desk.run(c.CallNext(1))
    assert events == [e.TicketServed(first.id, 1, desk.now), e.TicketCalled(second.id, 1, desk.now)]
    assert first.status is TicketStatus.SERVED and first.finished_at == desk.now
    assert (second.status, second.counter, second.called_at) == (TicketStatus.CALLED, 1, desk.now)
    assert desk.holding(1) is second
    assert desk.state.waiting["accueil"] == []


def test_call_next_with_nobody_left_finishes_the_current_ticket_and_frees_the_counter(desk):
    desk.open(1)
    only = desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=3)
    assert desk.run(c.CallNext(1)) == [e.TicketServed(only.id, 1, desk.now)]
    assert desk.holding(1) is None and only.status is TicketStatus.SERVED


def test_two_counters_never_get_the_same_ticket(desk):
    desk.open(1, 2)
    first, second = desk.issue("accueil"), desk.issue("accueil")
    assert desk.call(1) is first
    assert desk.call(2) is second
    assert desk.call(2) is None


# ----- priority -------------------------------------------------------------------------------

def test_a_priority_ticket_is_called_before_earlier_ordinary_tickets_of_its_service(desk):
    desk.open(1)
    ordinary = desk.issue("accueil")
    prio = desk.issue("accueil", "famille")
    assert desk.call(1) is prio
    assert desk.call(1) is ordinary


def test_priority_tickets_are_called_among_themselves_in_arrival_order_whatever_the_category(desk):
    desk.open(1)
    desk.issue("accueil")
    first = desk.issue("accueil", "famille")
    second = desk.issue("accueil", "cmi")
    assert desk.call(1) is first
    assert desk.call(1) is second


def test_priority_does_not_jump_ahead_of_the_counters_first_service(desk):
    desk.open(1)
    prio_civil = desk.issue("etat-civil", "cmi")
    ordinary_accueil = desk.issue("accueil")
    assert desk.call(1) is ordinary_accueil
    assert desk.call(1) is prio_civil


def _starving_setup(desk, waited_minutes):
    """One ordinary accueil ticket at 09:00, four priority ones at 09:01; calls start later."""
    desk.open(1)
    ordinary = desk.issue("accueil")
    desk.advance(minutes=1)
    prios = [desk.issue("accueil", "cmi") for _ in range(4)]
    desk.set_time(ordinary.issued_at + timedelta(minutes=waited_minutes))
    return ordinary, prios


def test_after_max_priority_calls_in_a_row_an_ordinary_ticket_that_waited_long_is_called(desk):
    ordinary, prios = _starving_setup(desk, waited_minutes=20)
    called = [desk.call(1) for _ in range(4)]
    assert called == [prios[0], prios[1], ordinary, prios[2]]


def test_before_the_starvation_wait_priority_keeps_going_past_the_in_row_bound(desk):
    ordinary, prios = _starving_setup(desk, waited_minutes=5)
    called = [desk.call(1) for _ in range(4)]
    assert called == prios
    assert ordinary.status is TicketStatus.WAITING


def test_the_starvation_wait_counts_exactly_from_the_ordinary_tickets_arrival(desk):
    ordinary, prios = _starving_setup(desk, waited_minutes=5)
    desk.call(1), desk.call(1)                                     # two priority calls in a row
    desk.set_time(ordinary.issued_at + timedelta(minutes=15, seconds=-0.001))
    assert desk.call(1, past_guard=False) is prios[2]              # just before 15 min: priority
    desk.run(c.Finish(1))                                          # run of 3 priority calls
    desk.set_time(ordinary.issued_at + timedelta(minutes=15))
    assert desk.call(1, past_guard=False) is ordinary              # exactly 15 min: ordinary


def test_an_ordinary_call_restarts_the_priority_run(desk):
    ordinary, prios = _starving_setup(desk, waited_minutes=20)
    late_ordinary = desk.issue("accueil")
    desk.advance(minutes=20)                                       # it starves too
    called = [desk.call(1) for _ in range(6)]
    assert called == [prios[0], prios[1], ordinary, prios[2], prios[3], late_ordinary]


def test_with_only_priority_tickets_waiting_they_are_all_called(desk):
    desk.open(1)
    prios = [desk.issue("accueil", "cmi") for _ in range(3)]
    desk.advance(minutes=30)
    assert [desk.call(1) for _ in range(3)] == prios


# ----- guard time -----------------------------------------------------------------------------

def test_a_second_suivant_within_the_guard_time_answers_the_current_ticket(desk, snapshot):
    desk.open(1)
    first = desk.issue("accueil")
    desk.issue("accueil")
    desk.run(c.CallNext(1))
    desk.advance(seconds=1.9)
    before = snapshot(desk.state)
    assert desk.run(c.CallNext(1)) == []
    assert snapshot(desk.state) == before
    assert desk.holding(1) is first and first.status is TicketStatus.CALLED
    assert waiting_labels(desk, "accueil") == ["A002"]


def test_a_suivant_once_the_guard_time_has_passed_moves_to_the_next_ticket(desk):
    desk.open(1)
    first, second = desk.issue("accueil"), desk.issue("accueil")
    desk.run(c.CallNext(1))
    desk.advance(seconds=2.0)
    assert desk.run(c.CallNext(1)) == [e.TicketServed(first.id, 1, desk.now),
                                       e.TicketCalled(second.id, 1, desk.now)]


def test_the_guard_time_does_not_delay_a_suivant_after_the_agent_finished(desk):
    desk.open(1)
    first, second = desk.issue("accueil"), desk.issue("accueil")
    desk.run(c.CallNext(1))
    desk.advance(seconds=0.5)
    desk.run(c.Finish(1))
    desk.advance(seconds=0.5)
    assert desk.call(1, past_guard=False) is second
    assert first.status is TicketStatus.SERVED


# ----- recall ---------------------------------------------------------------------------------

def test_a_recall_counts_the_recall_and_renews_the_call_time(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    called_at = desk.now
    desk.advance(seconds=10)
    assert desk.run(c.Recall(1)) == [e.TicketRecalled(ticket.id, 1, 1, desk.now)]
    assert (ticket.recalls, ticket.last_call_at, ticket.called_at) == (1, desk.now, called_at)
    assert desk.holding(1) is ticket


def test_a_recall_sooner_than_the_minimum_delay_is_refused_with_the_remaining_wait(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    desk.advance(seconds=4)
    with pytest.raises(RecallRefused) as refused:
        desk.run(c.Recall(1))
    assert refused.value.message == "A001 was called 4 s ago: recall possible in 6 s"
    assert ticket.recalls == 0


def test_the_minimum_recall_delay_counts_from_the_last_recall_not_the_first_call(desk):
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    desk.advance(seconds=12)
    desk.run(c.Recall(1))
    desk.advance(seconds=7)
    with pytest.raises(RecallRefused, match="called 7 s ago: recall possible in 3 s"):
        desk.run(c.Recall(1))
    desk.advance(seconds=3)
    assert len(desk.run(c.Recall(1))) == 1


def test_recalls_beyond_the_maximum_are_refused_and_point_to_marking_absent(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    for _ in range(2):
        desk.advance(seconds=10)
        desk.run(c.Recall(1))
    desk.advance(seconds=60)
    with pytest.raises(RecallRefused) as refused:
        desk.run(c.Recall(1))
    assert "A001" in refused.value.message
    assert "already recalled 2 times" in refused.value.message
    assert "absent" in refused.value.message
    assert ticket.recalls == 2


def test_a_recall_with_nobody_at_the_counter_is_refused(desk):
    desk.open(1)
    with pytest.raises(NoCurrentTicket):
        desk.run(c.Recall(1))


def test_the_next_ticket_starts_with_no_recalls(desk):
    desk.open(1)
    desk.issue("accueil")
    second = desk.issue("accueil")
    desk.call(1)
    desk.advance(seconds=10)
    desk.run(c.Recall(1))
    desk.call(1)
    assert second.recalls == 0
    desk.advance(seconds=10)
    assert desk.run(c.Recall(1)) == [e.TicketRecalled(second.id, 1, 1, desk.now)]


# ----- absent, finish -------------------------------------------------------------------------

def test_marking_absent_ends_the_ticket_as_absent_and_frees_the_counter(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    desk.advance(seconds=30)
    assert desk.run(c.MarkAbsent(1)) == [e.TicketAbsent(ticket.id, 1, desk.now)]
    assert (ticket.status, ticket.finished_at) == (TicketStatus.ABSENT, desk.now)
    assert desk.holding(1) is None
    # waiting for a no-show took the counter's time: the estimates count it
    assert list(desk.state.recent_minutes["accueil"]) == [0.5]


def test_finish_ends_the_ticket_as_served_frees_the_counter_and_records_the_service_time(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=6)
    assert desk.run(c.Finish(1)) == [e.TicketServed(ticket.id, 1, desk.now)]
    assert (ticket.status, ticket.finished_at) == (TicketStatus.SERVED, desk.now)
    assert desk.holding(1) is None
    assert list(desk.state.recent_minutes["accueil"]) == [6.0]


@pytest.mark.parametrize("command", [c.MarkAbsent(1), c.Finish(1), c.Transfer(1, "etat-civil")],
                         ids=["absent", "finish", "transfer"])
def test_ticket_commands_with_nobody_at_the_counter_are_refused(desk, command):
    desk.open(1)
    desk.issue("accueil")
    with pytest.raises(NoCurrentTicket):
        desk.run(command)


# ----- transfer -------------------------------------------------------------------------------

def test_a_transferred_ticket_keeps_its_arrival_time_and_goes_ahead_of_later_tickets(desk):
    desk.open(1, 2)
    moved = desk.issue("accueil")
    arrived = moved.issued_at
    desk.advance(minutes=5)
    later_civil = desk.issue("etat-civil")
    desk.call(1)
    desk.advance(minutes=5)
    events = desk.run(c.Transfer(1, "etat-civil"))
    assert events == [e.TicketTransferred(moved.id, 1, "accueil", "etat-civil", desk.now)]
    assert (moved.service, moved.status, moved.counter, moved.issued_at) == \
        ("etat-civil", TicketStatus.WAITING, None, arrived)
    assert moved.label == "A001" and moved.transfers == 1
    assert desk.holding(1) is None
    assert waiting_labels(desk, "etat-civil") == ["A001", "C001"]
    assert desk.call(2) is moved
    assert desk.call(2) is later_civil


def test_a_transferred_ticket_waits_behind_earlier_tickets_of_the_target_service(desk):
    desk.open(1)
    earlier_civil = desk.issue("etat-civil")
    desk.advance(minutes=1)
    moved = desk.issue("accueil")
    desk.call(1)
    desk.run(c.Transfer(1, "etat-civil"))
    assert waiting_labels(desk, "etat-civil") == [earlier_civil.label, moved.label]


def test_a_transferred_ticket_starts_again_with_no_recalls(desk):
    desk.open(1, 2)
    moved = desk.issue("accueil")
    desk.call(1)
    desk.advance(seconds=10)
    desk.run(c.Recall(1))
    desk.run(c.Transfer(1, "etat-civil"))
    assert (moved.recalls, moved.called_at, moved.last_call_at) == (0, None, None)


def test_a_transferred_priority_ticket_stays_a_priority_ticket(desk):
    desk.open(1, 2)
    moved = desk.issue("accueil", "cmi")
    desk.advance(minutes=1)
    desk.issue("etat-civil")
    desk.call(1)
    desk.run(c.Transfer(1, "etat-civil"))
    assert moved.category == "cmi"
    assert desk.state.ahead_of(moved) == 0


def test_a_transfer_to_the_same_service_is_refused_with_its_own_code(desk, snapshot):
    """Issue 13: it was refused as service_not_served, which the console put as « Aucun
    guichet ne traite ce service » for a service counter 1 itself serves."""
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    before = snapshot(desk.state)
    with pytest.raises(SameService, match="A001") as refused:
        desk.run(c.Transfer(1, "accueil"))
    assert refused.value.code == "same_service"
    assert not isinstance(refused.value, ServiceNotServed)
    assert snapshot(desk.state) == before


def test_a_transfer_to_an_unknown_service_is_refused(desk):
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    with pytest.raises(UnknownService, match="urbanisme"):
        desk.run(c.Transfer(1, "urbanisme"))


def test_a_transfer_to_a_service_no_counter_serves_is_refused(make_desk, make_site):
    site = make_site(extra_services=(Service("archives", "R", "Archives"),))
    desk = make_desk(site)
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    with pytest.raises(ServiceNotServed, match="archives"):
        desk.run(c.Transfer(1, "archives"))


def test_a_transfer_without_a_target_goes_to_the_counters_other_service(desk):
    desk.open(1)
    moved = desk.issue("accueil")
    desk.call(1)
    events = desk.run(c.Transfer(1, None))  # the terminal's « Transfert » key
    assert events == [e.TicketTransferred(moved.id, 1, "accueil", "etat-civil", desk.now)]


def test_a_transfer_without_a_target_at_a_one_service_counter_is_refused(desk, snapshot):
    desk.open(3)
    desk.issue("passeports")
    desk.call(3)
    before = snapshot(desk.state)
    with pytest.raises(ServiceNotServed, match="no other service"):
        desk.run(c.Transfer(3, None))
    assert snapshot(desk.state) == before


# ----- counters: open, pause, close -----------------------------------------------------------

def test_a_counter_starts_the_day_closed_and_call_next_is_refused_with_counter_not_open(desk):
    desk.issue("accueil")
    assert desk.state.counters[1].status is CounterStatus.CLOSED
    with pytest.raises(CounterNotOpen) as refused:
        desk.run(c.CallNext(1))
    assert refused.value.code == "counter_closed"


@pytest.mark.parametrize("command", [c.CallNext(2), c.Recall(2), c.MarkAbsent(2), c.Finish(2),
                                     c.Transfer(2, "accueil"), c.PauseCounter(2)],
                         ids=lambda cmd: type(cmd).__name__)
def test_counter_commands_on_a_closed_counter_are_refused_with_counter_not_open(desk, command):
    desk.open(2)
    desk.issue("etat-civil")
    desk.call(2)
    desk.run(c.CloseCounter(2))
    with pytest.raises(CounterNotOpen):
        desk.run(command)


def test_opening_a_counter_opens_it_and_opening_it_again_does_nothing(desk):
    assert desk.run(c.OpenCounter(1)) == [e.CounterOpened(1, desk.now)]
    assert desk.state.counters[1].status is CounterStatus.OPEN
    assert desk.run(c.OpenCounter(1)) == []


def test_pausing_a_counter_finishes_its_current_ticket(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=2)
    assert desk.run(c.PauseCounter(1)) == [e.TicketServed(ticket.id, 1, desk.now),
                                           e.CounterPaused(1, desk.now)]
    assert ticket.status is TicketStatus.SERVED
    assert desk.state.counters[1].status is CounterStatus.PAUSED
    assert desk.holding(1) is None
    assert desk.run(c.PauseCounter(1)) == []


def test_call_next_on_a_paused_counter_reopens_it_and_calls(desk):
    desk.open(1)
    desk.issue("accueil")
    nxt = desk.issue("accueil")
    desk.call(1)
    desk.run(c.PauseCounter(1))
    desk.advance(seconds=0.5)  # even within the guard time: nobody is at the desk
    assert desk.run(c.CallNext(1)) == [e.CounterOpened(1, desk.now),
                                       e.TicketCalled(nxt.id, 1, desk.now)]
    assert desk.state.counters[1].status is CounterStatus.OPEN
    assert desk.holding(1) is nxt


def test_call_next_on_a_paused_counter_reopens_it_even_with_nobody_waiting(desk):
    desk.open(1)
    desk.run(c.PauseCounter(1))
    assert desk.run(c.CallNext(1)) == [e.CounterOpened(1, desk.now)]
    assert desk.state.counters[1].status is CounterStatus.OPEN


def test_opening_a_paused_counter_reopens_it(desk):
    desk.open(1)
    desk.run(c.PauseCounter(1))
    assert desk.run(c.OpenCounter(1)) == [e.CounterOpened(1, desk.now)]


def test_closing_a_counter_finishes_its_current_ticket_and_closes_it(desk):
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.call(1)
    assert desk.run(c.CloseCounter(1)) == [e.TicketServed(ticket.id, 1, desk.now),
                                           e.CounterClosed(1, desk.now)]
    assert ticket.status is TicketStatus.SERVED
    assert (desk.state.counters[1].status, desk.holding(1)) == (CounterStatus.CLOSED, None)
    assert desk.run(c.CloseCounter(1)) == []


def test_a_counter_reopened_after_closing_has_no_guard_time_left(desk):
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    desk.run(c.CloseCounter(1))
    second = desk.issue("accueil")
    desk.open(1)
    assert desk.call(1, past_guard=False) is second


# ----- unknown things, duplicates -------------------------------------------------------------

@pytest.mark.parametrize("command", [c.CallNext(9), c.Recall(9), c.MarkAbsent(9), c.Finish(9),
                                     c.Transfer(9, "accueil"), c.OpenCounter(9),
                                     c.PauseCounter(9), c.CloseCounter(9)],
                         ids=lambda cmd: type(cmd).__name__)
def test_every_counter_command_naming_an_unknown_counter_is_refused(desk, command):
    with pytest.raises(UnknownCounter, match="9"):
        desk.run(command)


def test_a_ticket_for_an_unknown_service_is_refused(desk):
    with pytest.raises(UnknownService, match="urbanisme"):
        desk.run(c.IssueTicket("urbanisme", "x"))
    assert desk.state.tickets == {}


def test_a_ticket_with_an_unknown_priority_category_is_refused(desk):
    with pytest.raises(UnknownCategory, match="senior"):
        desk.run(c.IssueTicket("accueil", "x", "senior"))
    assert desk.state.tickets == {}


def test_a_ticket_id_already_used_today_is_refused(desk):
    desk.run(c.IssueTicket("accueil", "same"))
    with pytest.raises(DuplicateTicketId):
        desk.run(c.IssueTicket("etat-civil", "same"))
    assert desk.state.last_number["etat-civil"] == 0


def test_cancelling_an_unknown_ticket_is_refused(desk):
    with pytest.raises(UnknownTicket):
        desk.run(c.CancelTicket("nope"))


def test_refusals_carry_the_stable_codes_the_edges_map(desk):
    codes = {}
    for command in (c.IssueTicket("nope", "x"), c.IssueTicket("accueil", "x", "nope"),
                    c.CallNext(9), c.CancelTicket("nope"), c.CallNext(1)):
        with pytest.raises(DomainError) as refused:
            desk.run(command)
        codes[type(command).__name__ + repr(command)] = refused.value.code
    assert sorted(codes.values()) == sorted(["unknown_service", "unknown_category",
                                             "unknown_counter", "unknown_ticket",
                                             "counter_closed"])


# ----- cancel ---------------------------------------------------------------------------------

def test_a_waiting_ticket_can_be_cancelled_and_leaves_the_queue(desk):
    first, second = desk.issue("accueil"), desk.issue("accueil")
    assert desk.state.ahead_of(second) == 1
    desk.advance(minutes=1)
    assert desk.run(c.CancelTicket(first.id)) == [e.TicketCancelled(first.id, desk.now)]
    assert (first.status, first.finished_at) == (TicketStatus.CANCELLED, desk.now)
    assert waiting_labels(desk, "accueil") == ["A002"]
    assert desk.state.ahead_of(second) == 0


def test_a_cancelled_ticket_is_never_called(desk):
    desk.open(1)
    first, second = desk.issue("accueil"), desk.issue("accueil")
    desk.run(c.CancelTicket(first.id))
    assert desk.call(1) is second


@pytest.mark.parametrize("end", ["called", "served", "absent", "cancelled"])
def test_only_a_waiting_ticket_can_be_cancelled(desk, end, snapshot):
    desk.open(1)
    ticket = desk.issue("accueil")
    if end == "cancelled":
        desk.run(c.CancelTicket(ticket.id))
    else:
        desk.call(1)
        if end == "served":
            desk.run(c.Finish(1))
        elif end == "absent":
            desk.run(c.MarkAbsent(1))
    before = snapshot(desk.state)
    with pytest.raises(TicketNotWaiting, match=f"A001 is {end}"):
        desk.run(c.CancelTicket(ticket.id))
    assert snapshot(desk.state) == before


# ----- decide never changes state -------------------------------------------------------------

def _busy_desk(make_desk):
    """Counter 1 serving A001 (called 60 s ago, recallable), counter 2 paused, counter 3 closed,
    tickets waiting in two services, some history of service times."""
    desk = make_desk()
    desk.open(1, 2)
    for service, category in (("accueil", None), ("accueil", None), ("accueil", "cmi"),
                              ("etat-civil", None), ("accueil", None)):
        desk.issue(service, category)
    for _ in range(3):
        desk.call(1)
        desk.advance(minutes=3)
    desk.run(c.PauseCounter(2))
    desk.advance(seconds=60)
    return desk


_PURITY_COMMANDS = [
    c.IssueTicket("accueil", "fresh"), c.IssueTicket("accueil", "fresh", "cmi"),
    c.IssueTicket("nowhere", "fresh"), c.IssueTicket("accueil", "fresh", "nobody"),
    c.IssueTicket("accueil", "tk-1"),
    c.CancelTicket("tk-4"), c.CancelTicket("tk-1"), c.CancelTicket("missing"),
    c.CallNext(1), c.CallNext(2), c.CallNext(3), c.CallNext(9),
    c.Recall(1), c.Recall(2), c.MarkAbsent(1), c.Finish(1), c.Finish(3),
    c.Transfer(1, "etat-civil"), c.Transfer(1, "accueil"), c.Transfer(1, "nowhere"),
    c.OpenCounter(1), c.OpenCounter(2), c.OpenCounter(3),
    c.PauseCounter(1), c.PauseCounter(2), c.PauseCounter(3),
    c.CloseCounter(1), c.CloseCounter(2), c.CloseCounter(3),
    c.StartDay(None),  # stands for "the next day": the date is filled in by the test
]


@pytest.mark.parametrize("command", _PURITY_COMMANDS, ids=repr)
def test_decide_never_changes_the_state_whether_it_accepts_or_refuses(make_desk, snapshot,
                                                                      command):
    desk = _busy_desk(make_desk)
    if isinstance(command, c.StartDay):
        command = c.StartDay(desk.now.date() + timedelta(days=1))
    state = desk.state
    before, deep = snapshot(state), copy.deepcopy(state.__dict__)
    try:
        events = state.decide(command, desk.now)
    except DomainError as refused:
        outcome = type(refused)
    else:
        outcome = events
        assert state.decide(command, desk.now) == events  # and it is repeatable
    assert snapshot(state) == before, f"decide({command}) -> {outcome} changed the state"
    assert state.__dict__.keys() == deep.keys()
    for name, value in deep.items():
        if name != "site":
            assert _plain(getattr(state, name)) == _plain(value), name


def _plain(value):
    """Compare containers of Tickets/CounterStates by their fields, deques as lists."""
    if dc.is_dataclass(value):
        return dc.asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, deque, tuple)):
        return [_plain(v) for v in value]
    return value


def test_decide_is_pure_across_a_whole_scripted_day(make_desk, snapshot):
    """Every decide in a busy script leaves the state as it found it; only apply changes it."""
    desk = make_desk()
    script = [c.OpenCounter(1), c.OpenCounter(2), c.IssueTicket("accueil", "a"),
              c.IssueTicket("accueil", "b", "cmi"), c.IssueTicket("etat-civil", "c"),
              c.CallNext(1), c.CallNext(1), c.Recall(1), c.CallNext(2), c.Transfer(2, "accueil"),
              c.CallNext(2), c.PauseCounter(1), c.CallNext(1), c.CancelTicket("a"),
              c.MarkAbsent(2), c.CloseCounter(1), c.CloseCounter(2)]
    accepted = 0
    for command in script:
        desk.advance(seconds=11)
        before = snapshot(desk.state)
        try:
            events = desk.state.decide(command, desk.now)
        except DomainError:
            events = None
        assert snapshot(desk.state) == before, command
        if events is not None:
            accepted += 1
            for event in events:
                desk.state.apply(event)
    assert accepted >= len(script) - 2  # the script is mostly valid: it exercised real paths


# ----- opening hours --------------------------------------------------------------------------

@pytest.mark.parametrize("hour, minute", [(8, 29), (12, 0), (12, 30), (17, 0), (20, 0)])
def test_a_ticket_outside_opening_hours_is_refused_when_the_site_refuses_them(make_desk, at,
                                                                              hour, minute):
    desk = make_desk(now=at(hour, minute))
    with pytest.raises(SiteClosed) as refused:
        desk.run(c.IssueTicket("accueil", "x"))
    assert "Mairie de Test is closed" in refused.value.message
    assert desk.state.tickets == {}


@pytest.mark.parametrize("hour, minute", [(8, 30), (11, 59), (13, 30), (16, 59)])
def test_a_ticket_within_opening_hours_is_issued(make_desk, at, hour, minute):
    desk = make_desk(now=at(hour, minute))
    assert desk.issue("accueil").label == "A001"


def test_a_ticket_on_a_day_without_opening_hours_is_refused(make_desk, at):
    sunday = at(10, 0).date() + timedelta(days=6)
    assert sunday.weekday() == 6
    desk = make_desk(now=at(10, 0, day=sunday))
    with pytest.raises(SiteClosed):
        desk.run(c.IssueTicket("accueil", "x"))


def test_saturday_has_its_own_opening_hours(make_desk, at):
    saturday = at(10, 0).date() + timedelta(days=5)
    desk = make_desk(now=at(9, 0, day=saturday))
    assert desk.issue("accueil").label == "A001"
    desk.set_time(at(13, 30, day=saturday))  # a weekday afternoon range, not Saturday's
    with pytest.raises(SiteClosed):
        desk.run(c.IssueTicket("accueil", "y"))


def test_outside_hours_tickets_are_issued_when_the_rule_is_off(make_desk, make_site, at):
    desk = make_desk(make_site(refuse_outside_hours=False), now=at(20, 0))
    assert desk.issue("accueil").label == "A001"


def test_counters_keep_working_after_closing_time(make_desk, at):
    desk = make_desk(now=at(11, 50))
    desk.open(1)
    ticket = desk.issue("accueil")
    desk.set_time(at(12, 30))
    assert desk.call(1) is ticket


# ----- people ahead and estimate --------------------------------------------------------------

def test_people_ahead_of_an_ordinary_ticket_counts_earlier_ordinary_and_every_priority_ticket(desk):
    o1 = desk.issue("accueil")
    desk.issue("accueil", "cmi")
    o2 = desk.issue("accueil")
    desk.issue("accueil", "famille")  # arrives after o2 but will be called before it
    desk.issue("etat-civil")          # another service: not ahead
    assert desk.state.ahead_of(o1) == 2
    assert desk.state.ahead_of(o2) == 3


def test_people_ahead_of_a_priority_ticket_counts_only_earlier_priority_tickets(desk):
    desk.issue("accueil")
    p1 = desk.issue("accueil", "cmi")
    desk.issue("accueil")
    p2 = desk.issue("accueil", "famille")
    assert desk.state.ahead_of(p1) == 0
    assert desk.state.ahead_of(p2) == 1


def test_people_ahead_shrinks_as_tickets_are_called(desk):
    desk.open(1)
    tickets = [desk.issue("accueil") for _ in range(3)]
    assert desk.state.ahead_of(tickets[2]) == 2
    desk.call(1)
    assert desk.state.ahead_of(tickets[2]) == 1


def test_there_is_no_estimate_when_no_counter_serving_the_service_is_open(desk):
    desk.issue("accueil")
    assert desk.state.estimate("accueil", 0) is None
    desk.open(3)  # serves passeports only
    assert desk.state.estimate("accueil", 0) is None
    desk.open(1)
    desk.run(c.PauseCounter(1))  # a paused counter is not serving
    assert desk.state.estimate("accueil", 0) is None
    desk.open(2)
    assert desk.state.estimate("accueil", 0) is not None


def test_there_is_no_estimate_for_an_unknown_service(desk):
    desk.open(1)
    assert desk.state.estimate("nowhere", 0) is None


def test_the_estimate_uses_the_default_service_time_until_there_are_three_samples(desk):
    desk.open(1)
    # accueil: default 4 min (spread 2); counter 1 idle takes the 2 ahead, then ours at 8 min;
    # ± 2 x sqrt(2 x 2²)
    est = desk.state.estimate("accueil", 2)
    assert (est.low_minutes, est.high_minutes, est.counters_open) == (2, 14, 1)
    desk.open(2)  # two idle counters take one each: ours at 4 min, ± 2 x sqrt(2 x 2²) / 2
    est = desk.state.estimate("accueil", 2)
    assert (est.low_minutes, est.high_minutes, est.counters_open) == (1, 7, 2)


def test_a_counter_takes_its_first_service_first_and_the_estimate_knows_it(desk):
    desk.open(1)  # accueil first, then etat-civil
    for _ in range(2):
        desk.issue("accueil")
    est = desk.state.estimate("etat-civil", 0)  # the two accueil go first: 8 min
    assert (est.low_minutes, est.high_minutes) == (2, 14)
    desk.run(c.CloseCounter(1))
    desk.open(2)  # etat-civil first: nobody before ours
    est = desk.state.estimate("etat-civil", 0)
    assert (est.low_minutes, est.high_minutes) == (0, 1)


def test_a_busy_counter_counts_what_is_left_of_its_citizens_time(desk):
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=1)
    desk.state.observe(desk.now)  # as the service layer does before a read
    est = desk.state.estimate("accueil", 0)  # 3 of the 4 min left: ours then
    assert (est.low_minutes, est.high_minutes) == (0, 6)
    desk.advance(minutes=10)  # long past the mean: a quarter of it is still expected
    desk.state.observe(desk.now)
    est = desk.state.estimate("accueil", 0)
    assert (est.low_minutes, est.high_minutes) == (0, 2)  # 1 min left, ± the minimum


def _serve(desk, minutes, absent=False):
    desk.issue("accueil")
    desk.call(1)
    desk.advance(minutes=minutes)
    desk.run(c.MarkAbsent(1) if absent else c.Finish(1))


def test_the_estimate_switches_to_recent_service_times_after_three_samples(desk):
    desk.open(1)
    _serve(desk, 6)
    _serve(desk, 6)
    est = desk.state.estimate("accueil", 2)
    assert (est.low_minutes, est.high_minutes) == (2, 14)  # two samples: still the default
    _serve(desk, 6)
    est = desk.state.estimate("accueil", 2)  # 6, 6, 6 min: 12 min, ± the 1 min minimum
    assert (est.low_minutes, est.high_minutes) == (11, 13)


def test_a_no_show_counts_as_counter_time_in_the_estimate(desk):
    desk.open(1)
    for minutes, absent in ((6, False), (6, True), (6, False)):
        _serve(desk, minutes, absent)
    est = desk.state.estimate("accueil", 2)
    assert (est.low_minutes, est.high_minutes) == (11, 13)


def test_service_times_of_one_service_do_not_change_another_services_estimate(desk):
    desk.open(1)
    for _ in range(3):
        _serve(desk, 30)
    est = desk.state.estimate("etat-civil", 1)  # default 10 min, spread 5: 10 ± 10
    # from 1, not 0: never « entre 0 et … » with someone ahead (issue 18)
    assert (est.low_minutes, est.high_minutes) == (1, 20)


def test_a_new_day_forgets_the_service_times_of_the_day_before(desk):
    desk.open(1)
    for _ in range(3):
        _serve(desk, 30)
    desk.set_time(desk.now + timedelta(days=1))
    desk.start_day()
    desk.open(1)
    est = desk.state.estimate("accueil", 2)
    assert (est.low_minutes, est.high_minutes) == (2, 14)


def test_service_time_is_the_default_with_half_its_spread_until_three_samples():
    assert service_time([], 8.0) == ServiceTime(8.0, 4.0)
    assert service_time([1.0, 100.0], 8.0) == ServiceTime(8.0, 4.0)
    assert service_time([2.0, 4.0, 6.0], 8.0) == ServiceTime(4.0, pytest.approx(1.633, abs=1e-3))


SERVICES = ("a", "b", "c")
_counters = st.lists(st.builds(
    OpenCounter,
    st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True).map(tuple),
    st.sampled_from((None,) + SERVICES), st.floats(0.0, 60.0)), min_size=1, max_size=8)
_waiting = st.fixed_dictionaries({s: st.integers(0, 40) for s in SERVICES})
_times = st.fixed_dictionaries({s: st.builds(ServiceTime, st.floats(0.1, 60.0),
                                             st.floats(0.0, 30.0)) for s in SERVICES})
_arrivals = st.fixed_dictionaries({s: st.floats(0.0, 2.0) for s in SERVICES})


@given(ahead=st.integers(0, 60), counters=_counters, waiting=_waiting, times=_times)
def test_an_estimate_is_a_range_and_exists_when_a_counter_serves_the_service(
        ahead, counters, waiting, times):
    est = estimate_wait("a", ahead, counters, waiting, times)
    serving = sum(1 for k in counters if "a" in k.services)
    if serving == 0:
        assert est is None
    else:
        assert est is not None and est.counters_open == serving
        assert 0 <= est.low_minutes < est.high_minutes


@given(ahead=st.integers(0, 60), counters=_counters, waiting=_waiting, times=_times,
       arrivals=_arrivals)
def test_one_more_person_ahead_never_brings_the_call_or_the_high_end_sooner(
        ahead, counters, waiting, times, arrivals):
    fewer = play_forward("a", ahead, counters, waiting, times, arrivals)
    more = play_forward("a", ahead + 1, counters, waiting, times, arrivals)
    if fewer is None:
        assert more is None
        return
    assert more is not None and more[0] >= fewer[0] and more[1] >= fewer[1]
    assert estimate_wait("a", ahead + 1, counters, waiting, times, arrivals).high_minutes >= \
        estimate_wait("a", ahead, counters, waiting, times, arrivals).high_minutes


@given(ahead=st.integers(0, 30), n=st.integers(1, 6), mean=st.floats(0.5, 30.0))
def test_identical_idle_counters_share_the_people_ahead(ahead, n, mean):
    assume((ahead // n) * mean <= HORIZON)  # played to the end: exact
    counters = [OpenCounter(("a",))] * n
    middle, _ = play_forward("a", ahead, counters, {}, {"a": ServiceTime(mean, 0.0)})
    assert middle == pytest.approx((ahead // n) * mean)


def test_citizens_of_a_counters_first_service_still_arriving_go_before_ours(desk):
    desk.open(1)  # accueil first, then etat-civil
    for _ in range(6):  # accueil: one every 10 min lately
        desk.issue("accueil")
        desk.advance(minutes=10)
        desk.run(c.CallNext(1))
    desk.run(c.Finish(1))
    counter = [OpenCounter(("accueil", "etat-civil"), busy_with="accueil")]  # free in 4 min
    times = {"accueil": ServiceTime(4.0, 0.0), "etat-civil": ServiceTime(10.0, 0.0)}
    assert play_forward("etat-civil", 0, counter, {}, times) == (4.0, 0.0)
    one_in_8 = play_forward("etat-civil", 0, counter, {}, times, {"accueil": 1 / 8})
    assert one_in_8 == (8.0, 0.0)  # the one who came meanwhile goes first
    swamped = play_forward("etat-civil", 0, counter, {}, times, {"accueil": 0.5})
    assert swamped is not None and swamped[0] > 12 * 60  # never ours: "more than a day"
    est = desk.state.estimate("etat-civil", 0)  # 1 every 10 min, 4 min each: ours soon
    assert est is not None and est.low_minutes == 0 and est.high_minutes <= 14


@given(ahead=st.integers(0, 5000), n=st.integers(1, 6), mean=st.floats(0.5, 30.0))
def test_a_long_line_is_extrapolated_within_one_service_time(ahead, n, mean):
    counters = [OpenCounter(("a",))] * n
    middle, _ = play_forward("a", ahead, counters, {}, {"a": ServiceTime(mean, 0.0)})
    assert middle == pytest.approx((ahead // n) * mean, abs=mean)


def test_no_counter_open_gives_no_estimate():
    assert estimate_wait("a", 3, [], {}, {"a": ServiceTime(5.0, 1.0)}) is None
    assert estimate_wait("a", 3, [OpenCounter(("b",))], {}, {"a": ServiceTime(5.0, 1.0),
                                                             "b": ServiceTime(5.0, 1.0)}) is None


# ----- the terminal's pause key, feedback votes -----------------------------------------------

def test_pause_key_pauses_an_open_counter_finishing_its_ticket(desk):
    desk.open(1)
    served = desk.issue("accueil")
    desk.call(1)
    events = desk.run(c.PauseOrResume(1))
    assert events == [e.TicketServed(served.id, 1, desk.now), e.CounterPaused(1, desk.now)]
    assert desk.state.counters[1].status is CounterStatus.PAUSED


@pytest.mark.parametrize("first", ["closed", "paused"])
def test_pause_key_opens_a_paused_or_closed_counter(desk, first):
    if first == "paused":
        desk.open(1)
        desk.run(c.PauseCounter(1))
    assert desk.run(c.PauseOrResume(1)) == [e.CounterOpened(1, desk.now)]
    assert desk.state.counters[1].status is CounterStatus.OPEN


def test_feedback_is_recorded_and_changes_no_queue_state(desk, snapshot):
    before = snapshot(desk.state)
    assert desk.run(c.GiveFeedback(4, 1, "A001")) == [e.FeedbackGiven(4, 1, "A001", desk.now)]
    assert snapshot(desk.state) == before


@pytest.mark.parametrize("score", [0, 5, -1, True])
def test_a_feedback_score_outside_1_to_4_is_refused(desk, score):
    with pytest.raises(InvalidFeedback):
        desk.run(c.GiveFeedback(score))


def test_feedback_about_an_unknown_counter_is_refused(desk):
    with pytest.raises(UnknownCounter):
        desk.run(c.GiveFeedback(3, 99))


PARIS = ZoneInfo("Europe/Paris")


def test_times_are_measured_in_real_minutes_across_a_dst_change(make_desk, make_site):
    desk = make_desk(make_site(refuse_outside_hours=False), start=False)
    spring = datetime(2026, 3, 29, 1, 50, tzinfo=PARIS)  # at 02:00 the clocks go to 03:00
    desk.set_time(spring)
    desk.start_day()
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    desk.set_time(datetime(2026, 3, 29, 3, 5, tzinfo=PARIS))  # 15 real minutes later, not 75
    desk.run(c.Finish(1))
    assert list(desk.state.recent_minutes["accueil"]) == [pytest.approx(15.0, abs=0.1)]


# ----- the site changed while the queue runs (administration) ----------------------------------

def test_a_new_service_and_counter_work_at_once(desk, make_site):
    import dataclasses
    from host_bridge.domain.site import Counter, Service
    site = desk.site
    new = dataclasses.replace(site, services=site.services + (Service("cantine", "K", "Cantine"),),
                              counters=site.counters + (Counter(9, "Guichet 9", ("cantine",)),))
    desk.state.change_site(new)
    desk.site = new
    desk.open(9)
    ticket = desk.issue("cantine")
    assert ticket.label == "K001" and desk.call(9) is ticket
    assert desk.state.estimate("cantine", 0) is not None


def test_a_service_with_tickets_today_cannot_be_removed(desk, snapshot):
    import dataclasses
    desk.issue("passeports")
    before = snapshot(desk.state)
    site = desk.site
    new = dataclasses.replace(site, services=site.services[:2],
                              counters=tuple(k for k in site.counters if k.number != 3))
    with pytest.raises(SiteChangeRefused, match="passeports"):
        desk.state.change_site(new)
    assert snapshot(desk.state) == before and desk.state.site is site


def test_a_counter_used_today_cannot_be_removed_but_an_unused_one_can(desk):
    import dataclasses
    desk.open(2)
    desk.run(c.CloseCounter(2))
    site = desk.site
    without_2 = dataclasses.replace(site, counters=tuple(k for k in site.counters if k.number != 2))
    with pytest.raises(SiteChangeRefused, match="counter 2"):
        desk.state.change_site(without_2)
    without_3 = dataclasses.replace(site, counters=tuple(k for k in site.counters if k.number != 3),
                                    services=site.services[:2])
    desk.state.change_site(without_3)
    assert 3 not in desk.state.counters


def test_the_site_id_and_time_zone_change_only_with_a_restart(desk):
    import dataclasses
    with pytest.raises(SiteChangeRefused):
        desk.state.change_site(dataclasses.replace(desk.site, timezone="Europe/London"))
    with pytest.raises(SiteChangeRefused):
        desk.state.change_site(dataclasses.replace(desk.site, id="autre"))
