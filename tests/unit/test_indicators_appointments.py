"""The appointments' indicators (issue 15, host_bridge/domain/indicators.py): punctuality, the
appointment no-show rate and the share of appointments against walk-ins, per service and in
total, against a day worked out by hand; old stored tallies still load; and tallies of single
days, merged, make the tally of the whole period (the retention keeps one a day)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_bridge.domain import events as e
from host_bridge.domain.indicators import Tally, compute, indicators, tally

PARIS = ZoneInfo("Europe/Paris")
SATURDAY = date(2026, 11, 28)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def a_saturday() -> list[e.Event]:
    """passeports: P1 (RDV 9:30) called 9:28, served; P2 (RDV 9:45) called 9:55, absent;
    P3 (RDV 10:00) called 10:12, absent, comes back (« Je suis là »), served; P4 a walk-in,
    served; the 10:30 appointment never checked in. accueil: two walk-ins; A1 called."""
    d = SATURDAY
    return [
        e.DayStarted(d, paris(d, 8), ()),
        e.TicketIssued("p1", "passeports", 1, "P001", None, paris(d, 9, 20),
                       appointment_at=paris(d, 9, 30)),
        e.TicketIssued("p2", "passeports", 2, "P002", None, paris(d, 9, 40),
                       appointment_at=paris(d, 9, 45)),
        e.TicketIssued("p4", "passeports", 3, "P003", None, paris(d, 9, 41)),
        e.TicketIssued("p3", "passeports", 4, "P004", None, paris(d, 9, 50),
                       appointment_at=paris(d, 10)),
        e.TicketCalled("p1", 3, paris(d, 9, 28)),
        e.TicketServed("p1", 3, paris(d, 9, 40)),
        e.TicketCalled("p2", 3, paris(d, 9, 55)),
        e.TicketAbsent("p2", 3, paris(d, 9, 58)),
        e.TicketCalled("p3", 3, paris(d, 10, 12)),
        e.TicketAbsent("p3", 3, paris(d, 10, 14)),
        e.TicketCameBack("p3", paris(d, 10, 14), 1.0, paris(d, 10, 16)),
        e.TicketCalled("p4", 3, paris(d, 10, 20)),
        e.TicketServed("p4", 3, paris(d, 10, 30)),
        e.TicketCalled("p3", 3, paris(d, 10, 31)),
        e.TicketServed("p3", 3, paris(d, 10, 45)),
        e.AppointmentMissed("passeports", paris(d, 10, 30), paris(d, 10, 50)),
        e.TicketIssued("a1", "accueil", 1, "A001", None, paris(d, 9)),
        e.TicketIssued("a2", "accueil", 2, "A002", None, paris(d, 9, 1)),
        e.TicketCalled("a1", 1, paris(d, 9, 5)),
    ]


def test_a_saturday_of_appointments_by_hand(site):
    ind = compute(a_saturday(), site, PARIS)
    p = ind.services["passeports"]
    assert (p.issued, p.appointments, p.walk_ins) == (4, 3, 1)
    assert p.appointment_share == 0.75
    # p2 is a no-show; p3 came back and was served: not one; and the 10:30 never came
    assert (p.appointments_missed, p.appointments_absent) == (1, 1)
    assert p.appointment_noshow_rate == 0.5  # (1 + 1) / (3 + 1)
    # first calls against the times: -2, +10, +12 (a second call after « Je suis là » is not
    # the first) -> median 10; on time (at most 5 min late): only p1
    assert p.punctuality_median == 10.0
    assert p.called_on_time == pytest.approx(1 / 3)
    a = ind.services["accueil"]
    assert (a.appointments, a.walk_ins, a.appointment_share) == (0, 2, 0.0)
    assert a.appointment_noshow_rate is None and a.punctuality_median is None
    assert a.called_on_time is None
    total = ind.total
    assert (total.issued, total.appointments, total.walk_ins) == (6, 3, 3)
    assert total.appointment_share == 0.5 and total.appointment_noshow_rate == 0.5
    assert total.punctuality_median == 10.0


def test_a_service_without_tickets_still_counts_its_missed_appointments(site):
    d = SATURDAY
    ind = compute([e.AppointmentMissed("passeports", paris(d, 9), paris(d, 9, 20))], site, PARIS)
    p = ind.services["passeports"]
    assert (p.issued, p.appointments, p.appointments_missed) == (0, 0, 1)
    assert p.appointment_noshow_rate == 1.0 and p.appointment_share is None


def test_an_undone_absence_of_an_appointment_is_no_no_show(site):
    d = SATURDAY
    history = [
        e.TicketIssued("p", "passeports", 1, "P001", None, paris(d, 9), appointment_at=paris(d, 9)),
        e.TicketCalled("p", 3, paris(d, 9, 3)),
        e.TicketAbsent("p", 3, paris(d, 9, 5)),
        e.TicketAbsenceUndone("p", 3, paris(d, 9, 5)),
        e.TicketCalled("p", 3, paris(d, 9, 8)),
    ]
    p = compute(history, site, PARIS).services["passeports"]
    assert p.appointments_absent == 0 and p.appointment_noshow_rate == 0.0
    assert p.punctuality_median == 8.0 and p.called_on_time == 0.0  # the call that counts: 9:08


def test_a_tally_stored_before_appointments_still_loads_and_merges(site):
    """What the retention kept before issue 15: no appointment counts, no punctuality."""
    old = {"services": {"accueil": {"counts": {"issued": 2, "called": 1, "served": 1, "absent": 0,
                                                "cancelled": 0, "expired": 1},
                                     "waits": [4.0], "service_times": [3.0]}},
           "per_hour": [[0] * 24 for _ in range(7)], "scores": {"1": 0, "2": 0, "3": 0, "4": 0},
           "days": ["2026-11-27"]}
    merged = tally(a_saturday(), PARIS).merge(Tally.from_json(old))
    ind = indicators(merged, site)
    a = ind.services["accueil"]
    assert (a.issued, a.appointments, a.walk_ins, a.appointments_missed) == (4, 0, 4, 0)
    assert ind.total.appointments == 3 and ind.total.punctuality_median == 10.0
    again = Tally.from_json(merged.to_json())  # and round-trips with the new fields
    assert indicators(again, site) == ind


# ----- merging tallies of single days = the tally of the whole ------------------------------
SERVICES = ("accueil", "etat-civil", "passeports")
# one ticket's story: (service, minutes after 9:00 issued, appointment offset or None, then
# what happens: "wait" | "called" | "served" | "absent" | "back" | "cancelled")
ticket = st.tuples(st.sampled_from(SERVICES), st.integers(0, 300),
                   st.none() | st.integers(-30, 60),
                   st.sampled_from(("wait", "called", "served", "absent", "back", "cancelled")))
day = st.tuples(st.lists(ticket, max_size=6), st.lists(st.sampled_from(SERVICES), max_size=2))


def one_day(d: date, n: int, tickets, missed) -> list[e.Event]:
    """A business day's events: its start (expiring the day before's leftovers), then each
    ticket's story in time order; the leftovers of this day returned by the next day's start."""
    start = paris(d, 9)
    timed = []
    for i, (service, issued, rdv, fate) in enumerate(tickets):
        tid, at = f"{n}-{i}", start + timedelta(minutes=issued)
        appointment = None if rdv is None else at + timedelta(minutes=rdv)
        timed.append((at, e.TicketIssued(tid, service, i + 1, f"X{i + 1:03}", None, at,
                                         appointment_at=appointment)))
        step = lambda k: at + timedelta(minutes=7 * k)  # noqa: E731
        if fate == "cancelled":
            timed.append((step(1), e.TicketCancelled(tid, step(1))))
        if fate in ("called", "served", "absent", "back"):
            timed.append((step(1), e.TicketCalled(tid, 2, step(1))))
        if fate in ("absent", "back"):
            timed.append((step(2), e.TicketAbsent(tid, 2, step(2))))
        if fate == "back":
            timed.append((step(3), e.TicketCameBack(tid, step(3), 0.5, step(3))))
        if fate == "served":
            timed.append((step(2), e.TicketServed(tid, 2, step(2))))
    for k, service in enumerate(missed):
        at = start + timedelta(minutes=30 * k)
        timed.append((at, e.AppointmentMissed(service, at - timedelta(minutes=20), at)))
    timed.sort(key=lambda x: x[0])
    return [ev for _, ev in timed]


@settings(max_examples=60, deadline=None,  # the site is frozen: sharing it is safe
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(day, min_size=1, max_size=4))
def test_tallies_of_single_days_merged_make_the_tally_of_the_whole(site, days):
    first = date(2026, 11, 23)
    starts, bodies = [], []
    leftover: tuple[str, ...] = ()
    for n, (tickets, missed) in enumerate(days + [([], [])]):  # the day after ends the last
        d = first + timedelta(days=n)
        starts.append(e.DayStarted(d, paris(d, 8), leftover))
        bodies.append(one_day(d, n, tickets, missed))
        leftover = tuple(f"{n}-{i}" for i, x in enumerate(tickets) if x[3] in ("wait", "back"))
    whole = [ev for s, b in zip(starts, bodies) for ev in [s, *b]]
    merged = Tally()
    for n in range(len(days)):  # a closed day: its events and the next day's start
        part = tally([starts[n], *bodies[n], starts[n + 1]], PARIS)
        merged.merge(Tally.from_json(part.to_json()))  # as the retention keeps it
    merged.merge(tally([starts[-1]], PARIS))
    assert indicators(merged, site) == indicators(tally(whole, PARIS), site)


def test_the_csv_row_has_the_appointments_figures_for_a_french_spreadsheet(site):
    from host_bridge.api.indicators import APPOINTMENT_COLUMNS, COLUMNS, _row
    p = compute(a_saturday(), site, PARIS).services["passeports"]
    header = [h for h, _ in COLUMNS + APPOINTMENT_COLUMNS]
    row = dict(zip(header, _row("Passeports", p)[1:]))
    assert row["rendez-vous"] == "3" and row["sans rendez-vous"] == "1"
    assert row["part de rendez-vous (%)"] == "75,0"
    assert row["taux de rendez-vous non honorés (%)"] == "50,0"
    assert row["ponctualité : appel - heure du rendez-vous, médiane (min)"] == "10,0"
    assert row["rendez-vous appelés au plus 5 min après l'heure (%)"] == "33,3"
    assert len(COLUMNS) == 13  # central's CSV reads these only
