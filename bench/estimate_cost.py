"""What one wait estimate costs (domain/estimate.py), in process: the estimate every kiosk
answer, ticket page and service view computes.

    python -m bench.estimate_cost

Four counters sharing four services as in the example town hall (one busy), arrivals still
coming in two services, and 0 to 1,000 people ahead of the ticket. Beyond 64 tickets played
the estimate extrapolates, so the cost stops growing.
"""
from __future__ import annotations

import sys
import timeit

from bench._common import machine_lines
from host_bridge.domain.estimate import OpenCounter, ServiceTime, estimate_wait

COUNTERS = [OpenCounter(("a", "b")), OpenCounter(("b", "a")), OpenCounter(("c", "b"), "c", 3.0),
            OpenCounter(("d", "a"))]
TIMES = {s: ServiceTime(m, m / 2) for s, m in zip("abcd", (4.0, 10.0, 15.0, 20.0))}
ARRIVALS = {"b": 0.1, "c": 0.05}


def main() -> int:
    for line in machine_lines(".", "FULL")[:3]:
        print(line)
    print(f"\n{'people ahead':>12} {'µs per estimate':>16}")
    for ahead in (0, 5, 25, 100, 1000):
        waiting = {"a": ahead, "b": 20, "c": 5, "d": 3}
        runs = 2000
        seconds = min(timeit.repeat(lambda: estimate_wait("a", ahead, COUNTERS, waiting, TIMES,
                                                          ARRIVALS), number=runs, repeat=5))
        print(f"{ahead:>12} {seconds / runs * 1e6:>16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
