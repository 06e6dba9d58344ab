"""Estimated wait as a range: the open counters played forward, as they will pick tickets.

Counters serve several services, each in its own order (a counter takes from its first service
with anyone waiting: selection.pick_next), so "people ahead ÷ counters" is wrong whenever the
counters are shared: the tickets of other services ahead in a counter's order take its time
too. Here each open counter becomes free when its current citizen is expected to leave (the
service's mean time minus what has already passed), takes the next ticket by its own order,
and so on until our ticket is taken: that instant is the estimate. The queue plays the people
waiting now (QueueState.estimate); given `arrivals`, citizens of the other services keep
arriving meanwhile at that rate and a counter whose first service is busy takes them before
ours, as the estimate before issue 18 did (estimate_wait, kept for comparison: it made
shared-counter waits too long). Later ones of our own service are behind us.

The range here (spread_range): the wait is a sum of service times, so its spread grows with
the square root of the citizens served before ours and shrinks with the counters sharing them;
±Z standard deviations of that, at least ±MIN_HALF_WIDTH: the range before issue 18, and the
queue's while a service has too few errors to calibrate on (wait_range.py). Service times per service are the last ones
seen (from call to finish); until there are MIN_SAMPLES, the configured time with a spread
of half of it.
"""
from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_SAMPLES = 3
DEFAULT_SPREAD = 0.5  # the configured time's standard deviation, as a share of it
Z = 2.0  # half-width of the range in standard deviations: measured, it holds ~80 % of the
# actual waits in the simulator's days (docs/performance.md), as what it leaves out (no-shows,
# priority tickets passing, agents' pauses) widens the real spread
MIN_HALF_WIDTH = 1.0  # minutes: never a range narrower than ±1 min
RESIDUAL_FLOOR = 0.25  # a citizen past the mean still needs this share of it, expected
HORIZON = 12 * 60.0  # minutes played at most…
MAX_STEPS = 64  # …and tickets; beyond either, the pace so far is extrapolated


LITTLE_HISTORY = "little_history"  # too few of the service's tickets called yet to know the error
COUNTERS_CHANGED = "counters_changed"  # a counter serving it opened or closed a moment ago


@dataclass(frozen=True)
class WaitEstimate:
    low_minutes: int
    high_minutes: int
    counters_open: int
    minutes: int = 0  # the single best guess, within [low, high]
    # False: the pages show the guess and why it is uncertain (uncertain_because), not a range
    reliable: bool = True
    uncertain_because: str | None = None


@dataclass(frozen=True)
class ServiceTime:
    mean: float
    sd: float


@dataclass(frozen=True)
class OpenCounter:
    services: tuple[str, ...]  # in the order it serves them
    busy_with: str | None = None  # the service of the citizen it is serving, if any
    busy_for: float = 0.0  # minutes that citizen has been at the counter


def service_time(recent_minutes: Sequence[float], default_minutes: float) -> ServiceTime:
    """From the recent times; the configured default until there are MIN_SAMPLES."""
    if len(recent_minutes) < MIN_SAMPLES:
        return ServiceTime(default_minutes, default_minutes * DEFAULT_SPREAD)
    n = len(recent_minutes)
    mean = sum(recent_minutes) / n
    # plain floats: statistics.pstdev is exact (fractions) and 50 times slower, on every read
    return ServiceTime(mean, math.sqrt(max(0.0, sum(x * x for x in recent_minutes) / n
                                           - mean * mean)))


def _residual(t: ServiceTime, busy_for: float) -> float:
    return max(t.mean - busy_for, RESIDUAL_FLOOR * t.mean)


