"""The wait estimators on the fixed simulated days: python -m simulators.estimate_eval

    python -m simulators.estimate_eval                    # the held-out days: the figures to report
    python -m simulators.estimate_eval --split development  # the days to choose and tune on
    python -m simulators.estimate_eval --by-day            # a table per kind of day too
    python -m simulators.estimate_eval --during            # and as refreshed while waiting

Each table: per estimator, the tickets scored (those called, with a counter open for them at
issue), the mean absolute error of its guess and against the naive rule's, then of the ranges
shown (not those said uncertain) the share holding the actual wait and their median and
90th-percentile width, and the share of tickets told the estimate was uncertain.
"""
from __future__ import annotations

import argparse
import sys

from . import during
from .days import days
from .rivals import line_up
from .score import Score, score
from .simulate import simulate


def table(title: str, scores: list[Score], baseline: float) -> str:
    lines = [title, f"{'estimator':<12} {'tickets':>7} {'MAE min':>8} {'vs naive':>8} "
                    f"{'inside':>7} {'median w':>9} {'p90 w':>6} {'uncertain':>9}"]
    for s in scores:
        lines.append(f"{s.name:<12} {s.tickets:>7} {s.mae:>8.1f} {s.mae / baseline:>8.2f} "
                     f"{100 * s.inside:>6.0f}% {s.median_width:>9.1f} {s.p90_width:>6.1f} "
                     f"{100 * s.uncertain:>8.0f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.estimate_eval",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--split", choices=("held-out", "development"), default="held-out",
                   help="held-out (default): the days only used to report")
    p.add_argument("--by-day", action="store_true", help="a table per kind of day as well")
    p.add_argument("--during", action="store_true",
                   help="also the shipped estimate as refreshed during the wait, by people ahead")
    args = p.parse_args(argv)
    every, by_plan, checks = [], {}, []
    names: list[str] = []
    for plan, seed in days(args.split):
        estimators = line_up()
        names = [e.name for e in estimators if not e.name.startswith("_")]
        checkpoints = during.Checkpoints() if args.during else None
        out = simulate(plan, seed, estimators, checkpoints)
        if checkpoints is not None:
            checks.append((checkpoints, out))
        every += out
        by_plan.setdefault(plan.name, []).extend(out)
    groups = [(f"{args.split} days, all ({len(by_plan)} kinds)", every)]
    if args.by_day:
        groups += [(name, out) for name, out in by_plan.items()]
    for title, out in groups:
        scores = [s for s in (score(n, out) for n in names) if s is not None]
        base = next(s.mae for s in scores if s.name == "naive")
        print(table(title, scores, base), end="\n\n")
    if checks:
        print(during.table(checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
