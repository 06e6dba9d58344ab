"""The estimate as a waiting citizen sees it refreshed: every CHECK minutes of a simulated
day, what the queue tells each walk-in still waiting, against the wait it still had. By the
people then ahead: the range should narrow as the turn approaches and still hold its share."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from host_bridge.domain.queue import QueueState

from .simulate import Outcome

CHECK = timedelta(minutes=10)
BUCKETS = ((0, 0), (1, 2), (3, 5), (6, 10), (11, 10_000))


class Checkpoints:
    """simulate(..., every=Checkpoints()): records (ticket, time, ahead, estimate)."""

    def __init__(self) -> None:
        self.next: datetime | None = None
        self.seen: list[tuple[str, datetime, int, object]] = []

    def __call__(self, state: QueueState, now: datetime) -> None:
        if self.next is None:
            self.next = now
        if now < self.next:
            return
        self.next = now + CHECK
        for service, line in state.waiting.items():
            for ticket in line:
                if ticket.appointment_at is not None:
                    continue
                ahead = state.ahead_of(ticket)
                est = state.estimate(service, ahead)
                if est is not None:
                    self.seen.append((ticket.id, now, ahead, est))


def table(checks: list[tuple[Checkpoints, list[Outcome]]]) -> str:
    rows: dict[tuple[int, int], list[tuple[float, object]]] = {b: [] for b in BUCKETS}
    for cp, outcomes in checks:
        called = {o.ticket_id: o.issued_at + timedelta(minutes=o.waited)
                  for o in outcomes if o.waited is not None}
        for tid, now, ahead, est in cp.seen:
            if tid not in called:
                continue
            left = (called[tid] - now).total_seconds() / 60
            bucket = next(b for b in BUCKETS if b[0] <= ahead <= b[1])
            rows[bucket].append((left, est))
    lines = ["during the wait, every 10 min (the shipped estimate)",
             f"{'ahead':<7} {'looks':>6} {'MAE min':>8} {'inside':>7} {'median w':>9} "
             f"{'p90 w':>6} {'uncertain':>9}"]
    for (lo, hi), got in rows.items():
        if not got:
            continue
        ranged = [(left, e) for left, e in got if e.reliable]
        widths = sorted(e.high_minutes - e.low_minutes for _, e in ranged) or [0]
        inside = sum(e.low_minutes <= left <= e.high_minutes for left, e in ranged)
        label = f"{lo}" if lo == hi else (f"{lo}-{hi}" if hi < 10_000 else f"{lo}+")
        lines.append(f"{label:<7} {len(got):>6} "
                     f"{statistics.fmean(abs(e.minutes - left) for left, e in got):>8.1f} "
                     f"{100 * inside / max(1, len(ranged)):>6.0f}% "
                     f"{widths[len(widths) // 2]:>9} {widths[int(0.9 * len(widths))]:>6} "
                     f"{100 * (1 - len(ranged) / len(got)):>8.0f}%")
    return "\n".join(lines)
