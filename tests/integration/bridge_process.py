"""A real `suivant serve` in a subprocess, for tests and benchmarks that need a bridge process.

    config = site_config_copy(tmp_path / "site.toml")       # example site, open at any hour
    bridge = BridgeProcess(config, tmp_path / "queue.db")     # a free port is chosen
    bridge.start()                                            # returns once /api/health answers
    httpx.post(f"{bridge.url}/api/tickets", json={"service": "accueil"})
    bridge.kill()                                             # SIGKILL: a crash, nothing flushed
    bridge.start(port=free_port())                            # same db (see start() on ports)
    bridge.stop()                                             # SIGTERM, then SIGKILL if stuck

Only the standard library is used here, so any client (httpx, urllib, a load tool) fits.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from support import EXAMPLE, ROOT, free_port

#: rules that make the example site usable by automated runs at any hour and any weekday
ANY_HOUR_RULES = {"refuse_outside_hours": False}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def site_config_copy(dest: str | Path, rules: dict | None = None, source: str | Path = EXAMPLE) -> Path:
    """Write a copy of `source` to `dest` with keys of its [rules] table replaced (or added),
    and its embedded MQTT broker on a free port (1883 may be another broker's).

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
    dest = Path(dest)
    dest.write_text(text, encoding="utf-8")
    return dest


class BridgeNotReady(RuntimeError):
    pass


class BridgeProcess:
    """One bridge subprocess on a fixed port and database; start() again after kill() or stop()."""

    def __init__(self, config_path: str | Path, db_path: str | Path, port: int | None = None,
                 host: str = "127.0.0.1", log_path: str | Path | None = None):
        self.config_path, self.db_path = Path(config_path), Path(db_path)
        self.host, self.port = host, port or free_port(host)
        self.log_path = Path(log_path) if log_path else self.db_path.with_suffix(".bridge.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "host_bridge.cli", "serve", "--config", str(self.config_path),
                "--host", self.host, "--port", str(self.port), "--db", str(self.db_path)]

    def start(self, timeout: float = 30.0, port: int | None = None) -> dict:
        """Launch the bridge (on `port` if given, else the current one) and return its health
        answer once GET /api/health answers 200. Raises BridgeNotReady, with the end of the
        bridge's log, if it exits first or does not answer in `timeout` seconds.

        After kill() under load, pass a new port (free_port()): `suivant serve` refuses a port
        that sockets of the killed process still hold in TIME_WAIT, for about a minute (see
        test_crash_recovery.py::test_restart_on_the_same_port_right_after_a_kill).
        """
        if self.running:
            raise RuntimeError(f"bridge already running (pid {self.pid})")
        if port is not None:
            self.port = port
        self._launch()
        try:
            return self.wait_healthy(timeout)
        except BridgeNotReady:
            self.kill()
            raise

    def restart(self, timeout: float = 30.0, port: int | None = None) -> dict:
        """kill() if running, then start() on the same database."""
        self.kill()
        return self.start(timeout, port)

    def _launch(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts + 1}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def health(self, timeout: float = 2.0) -> dict | None:
        """The health answer, or None when the bridge does not answer (yet)."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/health", timeout=timeout) as resp:
                if resp.status == 200:
                    return json.loads(resp.read())
        except (OSError, ValueError):  # refused, reset, timed out, half-written answer
            return None
        return None

    def wait_healthy(self, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise BridgeNotReady(f"bridge exited with code {self.proc.returncode} before "
                                     f"answering:\n{self.log_tail()}")
            answer = self.health(timeout=1.0)
            if answer is not None:
                return answer
            if time.monotonic() >= deadline:
                raise BridgeNotReady(f"no answer from {self.url}/api/health in {timeout:.0f} s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut of the process would: no cleanup runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (uvicorn's graceful stop), SIGKILL if it lingers; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> BridgeProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


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
    labels: set[tuple[str, str]] = set()
    last_number: dict[str, int] = {}
    for seq, kind, body in h.events:
        where = f"seq {seq} {kind}"
        tid, counter = body.get("ticket_id"), body.get("counter")
        if kind == "DayStarted":
            for today in (status, labels, last_number, h.holders):
                today.clear()
        elif kind == "TicketIssued":
            if tid in h.issued:
                h.problems.append(f"{where}: ticket id {tid} issued twice")
            if (body["service"], body["label"]) in labels:
                h.problems.append(f"{where}: label {body['label']} issued twice today")
            expected = last_number.get(body["service"], 0) % max_number + 1
            if body["number"] != expected:
                h.problems.append(f"{where}: {body['label']} numbered {body['number']}, "
                                  f"expected {expected}")
            h.issued[tid] = body
            labels.add((body["service"], body["label"]))
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
