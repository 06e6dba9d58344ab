"""The figures of a set of days, per estimator: mean absolute error of the point, the share of
actual waits inside the range, the range's median and 90th-percentile width, the share of
tickets told the estimate was uncertain (no range shown)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from .simulate import Outcome


@dataclass(frozen=True)
class Score:
    name: str
    tickets: int
    mae: float
    inside: float  # of the tickets given a range
    median_width: float
    p90_width: float
    uncertain: float  # share told "uncertain" instead of a range


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def score(name: str, outcomes: list[Outcome]) -> Score | None:
    pairs = [(o.told[name], o.waited) for o in outcomes
             if o.waited is not None and o.told.get(name) is not None]
    if not pairs:
        return None
    ranged = [(t, w) for t, w in pairs if t.reliable]
    widths = [t.high - t.low for t, _ in ranged] or [0.0]
    return Score(name, len(pairs), statistics.fmean(abs(t.minutes - w) for t, w in pairs),
                 sum(t.low <= w <= t.high for t, w in ranged) / max(1, len(ranged)),
                 _quantile(widths, 0.5), _quantile(widths, 0.9),
                 1 - len(ranged) / len(pairs))
