"""After a simulated day: did the system keep its promises? Read from the bridge's own history
(its SQLite file) and from what the kiosk was told and what every board sent and heard.

    report = check(db_path, issued, boards)      # boards: the VirtualBoards that ran
    report.clean                                 # no ticket lost, none called twice, every
                                                 # press applied once or visibly not
    estimate_accuracy(db_path, issued)           # the wait estimate against what happened
"""
from __future__ import annotations

import json
import sqlite3
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Report:
    tickets_issued: int = 0
    tickets_lost: list[str] = field(default_factory=list)  # told issued, not in the history
    called_twice: list[str] = field(default_factory=list)
    presses: int = 0
    presses_applied: int = 0
    presses_refused: int = 0
    presses_unanswered: int = 0  # never acked: still waiting on the board, or its boot ended
    applied_without_ok: list[str] = field(default_factory=list)  # effect, but the board heard
    ok_without_record: list[str] = field(default_factory=list)  # "ok" it was never recorded
    phantom_presses: list[str] = field(default_factory=list)  # recorded, never pressed
    unfinished: dict[str, int] = field(default_factory=dict)  # tickets by status at the end

    @property
    def clean(self) -> bool:
        return not (self.tickets_lost or self.called_twice or self.ok_without_record
                    or self.phantom_presses)

    def lines(self) -> list[str]:
        return [
            f"tickets: {self.tickets_issued} issued, lost {len(self.tickets_lost)}, "
            f"called twice {len(self.called_twice)}; at the end {self.unfinished}",
            f"presses: {self.presses} made, {self.presses_applied} applied once, "
            f"{self.presses_refused} refused (shown rEFU), {self.presses_unanswered} unanswered "
            f"(dropped with a reboot, or still waiting: LED amber); "
            f"ok-but-not-recorded {len(self.ok_without_record)}, recorded-but-never-pressed "
            f"{len(self.phantom_presses)}, applied-but-the-board-never-heard "
            f"{len(self.applied_without_ok)}",
            "invariants: " + ("CLEAN" if self.clean else "BROKEN"),
        ]


def _history(db: sqlite3.Connection) -> list[tuple[int, str, dict[str, Any]]]:
    return [(seq, kind, json.loads(body))
            for seq, kind, body in db.execute("SELECT seq, type, body FROM events ORDER BY seq")]


def check(db_path: str, issued: list[Any], boards: list[Any]) -> Report:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        history = _history(db)
        requests = {(src, rid) for src, rid in db.execute(
            "SELECT source, request_id FROM requests WHERE source LIKE 'device:%'")}
    finally:
        db.close()
    report = Report(tickets_issued=len(issued))
    in_history = {(b["label"], b["at"][:19]) for _, k, b in history if k == "TicketIssued"}
    report.tickets_lost = [i.label for i in issued
                           if (i.label, i.issued_at.isoformat()[:19]) not in in_history]
    calls: Counter[str] = Counter()
    transfers: Counter[str] = Counter()
    status: dict[str, str] = {}
    final = {"TicketServed": "served", "TicketAbsent": "absent", "TicketCancelled": "cancelled"}
    for _, kind, body in history:
        tid = body.get("ticket_id")
        if kind == "TicketIssued":
            status[tid] = "waiting"
        elif kind == "TicketCalled":
            calls[tid] += 1
            status[tid] = "called"
        elif kind == "TicketTransferred":
            transfers[tid] += 1
            status[tid] = "waiting"
        elif kind in final:
            status[tid] = final[kind]
        elif kind == "DayStarted":
            for expired in body.get("expired", []):
                status[expired] = "expired"
    report.called_twice = [t for t, n in calls.items() if n > 1 + transfers[t]]
    report.unfinished = dict(Counter(status.values()))
    pressed = set()
    for board in boards:
        acks = {(boot, seq): result for boot, seq, result, _ in board.acked}
        for boot, seq, _kind, _fields in board.sent:
            key = (f"device:{board.id}", f"{boot}:{seq}")
            pressed.add(key)
            report.presses += 1
            result = acks.get((boot, seq))
            if result == "ok":
                report.presses_applied += 1
                if key not in requests:
                    report.ok_without_record.append(f"{board.id} {boot}:{seq}")
            elif result == "refused":
                report.presses_refused += 1
            else:
                report.presses_unanswered += 1
                if key in requests:  # applied, and the ack was lost with a reboot
                    report.applied_without_ok.append(f"{board.id} {boot}:{seq}")
    report.phantom_presses = sorted(f"{s} {r}" for s, r in requests - pressed)
    return report


@dataclass
class Accuracy:
    tickets: int
    mae_ours: float  # minutes, from the estimate's guess
    mae_naive: float
    inside: float  # share of actual waits inside [low, high], of the ranges shown
    uncertain: float = 0.0  # share of tickets told the estimate was uncertain (no range)
    median_width: float = 0.0  # minutes, of the ranges shown
    p90_width: float = 0.0

    def line(self) -> str:
        return (f"wait estimate over {self.tickets} tickets: mean absolute error "
                f"{self.mae_ours:.1f} min (naive baseline {self.mae_naive:.1f} min); "
                f"{100 * self.inside:.0f} % of actual waits inside the range given (width: "
                f"median {self.median_width:.0f} min, 90th percentile {self.p90_width:.0f}); "
                f"{100 * self.uncertain:.0f} % told it was uncertain")


def estimate_accuracy(db_path: str, issued: list[Any]) -> Accuracy | None:
    """The estimate each citizen was given against the wait they had (issue to first call)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        history = _history(db)
    finally:
        db.close()
    issued_at: dict[str, tuple[str, str]] = {}
    first_call: dict[str, str] = {}
    for _, kind, body in history:
        if kind == "TicketIssued":
            issued_at[body["ticket_id"]] = (body["label"], body["at"][:19])
        elif kind == "TicketCalled":
            first_call.setdefault(body["ticket_id"], body["at"])
    called = {issued_at[t]: at for t, at in first_call.items() if t in issued_at}
    ours, naive, inside, widths = [], [], 0, []
    for i in issued:
        at = called.get((i.label, i.issued_at.isoformat()[:19]))
        if at is None or i.low is None or i.naive is None:
            continue
        wait = (datetime.fromisoformat(at) - i.issued_at).total_seconds() / 60
        guess = i.minutes if i.minutes is not None else (i.low + i.high) / 2
        ours.append(abs(guess - wait))
        naive.append(abs(i.naive - wait))
        if i.reliable:
            widths.append(i.high - i.low)
            inside += i.low <= wait <= i.high
    if not ours:
        return None
    widths.sort()
    at = (lambda q: widths[min(len(widths) - 1, int(q * len(widths)))]) if widths else \
        (lambda q: 0.0)
    return Accuracy(len(ours), statistics.fmean(ours), statistics.fmean(naive),
                    inside / max(1, len(widths)), 1 - len(widths) / len(ours), at(0.5), at(0.9))
