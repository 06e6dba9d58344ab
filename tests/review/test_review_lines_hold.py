"""Review of issue 15, a regression guard (it passes): appointments, « RETARD » and « Je suis
là » mixed with everything else a day holds — several counters sharing services, transfers,
undone absences, cancellations — keep the lines whole (each waiting ticket once, in order, in
the right lines), keep the starvation bound for ordinary walk-ins, and replay to the same lines.
The module's own property test covers one counter and no transfer or undo."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import DomainError
from host_bridge.domain.queue import QueueState
from host_bridge.domain.site import (
    AppointmentRules, Counter, OpeningHours, PriorityCategory, Rules, Service, Site,
)
from host_bridge.domain.tickets import TicketStatus

PARIS = ZoneInfo("Europe/Paris")
START = datetime.combine(date(2025, 3, 3), time(9, 0), tzinfo=PARIS)
SERVICES = ("accueil", "etat-civil", "passeports")


def site(before: float, comeback_after: int) -> Site:
    rules = Rules(guard_seconds=2.0, max_recalls=2, recall_min_delay_seconds=10.0,
                  priority_max_in_row=2, priority_starvation_minutes=15.0,
                  refuse_outside_hours=False, undo_absent_seconds=60.0, comeback_minutes=5.0,
                  comeback_after=comeback_after, delay_minutes=3.0)
    appointments = AppointmentRules(callable_before_minutes=before)
    return Site(
        id="review", name="Review", timezone="Europe/Paris",
        services=tuple(Service(sid, sid[0].upper(), sid, appointments=appointments)
                       for sid in SERVICES),
        counters=(Counter(1, "Guichet 1", ("accueil", "etat-civil")),
                  Counter(2, "Guichet 2", ("etat-civil", "accueil")),
                  Counter(3, "Guichet 3", ("passeports",))),
        categories=(PriorityCategory("cmi", "CMI"),), rules=rules,
        hours=OpeningHours({d: ((time(0, 0), time(23, 59)),) for d in range(7)}))


_issue = st.tuples(st.just("issue"), st.tuples(st.sampled_from(SERVICES), st.booleans(),
                                              st.one_of(st.none(), st.integers(0, 30))))
_call = st.tuples(st.just("call"), st.integers(1, 3))
_wait = st.tuples(st.just("wait"), st.sampled_from([1, 30, 120, 300, 600]))
# weighted towards what makes lines long and waits long: the bound is then put to the test
step = st.one_of(
    _issue, _issue, _issue, _call, _call, _call, _wait, _wait,
    st.tuples(st.just("absent"), st.integers(1, 3)),
    st.tuples(st.just("undo"), st.integers(1, 3)),
    st.tuples(st.just("finish"), st.integers(1, 3)),
    st.tuples(st.just("transfer"), st.integers(1, 2)),
    st.tuples(st.just("comeback"), st.integers(0, 50)),
    st.tuples(st.just("delay"), st.integers(0, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
)


def check_lines(state: QueueState) -> None:
    for sid, line in state.waiting.items():
        assert [t.arrival_key for t in line] == sorted(t.arrival_key for t in line)
        ids = [t.id for t in line]
        assert len(ids) == len(set(ids))
        assert set(ids) == {t.id for t in state.tickets.values()
                            if t.status is TicketStatus.WAITING and t.service == sid}
        booked = state.appointment_waiting[sid]
        assert [t.appointment_key for t in booked] == sorted(t.appointment_key for t in booked)
        assert {t.id for t in booked} == {t.id for t in line if t.by_appointment}
        assert {t.id for t in state.priority_waiting[sid]} == \
            {t.id for t in line if t.category and not t.by_appointment}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=30, max_size=120), before=st.sampled_from([0, 5]),
       comeback_after=st.integers(0, 3))
def test_lines_stay_whole_the_bound_holds_and_the_day_replays(steps, before, comeback_after):
    the_site = site(before, comeback_after)
    state, now, history, issued = QueueState(the_site), START, [], []

    def run(command):
        events = state.decide(command, now)
        for event in events:
            state.apply(event)
            history.append(event)
        return events

    run(c.StartDay(now.date()))
    for n in (1, 2, 3):
        run(c.OpenCounter(n))
    rules = the_site.rules
    for kind, arg in steps:
        pick = (lambda i: issued[i % len(issued)]) if issued else None
        try:
            if kind == "issue":
                service, priority, minutes = arg
                ticket_id = f"t{len(issued)}"
                appointment = START + timedelta(minutes=minutes) if minutes is not None else None
                run(c.IssueTicket(service, ticket_id, "cmi" if priority else None,
                                  appointment_at=appointment))
                issued.append(ticket_id)
            elif kind == "call":
                now += timedelta(seconds=rules.guard_seconds)
                in_row = dict(state.priority_in_row)
                called = [ev for ev in run(c.CallNext(arg)) if isinstance(ev, e.TicketCalled)]
                ticket = state.tickets[called[0].ticket_id] if called else None
                if ticket is not None and (ticket.category or ticket.by_appointment):
                    starving = [t for t in state.waiting[ticket.service]
                                if t.category is None and not t.by_appointment
                                and not (t.held_until and t.held_until > now)
                                and now - t.issued_at >= timedelta(
                                    minutes=rules.priority_starvation_minutes)]
                    assert not (starving and in_row.get(ticket.service, 0)
                                >= rules.priority_max_in_row), "a walk-in starved"
            elif kind == "absent":
                run(c.MarkAbsent(arg))
            elif kind == "undo":
                run(c.UndoAbsent(arg))
            elif kind == "finish":
                run(c.Finish(arg))
            elif kind == "transfer":
                run(c.Transfer(arg, None))
            elif kind == "comeback" and pick:
                run(c.ComeBack(pick(arg)))
            elif kind == "delay" and pick:
                run(c.DelayTicket(pick(arg)))
            elif kind == "cancel" and pick:
                run(c.CancelTicket(pick(arg)))
            elif kind == "wait":
                now += timedelta(seconds=arg)
        except DomainError:
            pass
        check_lines(state)
    replay = QueueState(the_site)
    for event in history:
        replay.apply(event)
    for sid in SERVICES:
        assert [t.id for t in replay.waiting[sid]] == [t.id for t in state.waiting[sid]]
        assert [t.id for t in replay.appointment_waiting[sid]] == \
            [t.id for t in state.appointment_waiting[sid]]
