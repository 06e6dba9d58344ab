"""One simulated day on the real queue (domain.QueueState), in process, on a virtual clock.

Citizens arrive by the traffic profile's hourly rates (Poisson); each open counter's agent
presses « Suivant », serves for a lognormal time, recalls then marks absent a no-show, polls
when nobody waits, takes a break now and then, and follows the plan's shifts (a counter opening
late, closing mid-morning). At each ticket issued, every estimator says when it will be called;
at its first call, the actual wait is known and fed back (the calibrations learn from it).

Nothing here looks at the estimates to decide what happens: the traffic does not depend on
them, so every estimator is judged on the very same day.
"""
from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import DomainError
from host_bridge.domain.queue import QueueState
from host_bridge.domain.tickets import Ticket

from .days import Plan


class Estimator(Protocol):
    name: str

    def told(self, state: QueueState, ticket: Ticket, ahead: int) -> "Told | None": ...

    def called(self, state: QueueState, ticket: Ticket, wait: float) -> None: ...


@dataclass(frozen=True)
class Told:
    minutes: float  # the point estimate
    low: float
    high: float
    reliable: bool = True  # False: the pages say the estimate is uncertain, no range shown


@dataclass
class Outcome:
    ticket_id: str
    service: str
    issued_at: datetime
    ahead: int
    told: dict[str, Told | None] = field(default_factory=dict)
    waited: float | None = None  # minutes from issue to first call; None: never called


AGENT_GAP = (0.1, 0.6)  # minutes between a citizen leaving and the next press (uniform)
BREAK_CHANCE = 0.5  # an agent takes a break this often in each opening range…
BREAK_MINUTES = (8.0, 15.0)  # …this long


