"""The wait estimate's range, calibrated on the estimator's own recent errors (split conformal
prediction): each ticket called tells how wrong its estimate at issue was; the range given now
is the equal-tailed interval that held enough of those errors.

An error is scaled by sqrt(people ahead + 1): the wait is a sum of about that many service
times, so its spread grows as the square root of the people ahead, and the range narrows as
the turn approaches. The range of a ticket with `ahead` people before it is the point estimate
plus the split conformal interval of the last WINDOW scaled errors of its service (equal
tails: conformal_interval), times sqrt(ahead + 1).

With errors alike (exchangeable), split conformal holds LEVEL by construction
(tests/unit/test_wait_range.py checks it on synthetic errors). Successive tickets' errors are
not quite alike (a break, a long file hold up everyone issued in the same half-hour); measured
on the simulated days (python -m simulators.estimate_eval), 80 % asked held 80 % on the
development days (docs/performance.md gives the held-out figures).
"""
from __future__ import annotations

import math
from collections import deque
from fractions import Fraction
from functools import lru_cache

LEVEL = 0.8  # the share of actual waits a range should hold, as the pages promise
WINDOW = 40  # the service's last called tickets whose errors calibrate its range
MIN_MINUTES = 1  # with people ahead, a range never starts below this: never « entre 0 et … »


def scale(ahead: int) -> float:
    return math.sqrt(max(0, ahead) + 1)


class Errors:
    """One service's last WINDOW scaled errors (actual − told) ÷ scale, with their bounds kept
    until the next error: every estimate of the service reads them."""

    __slots__ = ("_recent", "_bounds")

    def __init__(self) -> None:
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._bounds: tuple[float, float] | None | bool = False  # False: not made yet

    def __len__(self) -> int:
        return len(self._recent)

    def __eq__(self, other: object) -> bool:
        """The same errors (a state and its replay compare equal)."""
        return isinstance(other, Errors) and list(self._recent) == list(other._recent)

    def __repr__(self) -> str:
        return f"Errors({list(self._recent)!r})"

    def clear(self) -> None:
        self._recent.clear()
        self._bounds = False

    def add(self, error: float) -> None:
        if math.isfinite(error):
            self._recent.append(error)
            self._bounds = False

    def bounds(self) -> tuple[float, float] | None:
        """conformal_interval of the errors; None while there are too few for LEVEL (the
        estimate is then said to be uncertain)."""
        if self._bounds is False:
            self._bounds = conformal_interval(self._recent, LEVEL)
        return self._bounds  # type: ignore[return-value]


def conformal_interval(errors, level: float) -> tuple[float, float] | None:
    """Split conformal with equal tails: a new error, alike the n given, falls below the
    ⌊(n + 1)(1 − level)/2⌋-th smallest and above the ⌈(n + 1)(1 + level)/2⌉-th each with
    probability at most (1 − level)/2. None while n is too small for both (19 for 90 %).
    (The shortest interval holding ⌈(n + 1) level⌉ errors, tried first, held only ~85 % for
    90 % asked, a median-centred one ~87 %: choosing the interval by the sample itself breaks
    the guarantee: tests/unit/test_wait_range.py.)"""
    ordered = sorted(errors)
    n = len(ordered)
    low_k, high_k = _ranks(n, level)
    if low_k < 1 or high_k > n:
        return None
    return ordered[low_k - 1], ordered[high_k - 1]


@lru_cache(maxsize=256)
def _ranks(n: int, level: float) -> tuple[int, int]:
    """In exact fractions (1 - 0.8 is 0.19999999999999996 in floats: a rank one off), once per
    n: they are slow, and the bounds are made again at every ticket called."""
    exact = Fraction(str(level))
    return math.floor((n + 1) * (1 - exact) / 2), math.ceil((n + 1) * (1 + exact) / 2)


def calibrated(point: float, ahead: int, bounds: tuple[float, float]) -> tuple[int, int]:
    """(low, high) in whole minutes: ordered, never negative, never starting below MIN_MINUTES
    while people are ahead, at least a minute wide (the caller brings its point inside)."""
    s = scale(ahead)
    low = max(0.0, point + bounds[0] * s)
    if ahead > 0:
        low = max(low, MIN_MINUTES)
    high = point + bounds[1] * s
    lo = int(low)
    return lo, max(math.ceil(high), lo + 1)
