"""Undoing « Absent » (issue 13): the citizen was at the toilets. Within the site's window the
counter that marked a ticket absent puts it back where it was in its line (arrival time and
priority kept); after the window, twice, or from another counter, the undo is refused and
nothing changes. The same site as test_queue_domain.py (conftest.make_site)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import NothingToUndo, UndoExpired, UndoRefused, UnknownCounter
from host_bridge.domain.indicators import compute
from host_bridge.domain.queue import QueueState
from host_bridge.domain.site import Rules
from host_bridge.domain.tickets import TicketStatus
from host_bridge.store.event_codec import event_from_json, event_to_json

PARIS = ZoneInfo("Europe/Paris")


def lines(state):
    """Every service's line and priority line, as labels."""
    return ({s: [t.label for t in q] for s, q in state.waiting.items()},
            {s: [t.label for t in q] for s, q in state.priority_waiting.items()})


def absent_at_1(desk, *later):
    """A001 called at counter 1 then marked absent, with `later` accueil tickets behind it."""
    desk.open(1)
    first = desk.issue("accueil")
    for category in later:
        desk.advance(seconds=20)
        desk.issue("accueil", category)
    assert desk.call(1) is first
    desk.advance(seconds=30)
    desk.run(c.MarkAbsent(1))
    return first


def test_the_default_window_is_a_minute():
    assert Rules().undo_absent_seconds == 60.0


def test_an_undone_absence_puts_the_ticket_back_at_its_place_in_its_line(desk):
    first = absent_at_1(desk, None, None)
    desk.advance(seconds=40)
    assert desk.run(c.UndoAbsent(1)) == [e.TicketAbsenceUndone(first.id, 1, desk.now)]
    assert (first.status, first.counter, first.finished_at) == (TicketStatus.WAITING, None, None)
    assert (first.called_at, first.last_call_at, first.recalls) == (None, None, 0)
    assert [t.label for t in desk.state.waiting["accueil"]] == ["A001", "A002", "A003"]
    assert desk.state.ahead_of(first) == 0
    assert desk.call(1) is first  # the next « Suivant » calls them again


def test_the_line_is_the_same_as_before_the_call(desk):
    desk.open(1)
    for category in (None, "cmi", None, "famille"):
        desk.issue("accueil", category)
        desk.advance(seconds=15)
    before = lines(desk.state)
    called = desk.call(1)
    assert called.category == "cmi"  # priority first
    desk.run(c.MarkAbsent(1))
    desk.run(c.UndoAbsent(1))
    assert lines(desk.state) == before
    assert called.category == "cmi" and desk.state.ahead_of(called) == 0


def test_an_undo_after_the_counter_called_someone_else_still_puts_them_first(desk):
    first = absent_at_1(desk, None, None)
    second = desk.call(1)
    assert second.label == "A002"
    desk.run(c.UndoAbsent(1))
    assert [t.label for t in desk.state.waiting["accueil"]] == ["A001", "A003"]
    assert desk.holding(1) is second  # the citizen at the desk stays there
    assert desk.call(1) is first


def test_an_undone_ticket_holds_its_label_again(desk):
    first = absent_at_1(desk)
    assert first.number not in desk.state.live_numbers.get("A", {})
    desk.run(c.UndoAbsent(1))
    assert desk.state.live_numbers["A"][first.number] == 1
    assert desk.issue("accueil").label == "A002"


@pytest.mark.parametrize("seconds, refused", [(59.9, False), (60, False), (60.1, True)])
def test_the_undo_is_refused_once_the_window_has_passed(desk, snapshot, seconds, refused):
    absent_at_1(desk)
    desk.advance(seconds=seconds)
    if not refused:
        assert len(desk.run(c.UndoAbsent(1))) == 1
        return
    before = snapshot(desk.state)
    with pytest.raises(UndoExpired, match="A001"):
        desk.run(c.UndoAbsent(1))
    assert snapshot(desk.state) == before


def test_the_window_is_the_sites_setting(make_desk, make_site):
    desk = make_desk(make_site(undo_absent_seconds=10.0))
    absent_at_1(desk)
    desk.advance(seconds=11)
    with pytest.raises(UndoExpired, match="10 s"):
        desk.run(c.UndoAbsent(1))


def test_a_second_undo_is_refused(desk, snapshot):
    absent_at_1(desk)
    desk.run(c.UndoAbsent(1))
    before = snapshot(desk.state)
    with pytest.raises(NothingToUndo):
        desk.run(c.UndoAbsent(1))
    assert snapshot(desk.state) == before


def test_an_undo_without_an_absence_is_refused(desk):
    desk.open(1)
    desk.issue("accueil")
    desk.call(1)
    with pytest.raises(NothingToUndo, match="counter 1"):
        desk.run(c.UndoAbsent(1))
    with pytest.raises(UnknownCounter):
        desk.run(c.UndoAbsent(9))