def play_forward(service_id: str, ahead: int, counters: Sequence[OpenCounter],
                 waiting: Mapping[str, int], times: Mapping[str, ServiceTime],
                 arrivals: Mapping[str, float] | None = None) -> tuple[float, float] | None:
    """(expected minutes until our ticket is called, the summed variance of the service times
    played before it), or None when no open counter serves the service. `ahead`: our
    service's tickets called before ours; `waiting`: how many wait in each other service;
    `arrivals`: citizens per minute expected in the other services (later ones of ours are
    behind us)."""
    rates = {s: r for s, r in (arrivals or {}).items() if r > 0 and s != service_id}
    free: list[tuple[float, int]] = []
    variance = 0.0
    for i, k in enumerate(counters):
        if service_id not in k.services:
            continue  # it never takes ours; the tickets it takes are not counted ahead of us
        start = 0.0
        if k.busy_with is not None and k.busy_with in times:
            t = times[k.busy_with]
            start = _residual(t, k.busy_for)
            variance += (t.sd * min(1.0, start / t.mean)) ** 2 if t.mean > 0 else 0.0
        free.append((start, i))
    if not free:
        return None
    heapq.heapify(free)
    # the hot loop of every estimate: plain locals, one heap operation per ticket
    orders = [k.services for k in counters]
    left = {s: waiting.get(s, 0) for k in counters for s in k.services}  # before arrivals
    means = {s: times[s].mean for s in left}
    variances = {s: times[s].sd ** 2 for s in left}
    ours: list[float] = []  # when each of our service's tickets before ours was taken
    for _ in range(MAX_STEPS):  # a counter serving ours always has something: ours, at least
        at, i = free[0]
        if at > HORIZON:
            break
        pick = service_id
        for s in orders[i]:
            if s == service_id:
                break
            r = rates.get(s)
            if left[s] + (int(r * at + 0.5) if r else 0) > 0:
                pick = s
                left[s] -= 1
                break
        if pick == service_id:
            if len(ours) == ahead:
                return at, variance
            ours.append(at)
        variance += variances[pick]
        heapq.heapreplace(free, (at + means[pick], i))
    # a long line: the rest at the pace ours went so far (the cost of a read stays bounded);
    # none of ours taken yet: the counters are swamped by other services, "more than a day"
    next_at = free[0][0]
    before = bisect_left(ours, next_at)  # taken strictly before the next free counter
    if before == 0 or next_at <= 0:
        return max(next_at, HORIZON + 1), variance
    # `before` were taken in [0, next_at): the ahead-th (from 0) at about next_at × ahead / before
    return next_at * ahead / before, variance * (ahead + 1) / len(ours)


def spread_range(middle: float, variance: float, serving: int, ahead: int) -> tuple[int, int]:
    """±Z standard deviations of the played service times (n service times shared by k
    counters: the wait's spread is sqrt(their variance) ÷ k): the range before there is a
    history of errors to calibrate on (wait_range.py)."""
    half = max(MIN_HALF_WIDTH, Z * math.sqrt(variance) / serving)
    low = max(0.0, middle - half)
    if ahead > 0:
        low = max(low, 1.0)  # never « entre 0 et … » while people are ahead
    high = middle + half
    return int(low), max(math.ceil(high), int(low) + 1)


def counters_serving(service_id: str, counters: Sequence[OpenCounter]) -> int:
    return sum(1 for k in counters if service_id in k.services)


def estimate_wait(service_id: str, ahead: int, counters: Sequence[OpenCounter],
                  waiting: Mapping[str, int], times: Mapping[str, ServiceTime],
                  arrivals: Mapping[str, float] | None = None) -> WaitEstimate | None:
    """The counters played forward with ±Z standard deviations, as the queue estimated until
    the calibrated ranges (wait_range.py): kept to compare them (simulators.estimate_eval,
    bench.estimate_cost). None when no counter serving the service is open.
    One more person ahead never lowers the middle or the high end of the range."""
    played = play_forward(service_id, ahead, counters, waiting, times, arrivals)
    if played is None:
        return None
    middle, variance = played
    serving = counters_serving(service_id, counters)
    lo, hi = spread_range(middle, variance, serving, ahead)
    return WaitEstimate(lo, hi, serving, min(hi, max(lo, round(middle))))
