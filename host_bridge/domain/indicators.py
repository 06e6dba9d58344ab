"""The indicators public services publish, computed from the queue's history (pure: events in,
figures out; the caller picks the days).

Definitions (docs/architecture.md, *Indicators*):
- a ticket belongs to the service it was issued for (a transfer does not move it);
- wait = first call - issue; service time = served - first call (a recall does not restart it);
- within target = share of the called tickets whose wait was at most the service's target;
- absent rate = absent / (served + absent); abandonment = cancelled / issued;
- median: the middle value (mean of the two middle ones); p90: the nearest-rank 90th
  percentile (the smallest wait that at least 90 % of the waits do not exceed);
- tickets per hour: issued, by the site's local weekday (0 = Monday) and hour;
- satisfaction (feedback terminals, scores 1-4): satisfied = 3 or 4; net = satisfied share
  minus the share of 1 and 2.
Times are real elapsed minutes (aware datetimes), so a wait across a DST change is right, and
the local hour is the site's, whatever the server's zone.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from . import events as e
from .elapsed import minutes
from .site import Site


@dataclass
class _Ticket:
    service: str
    issued_at: datetime
    called_at: datetime | None = None
    outcome: str | None = None  # served, absent, cancelled, expired
    served_at: datetime | None = None


@dataclass(frozen=True)
class Figures:
    issued: int
    called: int
    served: int
    absent: int
    cancelled: int
    expired: int  # still waiting or called when the next day started
    wait_mean: float | None  # minutes
    wait_median: float | None
    wait_p90: float | None
    within_target: float | None  # share, 0-1
    service_mean: float | None
    service_median: float | None
    absent_rate: float | None
    abandonment: float | None


@dataclass(frozen=True)
class Satisfaction:
    votes: int
    by_score: dict[int, int]
    satisfied: float | None  # share of 3 and 4
    net: float | None  # satisfied share - share of 1 and 2


@dataclass(frozen=True)
class Indicators:
    services: dict[str, Figures]  # in the site's order
    total: Figures
    per_hour: list[list[int]]  # [weekday 0-6][hour 0-23]: tickets issued
    satisfaction: Satisfaction
    days: list[str] = field(default_factory=list)  # the business days seen


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(tickets: list[_Ticket], target: float | None) -> Figures:
    waits = [minutes(t.issued_at, t.called_at) for t in tickets if t.called_at]
    services = [minutes(t.called_at, t.served_at) for t in tickets if t.served_at and t.called_at]
    count = {o: sum(1 for t in tickets if t.outcome == o)
             for o in ("served", "absent", "cancelled", "expired")}
    within = None
    if waits and target is not None:
        within = sum(1 for w in waits if w <= target) / len(waits)
    return Figures(
        issued=len(tickets), called=len(waits), served=count["served"], absent=count["absent"],
        cancelled=count["cancelled"], expired=count["expired"],
        wait_mean=statistics.fmean(waits) if waits else None,
        wait_median=statistics.median(waits) if waits else None,
        wait_p90=_p90(waits) if waits else None,
        within_target=within,
        service_mean=statistics.fmean(services) if services else None,
        service_median=statistics.median(services) if services else None,
        absent_rate=_share(count["absent"], count["served"] + count["absent"]),
        abandonment=_share(count["cancelled"], len(tickets)))


def compute(history: Iterable[e.Event], site: Site, tz: tzinfo) -> Indicators:
    tickets: dict[str, _Ticket] = {}
    per_hour = [[0] * 24 for _ in range(7)]
    scores: dict[int, int] = {s: 0 for s in (1, 2, 3, 4)}
    days: list[str] = []
    for ev in history:
        if isinstance(ev, e.TicketIssued):
            tickets[ev.ticket_id] = _Ticket(ev.service, ev.at)
            local = ev.at.astimezone(tz)
            per_hour[local.weekday()][local.hour] += 1
        elif isinstance(ev, e.DayStarted):
            days.append(ev.day.isoformat())
            for tid in ev.expired:
                if tid in tickets and tickets[tid].outcome is None:
                    tickets[tid].outcome = "expired"
        elif isinstance(ev, e.FeedbackGiven):
            scores[ev.score] = scores.get(ev.score, 0) + 1
        else:
            t = tickets.get(getattr(ev, "ticket_id", ""))
            if t is None:
                continue  # a ticket of a day before the period
            if isinstance(ev, e.TicketCalled) and t.called_at is None:
                t.called_at = ev.at
            elif isinstance(ev, e.TicketServed):
                t.outcome, t.served_at = "served", ev.at
            elif isinstance(ev, e.TicketAbsent):
                t.outcome = "absent"
            elif isinstance(ev, e.TicketCancelled):
                t.outcome = "cancelled"
    by_service = {s.id: _figures([t for t in tickets.values() if t.service == s.id],
                                 s.target_wait_minutes) for s in site.services}
    targets = {s.id: s.target_wait_minutes for s in site.services}
    total = _figures(list(tickets.values()), None)
    called = [t for t in tickets.values() if t.called_at]
    if called:  # each ticket against its own service's target
        within = sum(1 for t in called if t.called_at is not None and t.service in targets and
                     minutes(t.issued_at, t.called_at) <= targets[t.service])
        total = replace(total, within_target=within / len(called))
    votes = sum(scores.values())
    happy, unhappy = scores[3] + scores[4], scores[1] + scores[2]
    return Indicators(by_service, total, per_hour,
                      Satisfaction(votes, scores, _share(happy, votes),
                                   None if not votes else (happy - unhappy) / votes), days)

