"""Check-in against the real queue (QueueService on SQLite, the example town hall at 10:00):
which key finds which appointment, what ticket it gets when, and never two for one."""
from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from host_bridge.appointments import checkin as ck
from host_bridge.appointments.checkin import Decision, decide
from host_bridge.appointments.model import Status
from host_bridge.appointments.runtime import build as build_runtime
from host_bridge.bootstrap import build
from host_bridge.domain.site import AppointmentRules
from host_bridge.service.clock import ManualClock
from host_bridge.site_config import load
from support import EXAMPLE

from appointment_support import DAY, at, booked

SOURCE = "api"


def today(appointments):
    appointments.store.replace_day(SOURCE, DAY, [
        booked("1", "10:30", "P7K2QX", ants="AB12CD34EF", initials="DJ"),
        booked("2", "09:42", "H4M9TR", initials="MP"),
        booked("3", "09:00", "C8W3NZ"),
        booked("4", "11:00", "R2D6KP", initials="DJ", service="etat-civil"),
        booked("5", "11:00", "T9F4XB", initials="DJ")])
    return appointments.checkin


@pytest.fixture
def desk(appointments):
    return today(appointments)


@pytest.fixture(scope="module")
def finder(tmp_path_factory):
    """Today's list on one bridge for the module's look-ups, which change nothing."""
    folder = tmp_path_factory.mktemp("finder")
    base = load(EXAMPLE)
    settings = dataclasses.replace(base, db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"))
    bridge = build(settings, ManualClock(at("10:00")))
    appointments = build_runtime(settings, bridge.service)
    yield today(appointments)
    appointments.stop()
    bridge.close()


def tickets_of(bridge):
    return bridge.service.read(lambda s: [t for t in s.tickets.values()])


@pytest.mark.parametrize("key", [
    "P7K2QX", "p7k-2qx", " p 7 k 2 q x ",          # the booking code, any case and spacing
    "AB12CD34EF", "ab12 cd34 ef",                  # the ANTS pre-demande number
    "https://ants.gouv.fr/x?n=AB12CD34EF&v=1",     # a QR code's text holding it
    "PREDEMANDE;AB12CD34EF;DURAND",
    "QB&éCD\"'EF",                                 # typed by a US-layout scanner on AZERTY
    "DJ 10:30", "dj10h30",                         # initials and time
])
def test_every_kind_of_key_finds_the_appointment(finder, key):
    assert finder.find(key).external_id == "1"


def test_an_on_time_check_in_issues_an_appointment_ticket(desk, bridge):
    answer = desk.check_in("P7K2QX", "kiosk")
    ticket = answer["ticket"]
    assert ticket["service"] == "passeports-cni" and ticket["label"] == "P001"
    assert ticket["appointment_at"] == at("10:30").isoformat()
    assert answer["appointment"] == {"service": "passeports-cni", "at": at("10:30").isoformat(),
                                     "time": "10:30", "initials": "DJ", "code": "P7K2QX",
                                     "status": "checked_in"}
    assert not answer["again"]
    stored = desk.store.get(SOURCE, "1")
    assert (stored.status, stored.ticket_id) == (Status.CHECKED_IN, ticket["id"])


def test_a_second_check_in_answers_the_same_ticket(desk, bridge):
    first = desk.check_in("P7K2QX", "kiosk")["ticket"]
    again = desk.check_in("AB12CD34EF", "reception")
    assert again["again"] and again["ticket"]["id"] == first["id"]
    assert len(tickets_of(bridge)) == 1


def test_late_within_the_window_is_still_an_appointment_later_a_walk_in(desk):
    # 10:00: 2 was at 09:42 (18 min late: over 15, under the 20 of a no-show): a walk-in
    ticket = desk.check_in("H4M9TR", "kiosk")["ticket"]
    assert ticket["appointment_at"] is None
    assert desk.store.get(SOURCE, "2").status is Status.LATE_WALK_IN


def test_a_site_that_refuses_late_arrivals_sends_them_to_reception(settings, clock):
    site = settings.site
    services = tuple(dataclasses.replace(s, appointments=AppointmentRules(late="refuse",
                                                                          no_show_minutes=45))
                     if s.id == "passeports-cni" else s for s in site.services)
    settings = dataclasses.replace(settings, site=dataclasses.replace(site, services=services))
    bridge = build(settings, clock)
    runtime = build_runtime(settings, bridge.service)
    try:
        runtime.store.replace_day(SOURCE, DAY, [booked("2", "09:30", "H4M9TR")])
        with pytest.raises(ck.AppointmentTooLate, match="30 min after .* see reception"):
            runtime.checkin.check_in("H4M9TR", "kiosk")
        assert tickets_of(bridge) == []
        assert runtime.store.get(SOURCE, "2").status is Status.BOOKED
    finally:
        runtime.stop()
        bridge.close()


@pytest.mark.parametrize("status, refusal", [
    (Status.CANCELLED, ck.AppointmentCancelled), (Status.NOSHOW, ck.AppointmentMissed),
    (Status.SEEN, ck.AppointmentDone)])
def test_an_ended_appointment_is_refused_and_issues_nothing(desk, bridge, status, refusal):
    desk.store.mark(desk.store.get(SOURCE, "1"), status)
    with pytest.raises(refusal):
        desk.check_in("P7K2QX", "kiosk")
    assert tickets_of(bridge) == []


@pytest.mark.parametrize("key", ["ZZZZZZ", "DJ 10:45", "AB12CD34EX", "", "   "])
def test_an_unknown_key_is_refused(finder, key):
    with pytest.raises(ck.UnknownAppointment):
        finder.check_in(key, "kiosk")


def test_initials_and_time_of_two_appointments_are_ambiguous_unless_the_service_is_given(finder):
    with pytest.raises(ck.AmbiguousKey):
        finder.find("DJ 11:00")
    assert finder.find("DJ 11:00", service="etat-civil").external_id == "4"


def test_another_days_appointment_is_not_found(desk, clock):
    clock.advance(24 * 3600)
    with pytest.raises(ck.UnknownAppointment):
        desk.check_in("P7K2QX", "kiosk")


def test_a_given_up_ticket_is_replaced_at_the_next_check_in(desk, bridge):
    from host_bridge.domain import commands as c
    first = desk.check_in("P7K2QX", "kiosk")["ticket"]
    bridge.service.execute(c.CancelTicket(first["id"]), "public")
    second = desk.check_in("P7K2QX", "kiosk")
    assert not second["again"] and second["ticket"]["id"] != first["id"]
    assert second["ticket"]["status"] == "waiting"


def test_a_check_in_the_bridge_stopped_in_the_middle_of_issues_under_the_same_id(desk, bridge):
    # the id is written before the ticket is issued: a stop in between leaves it unused
    a = desk.store.get(SOURCE, "1")
    desk.store.set_ticket(a, "kept-id-0123456789")
    answer = desk.check_in("P7K2QX", "kiosk")
    assert answer["ticket"]["id"] == "kept-id-0123456789"


# ----- the rule, as a property ------------------------------------------------------------------
RULES = st.builds(AppointmentRules, late_minutes=st.integers(0, 240),
                  late=st.sampled_from(["walk_in", "refuse"]),
                  no_show_minutes=st.integers(0, 480))


@given(RULES, st.integers(-600, 600))
def test_early_or_on_time_is_an_appointment_too_late_follows_the_site(rules, minutes_after):
    appointment = at("10:00")
    decision = decide(appointment, appointment + timedelta(minutes=minutes_after), rules)
    if minutes_after >= rules.no_show_minutes:
        assert decision is Decision.MISSED  # whether the sweep has passed or not
    elif minutes_after <= rules.late_minutes:
        assert decision is Decision.APPOINTMENT
    else:
        assert decision is (Decision.REFUSE if rules.late == "refuse" else Decision.WALK_IN)


def test_past_the_no_show_window_a_check_in_is_refused_even_before_the_sweep(desk, bridge):
    with pytest.raises(ck.AppointmentMissed, match="60 min after"):
        desk.check_in("C8W3NZ", "kiosk")  # 09:00, at 10:00
    assert tickets_of(bridge) == []


_ids = itertools.count()


@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(-90, 60), st.lists(st.integers(0, 40), min_size=1, max_size=4))
def test_one_appointment_never_gets_two_tickets(appointments, bridge, clock, offset, waits):
    """An appointment `offset` minutes from now, checked in several times `waits` minutes
    apart, the sweep passing in between: at most one ticket, always the same, an appointment
    ticket when the first check-in was within the window (15 min late), none past 20."""
    n = next(_ids)
    hhmm = (clock.now() + timedelta(minutes=offset)).strftime("%H:%M")
    appointments.store.upsert(booked(f"h{n}", hhmm, f"H{n}"))
    start = clock.now()
    answers = []
    for wait in waits:
        clock.advance(wait * 60)
        try:
            answers.append(appointments.checkin.check_in(f"h{n}", "kiosk"))
        except ck.AppointmentMissed:
            answers.append(None)
        appointments.sweep.run_once()
    late = start + timedelta(minutes=waits[0]) - at(hhmm)
    issued = [a for a in answers if a is not None]
    assert len({a["ticket"]["id"] for a in issued}) <= 1
    if late >= timedelta(minutes=20):
        assert answers[0] is None
    else:
        assert [a is not None and a["again"] for a in answers] == \
            [False] + [True] * (len(answers) - 1)  # checked in: never refused after
        assert (answers[0]["ticket"]["appointment_at"] is None) == (late > timedelta(minutes=15))
    clock.current = start


def test_simultaneous_check_ins_of_one_appointment_make_one_ticket(desk, bridge):
    """Two taps at the kiosk and reception at once (8 threads): one ticket, answered to all."""
    import threading
    start = threading.Barrier(8)
    answers = []

    def tap():
        start.wait()
        answers.append(desk.check_in("P7K2QX", "kiosk"))

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len({a["ticket"]["id"] for a in answers}) == 1 and len(answers) == 8
    assert sorted(a["again"] for a in answers) == [False] + [True] * 7
    assert len(tickets_of(bridge)) == 1
