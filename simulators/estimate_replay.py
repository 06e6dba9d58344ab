"""The wait estimate, replayed: the bridge's history of a day fed back through the domain, and at
each ticket issued the estimate the queue gives then, against the wait that ticket had.

    python -m simulators.estimate_replay queue.db site.toml

This judges a change of the estimator on a recorded day without running it again: the traffic
does not depend on the estimates (citizens here do not leave when told a long wait), so the
same history judges any version. The estimators are compared and chosen on the fixed simulated
days of `python -m simulators.estimate_eval`. The figures published in docs/performance.md come from
what the kiosk was really told during the day (invariants.estimate_accuracy); a replay with
the code of the day gives the same.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from host_bridge.domain import events as e
from host_bridge.domain.queue import QueueState
from host_bridge.site_config import load
from host_bridge.store.event_codec import event_from_json


@dataclass(frozen=True)
class Replayed:
    label: str
    service: str
    issued_at: datetime
    ahead: int
    low: float
    high: float
    actual: float  # minutes from issue to first call
    minutes: float = 0.0  # the estimate's single guess
    reliable: bool = True  # False: told it was uncertain (no range shown)


def replay(db_path: str, site: Any, tz: Any = None) -> list[Replayed]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT type, body FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    state = QueueState(site)
    told: dict[str, tuple[str, str, datetime, int, Any]] = {}
    called: dict[str, datetime] = {}
    for kind, body in rows:
        ev = event_from_json(kind, body, tz)
        state.apply(ev)
        if isinstance(ev, e.TicketIssued):
            ticket = state.tickets[ev.ticket_id]
            ahead = state.ahead_of(ticket)
            told[ev.ticket_id] = (ev.label, ev.service, ev.at, ahead,
                                  state.estimate(ev.service, ahead))
        elif isinstance(ev, e.TicketCalled):
            called.setdefault(ev.ticket_id, ev.at)
    out = []
    for tid, (label, service, at, ahead, est) in told.items():
        if est is None or tid not in called:
            continue
        out.append(Replayed(label, service, at, ahead, est.low_minutes, est.high_minutes,
                            (called[tid] - at).total_seconds() / 60, est.minutes, est.reliable))
    return out


def summary(rows: list[Replayed]) -> str:
    if not rows:
        return "no ticket to measure"
    mae = statistics.fmean(abs(r.minutes - r.actual) for r in rows)
    ranged = [r for r in rows if r.reliable]  # the ranges shown: not those said uncertain
    held = "no range shown"
    if ranged:
        inside = sum(r.low <= r.actual <= r.high for r in ranged) / len(ranged)
        width = statistics.fmean(r.high - r.low for r in ranged)
        held = f"{100 * inside:.0f} % inside the range, mean range width {width:.1f} min"
    return (f"{len(rows)} tickets: mean absolute error {mae:.1f} min, {held}, "
            f"{100 * (1 - len(ranged) / len(rows)):.0f} % told the estimate was uncertain")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.estimate_replay",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("db", help="the bridge's SQLite file")
    p.add_argument("config", help="the site TOML it ran")
    p.add_argument("--tickets", action="store_true", help="one line per ticket too")
    args = p.parse_args(argv)
    settings = load(args.config)
    rows = replay(args.db, settings.site)
    if args.tickets:
        for r in rows:
            print(f"{r.issued_at:%H:%M} {r.label:5} ahead {r.ahead:3}  told {r.low:3}-{r.high:3}"
                  f"  waited {r.actual:5.1f}")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