def test_only_the_counter_that_marked_the_absence_can_undo_it(desk):
    absent_at_1(desk)
    desk.open(2)
    with pytest.raises(NothingToUndo, match="counter 2"):
        desk.run(c.UndoAbsent(2))


def test_a_ticket_called_again_elsewhere_after_an_undo_cannot_be_undone_from_the_first(desk):
    first = absent_at_1(desk)
    desk.run(c.UndoAbsent(1))
    desk.open(2)
    assert desk.call(2) is first
    with pytest.raises(NothingToUndo):
        desk.run(c.UndoAbsent(1))


def test_only_the_latest_absence_of_a_counter_can_be_undone(desk):
    first = absent_at_1(desk, None)
    second = desk.call(1)
    desk.run(c.MarkAbsent(1))
    assert desk.run(c.UndoAbsent(1)) == [e.TicketAbsenceUndone(second.id, 1, desk.now)]
    assert first.status is TicketStatus.ABSENT
    with pytest.raises(NothingToUndo):
        desk.run(c.UndoAbsent(1))


def test_the_undo_is_refused_when_its_label_was_given_to_a_new_ticket(desk, snapshot):
    desk.state.max_number = 1  # one number a letter: the next ticket takes the freed A001
    first = absent_at_1(desk)
    newcomer = desk.issue("accueil")
    assert newcomer.label == first.label
    before = snapshot(desk.state)
    with pytest.raises(UndoRefused, match="A001"):
        desk.run(c.UndoAbsent(1))
    assert snapshot(desk.state) == before


def test_a_new_day_leaves_nothing_to_undo(desk):
    absent_at_1(desk)
    desk.advance(minutes=24 * 60)
    desk.start_day()
    desk.open(1)
    with pytest.raises(NothingToUndo):
        desk.run(c.UndoAbsent(1))


def test_an_undone_ticket_leaves_the_hall_calls_until_it_is_called_again(desk):
    first = absent_at_1(desk)
    assert desk.state.calls.latest(8) == [first]
    desk.run(c.UndoAbsent(1))
    assert desk.state.calls.latest(8) == []
    desk.call(1)
    assert desk.state.calls.latest(8) == [first]


def test_the_state_after_an_undo_equals_a_replay_through_the_codec(desk, snapshot):
    absent_at_1(desk, None, None)
    desk.issue("accueil", "cmi")
    desk.run(c.UndoAbsent(1))
    desk.call(1)
    fresh = QueueState(desk.site)
    for ev in desk.history:
        fresh.apply(event_from_json(type(ev).__name__, event_to_json(ev), PARIS))
    assert snapshot(fresh) == snapshot(desk.state)
    assert fresh.live_numbers == desk.state.live_numbers


def test_the_indicators_do_not_count_an_undone_no_show(desk):
    first = absent_at_1(desk)
    desk.advance(seconds=20)
    desk.run(c.UndoAbsent(1))
    desk.advance(minutes=2)
    assert desk.call(1) is first
    desk.advance(minutes=5)
    desk.run(c.Finish(1))
    figures = compute(desk.history, desk.site, PARIS).services["accueil"]
    assert (figures.issued, figures.called, figures.served, figures.absent) == (1, 1, 1, 0)
    assert figures.absent_rate == 0.0
    # the wait runs to the call that reached the citizen; the service time from it
    assert figures.service_mean == 5.0
    assert figures.wait_mean == round((desk.history[-2].at - first.issued_at)
                                      / timedelta(minutes=1), 1)


ARRIVALS = st.lists(st.tuples(st.sampled_from(["accueil", "etat-civil"]),
                              st.sampled_from([None, None, "cmi", "famille"]),
                              st.integers(0, 120)), min_size=1, max_size=12)


# make_desk builds a new desk per call: nothing is shared between the generated examples
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals=ARRIVALS, pause=st.floats(0, 60), counter=st.sampled_from([1, 2]))
def test_absent_then_undo_restores_every_line_as_it_was_before_the_call(
        make_desk, arrivals, pause, counter):
    desk = make_desk()
    desk.open(1, 2)
    for service, category, seconds in arrivals:
        desk.advance(seconds=seconds)
        desk.issue(service, category)
    before = lines(desk.state)
    ahead = {t.id: desk.state.ahead_of(t) for q in desk.state.waiting.values() for t in q}
    called = desk.call(counter)
    desk.advance(seconds=pause)
    desk.run(c.MarkAbsent(counter))
    desk.run(c.UndoAbsent(counter))
    assert called.status is TicketStatus.WAITING
    assert lines(desk.state) == before
    assert {t.id: desk.state.ahead_of(t) for q in desk.state.waiting.values() for t in q} == ahead