def simulate(plan: Plan, seed: int, estimators: Sequence[Estimator],
             every: Callable[[QueueState, datetime], None] | None = None) -> list[Outcome]:
    """The day's tickets, each with what every estimator told it and the wait it had."""
    rng = random.Random(seed)
    tz = ZoneInfo(plan.site.timezone)
    start_of_day = datetime.combine(plan.day, datetime.min.time(), tzinfo=tz)
    state = QueueState(plan.site)
    heap: list[tuple[float, int, str, Any]] = []
    seq = count()
    outcomes: dict[str, Outcome] = {}

    def at(minute: float) -> datetime:
        return start_of_day + timedelta(minutes=minute)

    def push(minute: float, kind: str, data: Any = None) -> None:
        heapq.heappush(heap, (minute, next(seq), kind, data))

    def run(command: c.Command, minute: float) -> list[e.Event]:
        try:
            events = state.decide(command, at(minute))
        except DomainError:
            return []
        for ev in events:
            state.apply(ev)
            if isinstance(ev, e.TicketIssued):
                ticket = state.tickets[ev.ticket_id]
                ahead = state.ahead_of(ticket)
                out = Outcome(ticket.id, ticket.service, ticket.issued_at, ahead)
                for est in estimators:
                    out.told[est.name] = est.told(state, ticket, ahead)
                outcomes[ticket.id] = out
            elif isinstance(ev, e.TicketCalled):
                out = outcomes.get(ev.ticket_id)
                if out is not None and out.waited is None:
                    out.waited = (ev.at - out.issued_at).total_seconds() / 60
                    ticket = state.tickets[ev.ticket_id]
                    for est in estimators:
                        est.called(state, ticket, out.waited)
        return events

    ranges = plan.opening_ranges()
    first = ranges[0][0]
    run(c.StartDay(plan.day), first - 1)
    # arrivals: each service's hourly Poisson rate, within the opening ranges
    for traffic in plan.profile.services:
        for lo, hi in ranges:
            minute = lo
            while minute < hi:
                hour_end = min(hi, math.floor(minute / 60 + 1) * 60)
                rate = traffic.per_hour[int(minute // 60) % 24] / 60
                step = rng.expovariate(rate) if rate > 0 else math.inf
                if minute + step >= hour_end:
                    minute = hour_end  # memoryless: start again at the hour with its rate
                    continue
                minute += step
                push(minute, "arrive", traffic)
    # counters: each shift opens the counter; the agent works until the shift's end, then
    # finishes the citizens still waiting if the site is closing
    for number, shifts in plan.shifts().items():
        for lo, hi in shifts:
            push(lo, "open", (number, hi))
            if rng.random() < BREAK_CHANCE and hi - lo > 90:
                push(rng.uniform(lo + 30, hi - 40), "break", number)
    services = {t.service: t for t in plan.profile.services}
    busy: dict[int, float] = {}  # counter -> the minute its agent ends the current task
    shift_end: dict[int, float] = {}
    on_break: set[int] = set()
    ids = count(1)
    while heap:
        minute, _, kind, data = heapq.heappop(heap)
        if every is not None:
            state.observe(at(minute))
            every(state, at(minute))
        if kind == "arrive":
            category = None
            if plan.site.categories and rng.random() < plan.profile.priority_share:
                category = plan.site.categories[0].id
            run(c.IssueTicket(data.service, f"t{next(ids)}", category), minute)
            for number in list(state.counters):  # idle agents notice at their next look
                if number not in busy and number in shift_end and number not in on_break:
                    busy[number] = minute
                    push(minute + rng.uniform(0, plan.profile.idle_press_s / 60), "next", number)
        elif kind == "open":
            number, hi = data
            shift_end[number] = hi
            run(c.OpenCounter(number), minute)
            busy[number] = minute
            push(minute, "next", number)
        elif kind == "break":
            on_break.add(data)  # taken when the current citizen leaves
        elif kind == "next":
            number = data
            busy.pop(number, None)
            if number not in shift_end:
                continue
            if number in on_break:
                on_break.discard(number)
                run(c.PauseCounter(number), minute)
                push(minute + rng.uniform(*BREAK_MINUTES), "resume", number)
                busy[number] = minute
                continue
            if minute >= shift_end[number] and not (plan.serve_to_empty(minute)
                                                   and _waiting_for(state, number)):
                run(c.CloseCounter(number), minute)
                del shift_end[number]
                continue
            events = run(c.CallNext(number), minute)
            called = next((ev for ev in events if isinstance(ev, e.TicketCalled)), None)
            if called is None:
                continue  # idle: woken by the next arrival (or closed at the shift's end)
            ticket = state.tickets[called.ticket_id]
            busy[number] = minute
            if rng.random() < plan.profile.no_show:
                push(minute + plan.profile.recall_after_s / 60, "recall", number)
            else:
                traffic = services.get(ticket.service)
                median = traffic.median_minutes if traffic else \
                    plan.site.service(ticket.service).default_service_minutes
                spread = traffic.spread if traffic else 0.45
                length = median * math.exp(rng.gauss(0, spread))
                push(minute + length + rng.uniform(*AGENT_GAP), "next", number)
        elif kind == "resume":
            busy.pop(data, None)
            push(minute, "next", data)
        elif kind == "recall":
            run(c.Recall(data), minute)
            push(minute + plan.profile.absent_after_s / 60, "absent", data)
        elif kind == "absent":
            run(c.MarkAbsent(data), minute)
            push(minute + rng.uniform(*AGENT_GAP), "next", data)
        if kind == "next" or kind == "arrive":
            # an idle counter at the end of its shift closes
            for number, hi in list(shift_end.items()):
                if number not in busy and minute >= hi and not (
                        plan.serve_to_empty(minute) and _waiting_for(state, number)):
                    run(c.CloseCounter(number), minute)
                    del shift_end[number]
    return list(outcomes.values())


def _waiting_for(state: QueueState, number: int) -> bool:
    counter = state.site.counter(number)
    return any(state.waiting.get(s) for s in counter.services)
