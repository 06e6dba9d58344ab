"""The indicators public services publish, computed from the queue's history (pure: events in,
figures out; the caller picks the days).

Definitions (docs/architecture.md, *Indicators*):
- a ticket belongs to the service it was issued for (a transfer does not move it);
- wait = first call - issue; service time = served - first call (a recall does not restart it;
  an undone « absent » is no absence, and takes its call back: the next call is the first);
- within target = share of the called tickets whose wait was at most the service's target;
- absent rate = absent / (served + absent); abandonment = cancelled / issued;
- waits and service times are kept to the tenth of a minute;
- median: the middle value (mean of the two middle ones); p90: the nearest-rank 90th
  percentile (the smallest wait that at least 90 % of the waits do not exceed);
- tickets per hour: issued, by the site's local weekday (0 = Monday) and hour;
- satisfaction (scores 1-4, from the feedback terminals and from the survey on the phone's
  ticket page once served): satisfied = 3 or 4; net = satisfied share minus the share of 1
  and 2; overall and by source ("terminal", "phone"), the overall figures being those of all
  the votes; survey response rate = phone answers / tickets served (a ticket answers once);
- per counter (served, absent, mean service time: who works where is known, so a site turns
  them on, `[privacy] figures_per_counter`): by the counter that served or marked absent;
- appointments (issue 15): a ticket issued with an appointment time is an appointment, any
  other a walk-in (one checked in too late and issued as a walk-in counts as a walk-in);
  appointment share = appointments / issued; punctuality = first call - appointment time
  (negative: called early), its median, and the share called at most ON_TIME_MINUTES after
  the time; no-show rate = (missed + absent) / (appointments + missed), where missed is an
  appointment never checked in (AppointmentMissed) and absent an appointment's ticket marked
  absent.
Times are real elapsed minutes (aware datetimes), so a wait across a DST change is right, and
the local hour is the site's, whatever the server's zone.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

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
    counter: int | None = None  # the counter that served it or marked it absent
    appointment_at: datetime | None = None


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
    appointments: int = 0  # tickets issued for an appointment
    walk_ins: int = 0
    appointment_share: float | None = None  # appointments / issued
    appointments_missed: int = 0  # never checked in
    appointments_absent: int = 0  # checked in, absent at the call
    appointment_noshow_rate: float | None = None
    punctuality_median: float | None = None  # minutes from the appointment time to the call
    called_on_time: float | None = None  # share called at most ON_TIME_MINUTES after the time


@dataclass(frozen=True)
class Votes:
    votes: int
    by_score: dict[int, int]
    satisfied: float | None  # share of 3 and 4
    net: float | None  # satisfied share - share of 1 and 2


@dataclass(frozen=True)
class Satisfaction(Votes):
    """All the votes, and each source's (SOURCES: the terminals', the phones' survey)."""
    by_source: dict[str, Votes] = field(default_factory=dict)
    survey_response_rate: float | None = None  # phone answers / tickets served


@dataclass(frozen=True)
class CounterFigures:
    served: int
    absent: int
    service_mean: float | None


@dataclass(frozen=True)
class Indicators:
    services: dict[str, Figures]  # in the site's order
    total: Figures
    per_hour: list[list[int]]  # [weekday 0-6][hour 0-23]: tickets issued
    satisfaction: Satisfaction
    days: list[str] = field(default_factory=list)  # the business days seen
    counters: dict[int, CounterFigures] = field(default_factory=dict)  # only when the site wants


@dataclass
class _Service:
    """One service's raw material: outcome counts and every wait and service time (minutes,
    to the tenth): no ticket id, no label, no time of day."""
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(OUTCOMES + APPOINTMENT_COUNTS, 0))
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)
    punctuality: list[float] = field(default_factory=list)  # call - appointment time


OUTCOMES = ("issued", "called", "served", "absent", "cancelled", "expired")
# appointments' counts, beside the outcomes (absent from tallies kept before issue 15: 0)
APPOINTMENT_COUNTS = ("appointments", "appointments_missed", "appointments_absent")
ON_TIME_MINUTES = 5.0
SOURCES = ("terminal", "phone")  # where a vote comes from (commands.FEEDBACK_SOURCES)


def _no_scores() -> dict[str, dict[int, int]]:
    return {source: dict.fromkeys((1, 2, 3, 4), 0) for source in SOURCES}


