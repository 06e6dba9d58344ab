"""The sweep's rounds, run by hand on the test clock: no-shows (recorded in the queue's history
for the indicators), seen, absent and not back, and outcome reports with a bounded backoff."""
from __future__ import annotations

from datetime import date

import pytest

from host_bridge.appointments import outcomes as outcomes_module
from host_bridge.appointments.model import Appointment, Status
from host_bridge.domain import commands as c

from appointment_support import DAY, at, booked

SOURCE = "api"


def history(bridge, kind):
    return [s.event for s in bridge.service.store.current_day_events()
            if type(s.event).__name__ == kind]


def status(appointments, external_id):
    return appointments.store.get(SOURCE, external_id).status


def serve_next(bridge, clock, finish=True):
    bridge.service.execute(c.OpenCounter(3), "test")
    clock.advance(3)
    bridge.service.execute(c.CallNext(3), "test")
    clock.advance(3)
    bridge.service.execute(c.Finish(3) if finish else c.MarkAbsent(3), "test")


def test_an_appointment_never_checked_in_is_a_no_show_after_its_window(appointments, bridge, clock):
    appointments.store.replace_day(SOURCE, DAY, [booked("early", "09:30", "A1"),
                                                 booked("later", "10:30", "A2")])
    assert appointments.sweep.run_once() == {"seen": 0, "noshow": 1}
    assert (status(appointments, "early"), status(appointments, "later")) == (
        Status.NOSHOW, Status.BOOKED)
    [missed] = history(bridge, "AppointmentMissed")
    assert (missed.service, missed.appointment_at) == ("passeports-cni", at("09:30"))
    clock.advance(50 * 60)  # 10:50: 20 min after 10:30
    assert appointments.sweep.run_once() == {"seen": 0, "noshow": 1}
    assert appointments.sweep.run_once() == {"seen": 0, "noshow": 0}  # once
    assert len(history(bridge, "AppointmentMissed")) == 2


def test_a_served_appointment_is_seen(appointments, bridge, clock):
    appointments.store.replace_day(SOURCE, DAY, [booked("1", "10:00", "A1")])
    appointments.checkin.check_in("A1", "kiosk")
    assert appointments.sweep.run_once() == {"seen": 0, "noshow": 0}
    serve_next(bridge, clock)
    assert appointments.sweep.run_once() == {"seen": 1, "noshow": 0}
    assert status(appointments, "1") is Status.SEEN
    assert history(bridge, "AppointmentMissed") == []


def test_absent_and_not_put_back_is_a_no_show_once_the_windows_are_over(appointments, bridge,
                                                                       clock):
    rules = bridge.service.site.rules  # the example: undo 60 s, « Je suis là » 10 min
    window = max(rules.undo_absent_seconds, rules.comeback_minutes * 60)
    assert window == 600
    appointments.store.replace_day(SOURCE, DAY, [booked("1", "10:00", "A1")])
    appointments.checkin.check_in("A1", "kiosk")
    serve_next(bridge, clock, finish=False)
    clock.advance(window - 1)
    assert appointments.sweep.run_once()["noshow"] == 0  # the citizen may still come back
    clock.advance(2)
    assert appointments.sweep.run_once()["noshow"] == 1
    assert status(appointments, "1") is Status.NOSHOW
    assert history(bridge, "AppointmentMissed") == []  # its TicketAbsent says it already


def test_absent_then_back_and_served_is_seen(appointments, bridge, clock):
    appointments.store.replace_day(SOURCE, DAY, [booked("1", "10:00", "A1")])
    ticket = appointments.checkin.check_in("A1", "kiosk")["ticket"]
    serve_next(bridge, clock, finish=False)
    clock.advance(300)
    bridge.service.execute(c.ComeBack(ticket["id"]), "public")  # « Je suis là »
    clock.advance(600)
    assert appointments.sweep.run_once()["noshow"] == 0
    serve_next(bridge, clock)
    assert appointments.sweep.run_once() == {"seen": 1, "noshow": 0}


def test_a_served_absent_or_given_up_ticket_wakes_the_sweep(appointments):
    sweep = appointments.sweep
    sweep.on_events([{"type": "TicketCalled"}])
    assert not sweep._rounds._wake.is_set()
    sweep.on_events([{"type": "TicketCalled"}, {"type": "TicketServed"}])
    assert sweep._rounds._wake.is_set()


def test_yesterdays_appointments_are_purged(appointments):
    yesterday = date(2026, 11, 25)
    appointments.store.upsert(Appointment(SOURCE, "old", "passeports-cni", at("09:00", yesterday),
                                          code="A0"))
    appointments.sweep.run_once()
    assert appointments.store.get(SOURCE, "old") is None


class Tool:
    """A booking tool's answers in turn: True, False, or an exception to raise."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), []

    def report(self, appointment, status):
        self.calls.append((appointment.external_id, status))
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_outcomes_are_reported_once_and_retried_with_a_backoff(appointments, bridge, clock):
    tool = Tool(False, OSError("booking tool down"), True)
    appointments.outcomes.add(SOURCE, tool)
    appointments.store.replace_day(SOURCE, DAY, [booked("gone", "09:30", "A1")])
    appointments.sweep.run_once()  # no-show, reported: refused
    clock.advance(10)
    appointments.sweep.run_once()  # not due before 30 s
    assert tool.calls == [("gone", Status.NOSHOW)]
    clock.advance(25)
    appointments.sweep.run_once()  # raised: next try 60 s later
    clock.advance(59)
    appointments.sweep.run_once()
    assert len(tool.calls) == 2
    clock.advance(2)
    appointments.sweep.run_once()
    clock.advance(3600)
    appointments.sweep.run_once()
    assert tool.calls == [("gone", Status.NOSHOW)] * 3
    assert appointments.store.get(SOURCE, "gone").reported


def test_a_source_without_a_reporter_is_not_reported(appointments):
    appointments.store.replace_day(SOURCE, DAY, [booked("gone", "09:30", "A1")])
    appointments.sweep.run_once()
    assert appointments.store.outcomes_due(1e12) == []


@pytest.mark.parametrize("tries, wait", [(0, 30), (1, 60), (6, 1920), (7, 3600), (8, 3600),
                                         (9, None)])
def test_the_backoff_is_bounded_and_gives_up(tries, wait):
    assert outcomes_module.retry_after(tries) == wait
