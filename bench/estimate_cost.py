"""What the wait estimate costs per ticket issued, before and since issue 18, in process.

    python -m bench.estimate_cost

1. Per ticket issued, on real queue states: the simulated town hall days of
   simulators.estimate_eval (development seeds). At each ticket issued both are timed, in turn
   and alternating which goes first:
   - before: what the ticket's answer computed until issue 18 (the counters played forward with
     the other services' recent arrivals, ± 2 standard deviations: estimate.estimate_wait with
     the rates the evaluation's History keeps, as the queue kept them then);
   - now: what the queue computes now for a ticket issued: its point at issue, kept to
     calibrate the range when it is called (QueueState._on_issued: _point, nothing remembered
     yet), then the answer's estimate (QueueState.estimate: the same point, remembered, and the
     calibrated range).
2. One estimate against the people ahead (4 counters sharing 4 services, one busy, arrivals
   in two services, 0 to 1,000 ahead; best of 5 × 2,000): play_forward with and without the
   arrivals. Beyond 64 tickets played the estimate extrapolates, so the cost stops growing.
"""
from __future__ import annotations

import statistics
import sys
import time
import timeit

from bench._common import machine_lines
from host_bridge.domain.estimate import (
    OpenCounter, ServiceTime, estimate_wait, play_forward,
)
from simulators.estimate_eval.days import DEVELOPMENT, mairie, prefecture
from simulators.estimate_eval.rivals import History

COUNTERS = [OpenCounter(("a", "b")), OpenCounter(("b", "a")), OpenCounter(("c", "b"), "c", 3.0),
            OpenCounter(("d", "a"))]
TIMES = {s: ServiceTime(m, m / 2) for s, m in zip("abcd", (4.0, 10.0, 15.0, 20.0))}
ARRIVALS = {"b": 0.1, "c": 0.05}


class Timer:
    """An "estimator" for simulate(): times both variants at every ticket issued."""

    name = "timer"

    def __init__(self) -> None:
        self.before: list[float] = []
        self.now: list[float] = []
        self.flip = False
        self.history = History()  # the recent arrivals, for `before`

    def _before(self, state, ticket, ahead) -> float:
        t = time.perf_counter()
        estimate_wait(ticket.service, ahead, *state.estimate_inputs(),
                      self.history.arrival_rates(state.as_of))
        return time.perf_counter() - t

    def _now(self, state, ticket, ahead) -> float:
        state._last_point = None  # as at issue: nothing remembered for this ticket yet
        t = time.perf_counter()
        state._point(ticket.service, ahead, state.as_of)  # QueueState._on_issued's
        state.estimate(ticket.service, ahead)  # the answer's ticket view
        return time.perf_counter() - t

    def told(self, state, ticket, ahead):
        self.history.issue(ticket, ahead)
        self.flip = not self.flip
        if self.flip:
            self.before.append(self._before(state, ticket, ahead))
            self.now.append(self._now(state, ticket, ahead))
        else:
            self.now.append(self._now(state, ticket, ahead))
            self.before.append(self._before(state, ticket, ahead))
        return None

    def called(self, state, ticket, wait) -> None:
        pass


def _us(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def main() -> int:
    from simulators.estimate_eval.simulate import simulate
    for line in machine_lines(".", "FULL")[:3]:
        print(line)
    print(f"\nper ticket issued (µs), simulated days, development seeds {DEVELOPMENT}")
    print(f"{'day':<12} {'tickets':>7} {'before mean':>12} {'now mean':>9} {'before p99':>11} "
          f"{'now p99':>8}")
    for make in (mairie, prefecture):
        timer = Timer()
        for seed in DEVELOPMENT:
            simulate(make(), seed, [timer])
        print(f"{make.__name__:<12} {len(timer.now):>7} {statistics.fmean(timer.before) * 1e6:>12.1f}"
              f" {statistics.fmean(timer.now) * 1e6:>9.1f} {_us(timer.before, 0.99):>11.1f}"
              f" {_us(timer.now, 0.99):>8.1f}")
    print(f"\n{'people ahead':>12} {'with arrivals µs':>17} {'without µs':>11}")
    for ahead in (0, 5, 25, 100, 1000):
        waiting = {"a": ahead, "b": 20, "c": 5, "d": 3}
        runs = 2000
        timings = {}
        for name, arrivals in (("with", ARRIVALS), ("without", None)):
            timings[name] = min(timeit.repeat(
                lambda: play_forward("a", ahead, COUNTERS, waiting, TIMES, arrivals),
                number=runs, repeat=5)) / runs * 1e6
        print(f"{ahead:>12} {timings['with']:>17.1f} {timings['without']:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
