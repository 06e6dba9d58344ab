"""Appointments merged with walk-ins (issue 15), « RETARD » and « Je suis là », in the domain.

The site of conftest.make_site: counter 3 serves only « passeports » (callable 5 min before
the appointment's time by default); priority bound: 2 in a row while a walk-in has waited 15
min."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import ComeBackRefused, DelayRefused, InvalidAppointment
from host_bridge.domain.queue import QueueState
from host_bridge.domain.site import AppointmentRules
from host_bridge.domain.tickets import TicketStatus

from host_bridge.domain.site import Site


def at(*hour_minute_second):
    return AT(*hour_minute_second)


AT = None  # conftest's `at`, set by the autouse fixture below (conftest is not importable)


@pytest.fixture(autouse=True)
def _clock(at):  # noqa: F811 - the fixture of that name
    global AT
    AT = at


def book(desk, service: str, hour: int, minute: int = 0, category=None):
    ticket_id = desk.new_id()
    desk.run(c.IssueTicket(service, ticket_id, category, appointment_at=at(hour, minute)))
    return desk.state.tickets[ticket_id]


@pytest.fixture
def hall(make_desk, make_site):
    desk = make_desk(make_site(comeback_minutes=10, comeback_after=2, delay_minutes=5))
    desk.open(3)
    return desk


def test_an_early_appointment_waits_until_a_little_before_its_time_walk_ins_go_meanwhile(hall):
    hall.set_time(at(9, 0))
    early = book(hall, "passeports", 9, 30)
    walk_in = hall.issue("passeports")
    assert hall.call(3) is walk_in  # 09:00: the appointment is not due before 09:25
    hall.set_time(at(9, 24, 50))
    later = hall.issue("passeports")
    assert hall.call(3) is later
    hall.set_time(at(9, 25))
    other = hall.issue("passeports")
    assert hall.call(3) is early  # due: ahead of the walk-in who arrived before it was due
    assert hall.call(3) is other


def test_due_appointments_go_in_appointment_time_order_not_check_in_order(hall):
    hall.set_time(at(9, 0))
    ten_fifteen = book(hall, "passeports", 10, 15)
    ten = book(hall, "passeports", 10, 0)
    hall.set_time(at(10, 20))
    assert [hall.call(3), hall.call(3)] == [ten, ten_fifteen]


def test_a_walk_in_who_waited_past_the_bound_goes_after_two_appointments_in_a_row(hall):
    hall.set_time(at(9, 0))
    walk_in = hall.issue("passeports")
    booked = [book(hall, "passeports", 9, 15 + i) for i in range(4)]
    hall.set_time(at(9, 20))  # the walk-in has waited 20 min: past the 15-min bound
    assert [hall.call(3), hall.call(3)] == booked[:2]  # priority_max_in_row = 2
    assert hall.call(3) is walk_in
    assert hall.call(3) is booked[2]


def test_a_priority_walk_in_still_goes_after_the_due_appointments(hall):
    hall.set_time(at(10, 0))
    prio = hall.issue("passeports", "cmi")
    booked = book(hall, "passeports", 10, 0)
    assert hall.call(3) is booked
    assert hall.call(3) is prio


def test_an_appointment_ticket_with_a_category_waits_in_the_appointment_line(hall):
    hall.set_time(at(9, 0))
    walk_in = hall.issue("passeports", "cmi")
    booked = book(hall, "passeports", 9, 30, category="cmi")
    assert hall.call(3) is walk_in
    assert hall.state.priority_waiting["passeports"] == []
    assert hall.state.appointment_waiting["passeports"] == [booked]


def test_a_counter_with_only_early_appointments_in_its_first_service_serves_its_next(make_desk):
    desk = make_desk()
    desk.open(1)
    desk.set_time(at(9, 0))
    ticket_id = desk.new_id()
    desk.run(c.IssueTicket("accueil", ticket_id, appointment_at=at(11, 0)))
    civil = desk.issue("etat-civil")
    assert desk.call(1) is civil  # accueil has only a not-yet-due appointment


def test_people_ahead_count_due_appointments_for_walk_ins_and_earlier_ones_for_appointments(hall):
    hall.set_time(at(9, 0))
    first = hall.issue("passeports")
    due = book(hall, "passeports", 9, 2)
    later = book(hall, "passeports", 11, 0)
    second = hall.issue("passeports")
    hall.state.observe(hall.now)
    assert hall.state.ahead_of(due) == 0
    assert hall.state.ahead_of(later) == 1
    assert hall.state.ahead_of(first) == 1  # the 09:02 appointment is due (09:00 + 5 min)
    assert hall.state.ahead_of(second) == 2


def test_an_appointment_ticket_is_for_today_with_a_zone(hall):
    with pytest.raises(InvalidAppointment):
        hall.run(c.IssueTicket("passeports", "x", appointment_at=at(10, 0).replace(tzinfo=None)))
    with pytest.raises(InvalidAppointment):
        hall.run(c.IssueTicket("passeports", "y", appointment_at=at(10, 0) + timedelta(days=1)))
    assert "x" not in hall.state.tickets and "y" not in hall.state.tickets


def test_a_missed_appointment_is_recorded_without_touching_the_queue(hall, snapshot):
    before = snapshot(hall.state)
    events = hall.run(c.MissAppointment("passeports", at(9, 0)))
    assert events == [e.AppointmentMissed("passeports", at(9, 0), hall.now)]
    assert snapshot(hall.state) == before


# ----- « RETARD » ---------------------------------------------------------------------------
def test_a_delayed_ticket_keeps_its_place_but_is_not_called_until_its_time(hall):
    first, second = hall.issue("passeports"), hall.issue("passeports")
    hall.run(c.DelayTicket(first.id))
    assert first.held_until == hall.now + timedelta(minutes=5)
    assert hall.call(3) is second
    third = hall.issue("passeports")
    hall.advance(minutes=5)
    assert hall.call(3) is first  # its place kept: before the third
    assert hall.call(3) is third


def test_delay_is_once_only_for_a_waiting_ticket_and_only_where_offered(hall, make_desk,
                                                                      snapshot):
    ticket = hall.issue("passeports")
    hall.run(c.DelayTicket(ticket.id))
    before = snapshot(hall.state)
    with pytest.raises(DelayRefused, match="already"):
        hall.run(c.DelayTicket(ticket.id))
    assert snapshot(hall.state) == before
    plain = make_desk()
    other = plain.issue("accueil")
    with pytest.raises(DelayRefused, match="does not"):
        plain.run(c.DelayTicket(other.id))


# ----- « Je suis là » -----------------------------------------------------------------------
def test_an_absent_citizen_comes_back_behind_the_next_two(hall):
    gone = hall.issue("passeports")
    others = [hall.issue("passeports") for _ in range(3)]
    assert hall.call(3) is gone
    hall.run(c.MarkAbsent(3))
    hall.advance(minutes=2)
    hall.run(c.ComeBack(gone.id))
    assert gone.status is TicketStatus.WAITING
    assert [hall.call(3) for _ in range(4)] == [others[0], others[1], gone, others[2]]


def test_coming_back_is_once_within_the_window_and_refused_where_not_offered(hall, make_desk):
    gone = hall.issue("passeports")
    hall.call(3)
    hall.run(c.MarkAbsent(3))
    hall.advance(minutes=11)
    with pytest.raises(ComeBackRefused, match="within 10 min"):
        hall.run(c.ComeBack(gone.id))
    plain = make_desk()
    plain.open(1)
    ticket = plain.issue("accueil")
    with pytest.raises(ComeBackRefused, match="not absent|does not"):
        plain.run(c.ComeBack(ticket.id))


def test_coming_back_twice_is_refused(hall):
    gone = hall.issue("passeports")
    hall.call(3)
    hall.run(c.MarkAbsent(3))
    hall.run(c.ComeBack(gone.id))
    assert hall.call(3) is gone
    hall.run(c.MarkAbsent(3))
    with pytest.raises(ComeBackRefused, match="already"):
        hall.run(c.ComeBack(gone.id))


def test_two_put_back_at_the_same_place_both_wait_and_both_are_called(hall):
    a, b = hall.issue("passeports"), hall.issue("passeports")
    for _ in (a, b):
        hall.call(3)
        hall.run(c.MarkAbsent(3))
    hall.run(c.ComeBack(a.id))  # the line is empty: both go in front, one after the other
    hall.run(c.ComeBack(b.id))
    assert {hall.call(3), hall.call(3)} == {a, b}
    assert hall.state.waiting["passeports"] == []


def test_an_appointment_ticket_that_comes_back_waits_as_a_walk_in(hall):
    hall.set_time(at(9, 0))
    booked = book(hall, "passeports", 9, 0)
    walk_ins = [hall.issue("passeports") for _ in range(3)]
    assert hall.call(3) is booked
    hall.run(c.MarkAbsent(3))
    hall.run(c.ComeBack(booked.id))
    assert not booked.by_appointment and booked.appointment_at == at(9, 0)
    assert [hall.call(3) for _ in range(4)] == [walk_ins[0], walk_ins[1], booked, walk_ins[2]]


# ----- the merge rule against random days -----------------------------------------------------
step = st.one_of(
    st.tuples(st.just("walk_in"), st.sampled_from([None, "cmi"])),
    st.tuples(st.just("book"), st.integers(0, 120)),  # minutes after 09:00
    st.tuples(st.just("call"), st.just(None)),
    st.tuples(st.just("wait"), st.integers(1, 12)),
    st.tuples(st.just("delay"), st.integers(0, 30)),
    st.tuples(st.just("absent"), st.just(None)),
    st.tuples(st.just("comeback"), st.integers(0, 30)),
)


@hsettings(max_examples=150, deadline=None,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, max_size=60), before=st.sampled_from([0, 5, 10]))
def test_appointments_and_walk_ins_interleaved_keep_the_rule(make_desk, make_site, steps, before):
    site = make_site(delay_minutes=3, comeback_minutes=5, comeback_after=2)
    services = tuple(dataclasses.replace(s, appointments=AppointmentRules(
        callable_before_minutes=before)) if s.id == "passeports" else s for s in site.services)
    site: Site = dataclasses.replace(site, services=services)
    desk = make_desk(site, at(9, 0))
    desk.open(3)
    rules, issued = desk.site.rules, []
    in_row = 0
    for kind, arg in steps:
        if kind == "walk_in":
            issued.append(desk.issue("passeports", arg))
        elif kind == "book":
            issued.append(book(desk, "passeports", 9 + arg // 60, arg % 60))
        elif kind == "wait":
            desk.advance(minutes=arg)
        elif kind == "delay" and issued:
            ticket = issued[arg % len(issued)]
            if ticket.status is TicketStatus.WAITING and not ticket.delayed:
                desk.run(c.DelayTicket(ticket.id))
        elif kind == "absent" and desk.holding(3) is not None:
            desk.run(c.MarkAbsent(3))
        elif kind == "comeback" and issued:
            ticket = issued[arg % len(issued)]
            try:
                desk.run(c.ComeBack(ticket.id))
            except ComeBackRefused:
                label_taken = any(t.status.live and t.label == ticket.label for t in issued)
                assert ticket.status is not TicketStatus.ABSENT or ticket.came_back \
                    or desk.now - ticket.finished_at > timedelta(minutes=5) or label_taken
                continue
            assert ticket.status is TicketStatus.WAITING and not ticket.by_appointment
        elif kind == "call":
            now = desk.advance(seconds=rules.guard_seconds)
            waiting = [t for t in issued if t.status is TicketStatus.WAITING
                       and not (t.held_until and t.held_until > now)]
            due = [t for t in waiting if t.by_appointment
                   and t.appointment_at - timedelta(minutes=before) <= now]
            walk_ins = [t for t in waiting if not t.by_appointment]
            called = desk.call(3, past_guard=False)
            if called is None:
                assert not due and not walk_ins
                continue
            assert called.status is TicketStatus.CALLED and called in waiting
            if called.by_appointment:
                assert called in due  # never before its time
                assert called is min(due, key=lambda t: t.appointment_key)
            elif due:
                # a walk-in ahead of a due appointment only at the starvation bound
                assert in_row >= rules.priority_max_in_row
                assert now - called.issued_at >= timedelta(
                    minutes=rules.priority_starvation_minutes)
            in_row = in_row + 1 if (called.by_appointment or called.category) else 0
    assert len({t.id for t in issued}) == len(issued)
    replay = QueueState(desk.site)
    for event in desk.history:
        replay.apply(event)
    for sid, line in desk.state.waiting.items():
        assert [t.id for t in replay.waiting[sid]] == [t.id for t in line]
        assert [t.id for t in replay.appointment_waiting[sid]] == \
            [t.id for t in desk.state.appointment_waiting[sid]]
    assert {t.id: t.status for t in replay.tickets.values()} == \
        {t.id: t.status for t in desk.state.tickets.values()}
    # people ahead: the binary searches agree with a walk down the line
    state = desk.state
    state.observe(desk.now)
    line = state.waiting["passeports"]
    due_by = desk.now + timedelta(minutes=before)
    due = sum(1 for t in state.appointment_waiting["passeports"] if t.appointment_at <= due_by)
    priority = [t for t in line if t.category is not None and not t.by_appointment]
    for i, t in enumerate(line):
        if t.by_appointment:
            expected = sum(1 for u in line if u.by_appointment and u.appointment_key <
                           t.appointment_key)
        elif t.category is not None:
            expected = sum(1 for u in priority if u.arrival_key < t.arrival_key) + due
        else:
            expected = sum(1 for u in line[:i] if not u.by_appointment and u.category is None) \
                + len(priority) + due
        assert state.ahead_of(t) == expected, (t.label, i)


def test_a_service_says_how_many_appointments_wait_and_names_the_next_in_time_order(hall):
    from host_bridge.service.views import service_view
    hall.set_time(at(9, 0))
    hall.issue("passeports")
    late = book(hall, "passeports", 11, 0)
    soon = book(hall, "passeports", 9, 15)
    view = service_view(hall.state, "passeports")
    assert (view["waiting"], view["appointments_waiting"]) == (3, 2)
    assert [a["label"] for a in view["next_appointments"]] == [soon.label, late.label]
    assert view["next_appointments"][0]["appointment_at"] == at(9, 15).isoformat()