@dataclass
class Tally:
    """What the indicators are made from, mergeable: the retention purge keeps one per day
    (`to_json`) when it deletes the day's events, and a report adds those to the days kept."""
    services: dict[str, _Service] = field(default_factory=dict)
    per_hour: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    scores: dict[str, dict[int, int]] = field(default_factory=_no_scores)  # source -> score -> n
    days: list[str] = field(default_factory=list)
    counters: dict[int, _Service] = field(default_factory=dict)  # by the counter that ended them

    def service(self, sid: str) -> _Service:
        return self.services.setdefault(sid, _Service())

    def counter(self, number: int) -> _Service:
        return self.counters.setdefault(number, _Service())

    def merge(self, other: Tally) -> Tally:
        for sid, o in other.services.items():
            mine = self.service(sid)
            for k, v in o.counts.items():
                mine.counts[k] = mine.counts.get(k, 0) + v
            mine.waits += o.waits
            mine.service_times += o.service_times
            mine.punctuality += o.punctuality
        for d in range(7):
            for h in range(24):
                self.per_hour[d][h] += other.per_hour[d][h]
        for source, scores in other.scores.items():
            mine = self.scores.setdefault(source, {})
            for score, n in scores.items():
                mine[score] = mine.get(score, 0) + n
        self.days = sorted(set(self.days) | set(other.days))
        for n, o in other.counters.items():
            mine = self.counter(n)
            for k, v in o.counts.items():
                mine.counts[k] = mine.counts.get(k, 0) + v
            mine.service_times += o.service_times
        return self

    def to_json(self) -> dict[str, Any]:
        return {"services": {k: {"counts": v.counts, "waits": v.waits,
                                 "service_times": v.service_times, "punctuality": v.punctuality}
                             for k, v in self.services.items()},
                "per_hour": self.per_hour,
                # the terminals' votes where every release reads them; the others beside
                "scores": {str(k): v for k, v in self.scores.get("terminal", {}).items()},
                "scores_by_source": {
                    source: {str(k): v for k, v in scores.items()}
                    for source, scores in self.scores.items() if source != "terminal"},
                "days": self.days,
                "counters": {str(n): {"counts": v.counts, "service_times": v.service_times}
                             for n, v in self.counters.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        return cls({k: _Service(dict(v["counts"]), list(v["waits"]), list(v["service_times"]),
                                list(v.get("punctuality", [])))
                    for k, v in data["services"].items()},
                   [list(row) for row in data["per_hour"]],
                   _scores_from_json(data), list(data["days"]),
                   {int(n): _Service(dict(v["counts"]), [], list(v["service_times"]))
                    for n, v in data.get("counters", {}).items()})


def _scores_from_json(data: dict[str, Any]) -> dict[str, dict[int, int]]:
    """A tally saved before the survey (issue 17) has only "scores": all the terminals'."""
    out = _no_scores()
    out["terminal"] = {int(k): v for k, v in data["scores"].items()}
    for source, scores in data.get("scores_by_source", {}).items():
        out[source] = {int(k): v for k, v in scores.items()}
    return out


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(parts: list[tuple[_Service, float]]) -> Figures:
    """From one or more services' tallies, each with its target."""
    counts = {o: sum(p.counts.get(o, 0) for p, _ in parts) for o in OUTCOMES + APPOINTMENT_COUNTS}
    waits = [w for p, _ in parts for w in p.waits]
    services = [x for p, _ in parts for x in p.service_times]
    within = sum(1 for p, target in parts for w in p.waits if w <= target)
    return Figures(
        issued=counts["issued"], called=counts["called"], served=counts["served"],
        absent=counts["absent"], cancelled=counts["cancelled"], expired=counts["expired"],
        wait_mean=statistics.fmean(waits) if waits else None,
        wait_median=statistics.median(waits) if waits else None,
        wait_p90=_p90(waits) if waits else None,
        within_target=within / len(waits) if waits else None,
        service_mean=statistics.fmean(services) if services else None,
        service_median=statistics.median(services) if services else None,
        absent_rate=_share(counts["absent"], counts["served"] + counts["absent"]),
        abandonment=_share(counts["cancelled"], counts["issued"]),
        **_appointments(counts, [x for p, _ in parts for x in p.punctuality]))


def _appointments(counts: dict[str, int], punctuality: list[float]) -> dict[str, Any]:
    booked, missed = counts["appointments"], counts["appointments_missed"]
    return dict(
        appointments=booked, walk_ins=counts["issued"] - booked,
        appointment_share=_share(booked, counts["issued"]),
        appointments_missed=missed, appointments_absent=counts["appointments_absent"],
        appointment_noshow_rate=_share(missed + counts["appointments_absent"], booked + missed),
        punctuality_median=statistics.median(punctuality) if punctuality else None,
        called_on_time=_share(sum(1 for x in punctuality if x <= ON_TIME_MINUTES),
                              len(punctuality)))


def tally(history: Iterable[e.Event], tz: tzinfo) -> Tally:
    tickets: dict[str, _Ticket] = {}
    out = Tally()
    for ev in history:
        if isinstance(ev, e.TicketIssued):
            tickets[ev.ticket_id] = _Ticket(ev.service, ev.at, appointment_at=ev.appointment_at)
            local = ev.at.astimezone(tz)
            out.per_hour[local.weekday()][local.hour] += 1
        elif isinstance(ev, e.DayStarted):
            out.days.append(ev.day.isoformat())
            for tid in ev.expired:
                if tid in tickets and tickets[tid].outcome is None:
                    tickets[tid].outcome = "expired"
        elif isinstance(ev, e.FeedbackGiven):
            scores = out.scores.setdefault(ev.source, {})
            scores[ev.score] = scores.get(ev.score, 0) + 1
        elif isinstance(ev, e.AppointmentMissed):
            counts = out.service(ev.service).counts
            counts["appointments_missed"] = counts.get("appointments_missed", 0) + 1
        else:
            t = tickets.get(getattr(ev, "ticket_id", ""))
            if t is None:
                continue  # a ticket of a day before the period
            if isinstance(ev, e.TicketCalled) and t.called_at is None:
                t.called_at = ev.at
            elif isinstance(ev, e.TicketServed):
                t.outcome, t.served_at, t.counter = "served", ev.at, ev.counter
            elif isinstance(ev, e.TicketAbsent):
                t.outcome, t.counter = "absent", ev.counter
            elif isinstance(ev, e.TicketAbsenceUndone):  # not a no-show; its call reached nobody
                t.outcome, t.counter, t.called_at = None, None, None
            elif isinstance(ev, e.TicketCameBack):  # « Je suis là »: waits again, its first
                t.outcome, t.counter = None, None       # call kept (nobody answered it)
            elif isinstance(ev, e.TicketCancelled):
                t.outcome = "cancelled"
    for t in tickets.values():
        s = out.service(t.service)
        s.counts["issued"] += 1
        if t.outcome:
            s.counts[t.outcome] += 1
        if t.called_at:
            s.counts["called"] += 1
            s.waits.append(round(minutes(t.issued_at, t.called_at), 1))
            if t.served_at:
                s.service_times.append(round(minutes(t.called_at, t.served_at), 1))
            if t.appointment_at:
                s.punctuality.append(round(minutes(t.appointment_at, t.called_at), 1))
        if t.appointment_at:
            s.counts["appointments"] += 1
            s.counts["appointments_absent"] += t.outcome == "absent"
        if t.counter is not None and t.outcome is not None:
            k = out.counter(t.counter)
            k.counts[t.outcome] += 1
            if t.served_at and t.called_at:
                k.service_times.append(round(minutes(t.called_at, t.served_at), 1))
    return out


def indicators(t: Tally, site: Site, per_counter: bool = False) -> Indicators:
    """per_counter: the figures of each counter too (who works there is known: a site
    switch, off by default)."""
    targets = {s.id: float(s.target_wait_minutes) for s in site.services}
    by_service = {s.id: _figures([(t.services.get(s.id, _Service()), targets[s.id])])
                  for s in site.services}
    # in total each ticket against its own service's target (a service since removed: none)
    total = _figures([(v, targets.get(k, -1.0)) for k, v in t.services.items()])
    every: dict[int, int] = dict.fromkeys((1, 2, 3, 4), 0)
    for scores in t.scores.values():
        for score, n in scores.items():
            every[score] = every.get(score, 0) + n
    by_source = {source: _votes(t.scores.get(source, {})) for source in
                 (*SOURCES, *sorted(set(t.scores) - set(SOURCES)))}
    phone = by_source["phone"].votes
    counters = {n: CounterFigures(k.counts.get("served", 0), k.counts.get("absent", 0),
                                  statistics.fmean(k.service_times) if k.service_times else None)
                for n, k in sorted(t.counters.items())} if per_counter else {}
    return Indicators(by_service, total, t.per_hour,
                      Satisfaction(**dataclasses.asdict(_votes(every)), by_source=by_source,
                                   survey_response_rate=_share(phone, total.served)),
                      list(t.days), counters)


def _votes(scores: dict[int, int]) -> Votes:
    by_score = {k: scores.get(k, 0) for k in sorted({1, 2, 3, 4} | set(scores))}
    votes = sum(by_score.values())
    happy = by_score[3] + by_score[4]
    unhappy = by_score[1] + by_score[2]
    return Votes(votes, by_score, _share(happy, votes),
                 None if not votes else (happy - unhappy) / votes)


def compute(history: Iterable[e.Event], site: Site, tz: tzinfo) -> Indicators:
    return indicators(tally(history, tz), site)
