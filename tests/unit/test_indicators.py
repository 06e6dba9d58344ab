"""The indicators (host_bridge/domain/indicators.py) against days computed by hand, including
the two DST changes of 2026 in Paris and a server clock in another zone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from host_bridge.domain import events as e
from host_bridge.domain.indicators import compute

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc


def paris(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS, fold=fold)


MONDAY = date(2026, 11, 23)


def a_monday() -> list[e.Event]:
    """accueil: A1 waits 5, served in 4; A2 waits 12, absent; A3 cancelled.
    état civil: C1 waits 15, served in 20; C2 waits 30, recalled, served in 10.
    passeports: P1 still waiting when the next day starts. Three votes: 4, 3, 1."""
    d = MONDAY
    return [
        e.DayStarted(d, paris(d, 8), ()),
        e.TicketIssued("a1", "accueil", 1, "A001", None, paris(d, 9, 0)),
        e.TicketIssued("a2", "accueil", 2, "A002", None, paris(d, 9, 2)),
        e.TicketIssued("a3", "accueil", 3, "A003", "cmi", paris(d, 9, 3)),
        e.TicketCalled("a1", 1, paris(d, 9, 5)),
        e.TicketServed("a1", 1, paris(d, 9, 9)),
        e.TicketCancelled("a3", paris(d, 9, 10)),
        e.TicketCalled("a2", 1, paris(d, 9, 14)),
        e.TicketAbsent("a2", 1, paris(d, 9, 17)),
        e.TicketIssued("c1", "etat-civil", 1, "C001", None, paris(d, 10, 0)),
        e.TicketCalled("c1", 2, paris(d, 10, 15)),
        e.TicketIssued("c2", "etat-civil", 2, "C002", None, paris(d, 10, 30)),
        e.TicketServed("c1", 2, paris(d, 10, 35)),
        e.TicketCalled("c2", 2, paris(d, 11, 0)),
        e.TicketRecalled("c2", 2, 1, paris(d, 11, 2)),
        e.TicketServed("c2", 2, paris(d, 11, 10)),
        e.TicketIssued("p1", "passeports", 1, "P001", None, paris(d, 11, 0)),
        e.FeedbackGiven(4, 1, "A001", paris(d, 9, 10)),
        e.FeedbackGiven(3, 2, "C001", paris(d, 10, 36)),
        e.FeedbackGiven(1, 2, "C002", paris(d, 11, 11)),
        e.DayStarted(d + timedelta(days=1), paris(d + timedelta(days=1), 8), ("p1",)),
    ]


def test_a_day_by_hand_per_service(site):
    ind = compute(a_monday(), site, PARIS)
    a = ind.services["accueil"]
    assert (a.issued, a.called, a.served, a.absent, a.cancelled, a.expired) == (3, 2, 1, 1, 1, 0)
    assert (a.wait_mean, a.wait_median, a.wait_p90) == (8.5, 8.5, 12.0)
    assert a.within_target == 0.5  # target 10 min: 5 yes, 12 no
    assert (a.service_mean, a.service_median) == (4.0, 4.0)
    assert a.absent_rate == 0.5 and a.abandonment == pytest.approx(1 / 3)
    c = ind.services["etat-civil"]
    assert (c.issued, c.called, c.served, c.absent) == (2, 2, 2, 0)
    assert (c.wait_mean, c.wait_median, c.wait_p90) == (22.5, 22.5, 30.0)
    assert c.within_target == 0.5  # target 20: 15 yes, 30 no
    assert (c.service_mean, c.service_median) == (15.0, 15.0)  # 20 and 10: a recall does not restart it
    assert c.absent_rate == 0.0 and c.abandonment == 0.0
    p = ind.services["passeports"]
    assert (p.issued, p.called, p.expired) == (1, 0, 1)
    assert p.wait_mean is None and p.within_target is None and p.absent_rate is None
    assert list(ind.services) == ["accueil", "etat-civil", "passeports"]


def test_a_day_by_hand_in_total_each_ticket_against_its_own_target(site):
    total = compute(a_monday(), site, PARIS).total
    assert (total.issued, total.called, total.served, total.absent, total.cancelled,
            total.expired) == (6, 4, 3, 1, 1, 1)
    assert (total.wait_mean, total.wait_median, total.wait_p90) == (15.5, 13.5, 30.0)
    assert total.within_target == 0.5  # 5 ≤ 10, 12 > 10, 15 ≤ 20, 30 > 20


def test_tickets_per_hour_and_satisfaction_by_hand(site):
    ind = compute(a_monday(), site, PARIS)
    assert ind.per_hour[0][9] == 3 and ind.per_hour[0][10] == 2 and ind.per_hour[0][11] == 1
    assert sum(map(sum, ind.per_hour)) == 6
    s = ind.satisfaction
    assert s.votes == 3 and s.by_score == {1: 1, 2: 0, 3: 1, 4: 1}
    assert s.satisfied == pytest.approx(2 / 3) and s.net == pytest.approx(1 / 3)
    assert ind.days == ["2026-11-23", "2026-11-24"]


def test_the_servers_zone_does_not_matter_only_the_sites(site):
    in_utc = [_to_utc(ev) for ev in a_monday()]
    assert compute(in_utc, site, PARIS) == compute(a_monday(), site, PARIS)


def _to_utc(ev: e.Event) -> e.Event:
    from dataclasses import replace
    return replace(ev, at=ev.at.astimezone(UTC))


def test_spring_forward_a_wait_across_the_missing_hour_is_real_minutes(site):
    d = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
    history = [
        e.TicketIssued("x", "accueil", 1, "A001", None, paris(d, 1, 55)),
        e.TicketCalled("x", 1, paris(d, 3, 5)),  # 10 minutes later, not 70
        e.TicketIssued("y", "accueil", 2, "A002", None, paris(d, 3, 10)),
    ]
    ind = compute(history, site, PARIS)
    assert ind.services["accueil"].wait_mean == 10.0
    assert ind.per_hour[6][1] == 1 and ind.per_hour[6][2] == 0 and ind.per_hour[6][3] == 1


def test_fall_back_the_repeated_hour_counts_twice_and_waits_stay_positive(site):
    d = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET: 02:xx happens twice
    history = [
        e.TicketIssued("x", "accueil", 1, "A001", None, paris(d, 2, 50, fold=0)),  # CEST
        e.TicketIssued("y", "accueil", 2, "A002", None, paris(d, 2, 30, fold=1)),  # CET, later
        e.TicketCalled("x", 1, paris(d, 2, 10, fold=1)),  # 20 min after x, local clock behind
    ]
    ind = compute(history, site, PARIS)
    assert ind.services["accueil"].wait_mean == 20.0
    assert ind.per_hour[6][2] == 2


def test_nothing_gives_empty_figures_not_errors(site):
    ind = compute([], site, PARIS)
    assert ind.total.issued == 0 and ind.total.wait_mean is None and ind.total.within_target is None
    assert ind.satisfaction.votes == 0 and ind.satisfaction.satisfied is None


def test_events_of_a_ticket_from_before_the_period_are_ignored(site):
    d = MONDAY
    history = [e.TicketCalled("old", 1, paris(d, 9)), e.TicketServed("old", 1, paris(d, 9, 5))]
    assert compute(history, site, PARIS).total.served == 0
