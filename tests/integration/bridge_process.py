"""The tests' side of a bridge process: the site config they run it on, and its database
read back after a run. The process itself is simulators/bridge_process.py.

    config = site_config_copy(tmp_path / "site.toml")       # example site, open at any hour
    bridge = BridgeProcess(config, tmp_path / "queue.db")     # a free port is chosen
    bridge.start()
    history = read_history(bridge.db_path)                    # checked by a simple replay
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from simulators.bridge_process import BridgeNotReady, BridgeProcess  # noqa: F401  (re-exported)
from support import EXAMPLE, free_port

#: rules that make the example site usable by automated runs at any hour and any weekday
ANY_HOUR_RULES = {"refuse_outside_hours": False}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def site_config_copy(dest: str | Path, rules: dict | None = None, source: str | Path = EXAMPLE,
                     kiosk: str | None = "127.0.0.1") -> Path:
    """Write a copy of `source` to `dest` with keys of its [rules] table replaced (or added),
    and its embedded MQTT broker on a free port (1883 may be another broker's). `kiosk`: an
    address listed in [limits] unlimited_addresses, as a site lists its kiosk PC — the
    tests' clients take tickets far faster than the anonymous rate limit lets anyone.

    `rules` defaults to ANY_HOUR_RULES; pass e.g. {**ANY_HOUR_RULES, "guard_seconds": 0}.
    """
    rules = dict(ANY_HOUR_RULES if rules is None else rules)
    text = Path(source).read_text(encoding="utf-8")
    start = text.index("[rules]")
    following = re.search(r"^\[", text[start + 1:], re.M)
    end = start + 1 + following.start() if following else len(text)
    section = text[start:end]
    for key, value in rules.items():
        line = f"{key} = {_toml_value(value)}"
        section, n = re.subn(rf"^{re.escape(key)}\s*=.*$", line, section, flags=re.M)
        if n == 0:
            section = section.replace("[rules]\n", f"[rules]\n{line}\n", 1)
    text = text[:start] + section + text[end:]
    if not re.search(r"^\[mqtt\]", text, re.M):
        text += f"\n[mqtt]\nembedded_port = {free_port()}\n"
    if kiosk is not None:
        text += f'\n[limits]\nunlimited_addresses = ["{kiosk}"]\n'
    dest = Path(dest)
    dest.write_text(text, encoding="utf-8")
    return dest


# ----- reading the bridge's database after a run --------------------------------------------

@dataclass
class History:
    """The event history of a bridge database, checked by an independent, simple replay.

    `problems` lists every broken invariant (empty when the history is sound): a ticket called
    while not waiting, a counter calling while it still holds a ticket, two counters holding the
    same ticket, a label or ticket id issued twice in a day, a gap in a service's numbering...
    """
    events: list[tuple[int, str, dict]] = field(default_factory=list)  # (seq, type, body)
    issued: dict[str, dict] = field(default_factory=dict)               # ticket id -> TicketIssued body
    calls: Counter = field(default_factory=Counter)                      # ticket id -> TicketCalled count
    called_order: dict[int, list[str]] = field(default_factory=dict)    # counter -> ticket ids called
    holders: dict[int, str] = field(default_factory=dict)                # counter -> ticket held at the end
    problems: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for _, k, _ in self.events if k == kind)

    def label(self, ticket_id: str) -> str:
        return self.issued[ticket_id]["label"]


def read_events(db_path: str | Path) -> list[tuple[int, str, dict]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT seq, type, body FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    return [(seq, kind, json.loads(body)) for seq, kind, body in rows]


def read_requests(db_path: str | Path) -> dict[tuple[str, str], dict]:
    """(source, Idempotency-Key) -> the stored answer, for every keyed request applied."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT source, request_id, answer FROM requests").fetchall()
    finally:
        db.close()
    return {(source, key): json.loads(answer) for source, key, answer in rows}


def read_history(db_path: str | Path, max_number: int = 999) -> History:
    h = History(events=read_events(db_path))
    status: dict[str, str] = {}       # ticket id -> waiting / called / ended (today)
    last_number: dict[str, int] = {}
    for seq, kind, body in h.events:
        where = f"seq {seq} {kind}"
        tid, counter = body.get("ticket_id"), body.get("counter")
        if kind == "DayStarted":
            for today in (status, last_number, h.holders):
                today.clear()
        elif kind == "TicketIssued":
            if tid in h.issued:
                h.problems.append(f"{where}: ticket id {tid} issued twice")
            live = {h.issued[t]["label"] for t, st in status.items() if st != "ended"}
            if body["label"] in live:
                h.problems.append(f"{where}: label {body['label']} given while a live ticket "
                                  "holds it")
            letter = body["label"][:-3]
            expected = last_number.get(body["service"], 0) % max_number + 1
            while f"{letter}{expected:03d}" in live:  # numbering skips the labels still held
                expected = expected % max_number + 1
            if body["number"] != expected:
                h.problems.append(f"{where}: {body['label']} numbered {body['number']}, "
                                  f"expected {expected}")
            h.issued[tid] = body
            last_number[body["service"]] = body["number"]
            status[tid] = "waiting"
        elif kind == "TicketCalled":
            h.calls[tid] += 1
            h.called_order.setdefault(counter, []).append(tid)
            if status.get(tid) != "waiting":
                h.problems.append(f"{where}: ticket {tid} called while {status.get(tid, 'unknown')}")
            if counter in h.holders:
                h.problems.append(f"{where}: counter {counter} calls while holding {h.holders[counter]}")
            others = [k for k, held in h.holders.items() if held == tid and k != counter]
            if others:
                h.problems.append(f"{where}: ticket {tid} called at {counter}, held by {others}")
            h.holders[counter] = tid
            status[tid] = "called"
        elif kind in ("TicketServed", "TicketAbsent"):
            if h.holders.get(counter) != tid:
                h.problems.append(f"{where}: counter {counter} ends {tid} but holds "
                                  f"{h.holders.get(counter)}")
            else:
                del h.holders[counter]
            status[tid] = "ended"
        elif kind == "TicketTransferred":
            if h.holders.get(counter) == tid:
                del h.holders[counter]
            status[tid] = "waiting"
        elif kind == "TicketCancelled":
            if status.get(tid) != "waiting":
                h.problems.append(f"{where}: ticket {tid} cancelled while {status.get(tid)}")
            status[tid] = "ended"
        elif kind in ("CounterPaused", "CounterClosed") and counter in h.holders:
            h.problems.append(f"{where}: counter {counter} stops while holding {h.holders[counter]}")
    return h
