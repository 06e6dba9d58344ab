"""Estimated wait as a range, from position, open counters and recent service times."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_SAMPLES = 3


@dataclass(frozen=True)
class WaitEstimate:
    low_minutes: int
    high_minutes: int
    counters_open: int


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def service_time_range(recent_minutes: Sequence[float], default_minutes: float) -> tuple[float, float]:
    """Quartiles of recent service times; the configured default ±50 % until there are enough."""
    if len(recent_minutes) < MIN_SAMPLES:
        return default_minutes * 0.5, default_minutes * 1.5
    ordered = sorted(recent_minutes)
    return _quantile(ordered, 0.25), _quantile(ordered, 0.75)


def estimate_wait(ahead: int, counters_open: int, recent_minutes: Sequence[float],
                  default_minutes: float) -> WaitEstimate | None:
    """None when no counter serving the service is open: there is nothing honest to say."""
    if counters_open <= 0:
        return None
    fast, slow = service_time_range(recent_minutes, default_minutes)
    # Optimistic: the people ahead are shared evenly and served fast. Pessimistic: one more
    # round (the counters may all have just started a citizen) at the slow pace.
    low = ahead * fast / counters_open
    high = (ahead + counters_open) * slow / counters_open
    return WaitEstimate(int(low), max(int(high + 0.999), int(low) + 1), counters_open)
