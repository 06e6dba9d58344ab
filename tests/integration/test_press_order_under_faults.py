"""Issue 10's order-and-faults run: twenty counter terminals pressing Suivant, Terminé, Absent
and Rappel at random, through a real Mosquitto with the generated accounts and ACL, while the
bridge (`suivant serve`) is killed with SIGKILL and restarted five times, the broker restarted
three times, and a fault proxy duplicates 10 % of what the boards send and drops 10 % of what
they receive (acks and shows). Then, from the bridge's own history and what each board heard:

- every press answered, and no board ever heard two different answers for one press;
- no press applied after it was refused, no stale press applied (each board's presses take
  effect in the order it made them), no ticket served or marked absent by a press older than
  the press that called it;
- no ticket lost, none called twice; every terminal and display shows its counter's ticket.

The counts are printed (pytest -s) and recorded in docs/performance.md.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from host_bridge.links.mosquitto_config import write_broker_config
from host_bridge.links.registry import DeviceRegistry
from host_bridge.site_config import load
from mosquitto_broker import MosquittoBroker
from simulators.boards import BoardFarm, board_config
from simulators.bridge_process import BridgeProcess, free_port
from simulators.fault_proxy import FaultProxy, Faults
from support import AGENT, EXAMPLE

pytestmark = pytest.mark.slow
COUNTERS = 20
DISPLAYS = 5  # counter displays on counters 1-5 (and every terminal shows its own ticket)
# 35 s in the test run (the same kills and restarts, closer together); the runs recorded in
# docs/performance.md took 50 (SUIVANT_FAULT_RUN_S=50)
RUN_S = float(os.environ.get("SUIVANT_FAULT_RUN_S", 35))
BRIDGE_KILLS, BROKER_RESTARTS = 5, 3
BUTTONS = ["next"] * 5 + ["finish"] * 2 + ["absent"] * 2 + ["recall"] * 2
BRIDGE_USER, BRIDGE_PASSWORD = "suivant-bridge", "bridge-secret-storm"
SERVICES = ("accueil", "etat-civil")


def site_file(folder: Path, broker_port: int) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("refuse_outside_hours = true", "refuse_outside_hours = false")
    text = text.replace("guard_seconds = 2", "guard_seconds = 1")
    text = text.replace('path = "mairie.db"', f'path = "{folder / "queue.db"}"')
    text = text.replace('devices_path = "devices.db"', f'devices_path = "{folder / "devices.db"}"')
    for number in range(5, COUNTERS + 1):
        text += (f'\n[[counters]]\nnumber = {number}\nname = "Guichet {number}"\n'
                 f'services = ["{SERVICES[number % 2]}", "{SERVICES[(number + 1) % 2]}"]\n')
    text += (f'\n[mqtt]\nurl = "mqtt://127.0.0.1:{broker_port}"\n'
             f'username = "{BRIDGE_USER}"\npassword = "{BRIDGE_PASSWORD}"\n')
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Kiosk:
    """Citizens at a kiosk signed in as staff (not rate-limited), each ticket with its own
    Idempotency-Key, retried with the same key until the bridge answers: none lost, none
    doubled, whatever the bridge is doing."""

    def __init__(self, bridge: BridgeProcess):
        self.bridge = bridge
        self.issued: dict[str, str] = {}  # ticket id -> label
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def post(self, path: str, body: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
        data = json.dumps(body or {}).encode()
        request = urllib.request.Request(self.bridge.url + path, data=data, method="POST",
                                         headers={**AGENT, "Idempotency-Key": key,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=3) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())
        except (OSError, ValueError):
            return None  # the bridge is down: the same key again

    def until_answered(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        key = f"storm-{uuid.uuid4()}"
        while True:
            answer = self.post(path, body, key)
            if answer is not None:
                return answer
            time.sleep(0.2)

    def run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            answer = self.until_answered("/api/tickets", {"service": rng.choice(SERVICES)})
            ticket = answer.get("ticket")
            if ticket:
                self.issued[ticket["id"]] = ticket["label"]
            self.stop.wait(0.15)


def _config(dev: Any, site: str, port: int) -> dict[str, Any]:
    cfg = board_config(dev.id, dev.role, dev.key, site, dev.counter,
                       broker=("127.0.0.1", port, dev.broker_password or "-"), status_s=10)
    if dev.role == "counter":  # the optional « Terminé » key, on a free GPIO
        cfg["pins"]["buttons"]["finish"] = 13
    return cfg


def agents(farm: BoardFarm, stop: threading.Event) -> None:
    rng = random.Random(11)
    while not stop.is_set():
        farm.press(f"term-{rng.randint(1, COUNTERS)}", rng.choice(BUTTONS), hold_ms=60)


def test_presses_keep_their_order_and_answers_through_kills_restarts_and_bad_networks(tmp_path):
    folder = tmp_path
    registry = DeviceRegistry(str(folder / "devices.db"))
    terminals = [registry.add(f"term-{k}", "counter", k) for k in range(1, COUNTERS + 1)]
    displays = [registry.add(f"disp-{k}", "display", k) for k in range(1, DISPLAYS + 1)]
    files = write_broker_config(folder / "broker", "mairie-villeneuve", registry.all(),
                                BRIDGE_USER, BRIDGE_PASSWORD)
    registry.close()
    broker = MosquittoBroker(
        extra="allow_anonymous false\npassword_file {folder}/passwd\nacl_file {folder}/acl\n",
        files={"passwd": files.passwd.read_text(), "acl": files.acl.read_text()})
    broker.start()
    config = site_file(folder, broker.port)
    settings = load(config)
    bridge = BridgeProcess(config, folder / "queue.db")
    farm = BoardFarm().start()
    proxy = FaultProxy(("127.0.0.1", broker.port), Faults(duplicate=0.1), seed=5,
                       down=Faults(drop=0.1))
    kiosk = Kiosk(bridge)
    stop_agents = threading.Event()
    presser = threading.Thread(target=agents, args=(farm, stop_agents), daemon=True)
    try:
        bridge.start(timeout=60)
        proxy_port = asyncio.run_coroutine_threadsafe(proxy.start(), farm.loop).result(10)
        boards = {dev.id: farm.add(_config(dev, settings.site.id, proxy_port), dev.key)
                  for dev in terminals + displays}
        for k in range(1, COUNTERS + 1):
            assert "counter" in kiosk.until_answered(f"/api/counters/{k}/open")
        kiosk.thread.start()
        presser.start()
        faults = ["bridge"] * BRIDGE_KILLS + ["broker"] * BROKER_RESTARTS
        random.Random(3).shuffle(faults)
        started = time.monotonic()
        for i, fault in enumerate(faults):
            time.sleep(max(0.0, started + RUN_S * (i + 1) / (len(faults) + 1) - time.monotonic()))
            if fault == "bridge":
                bridge.kill()
                bridge.start(timeout=60, port=free_port())  # the old port may be in TIME_WAIT
            else:
                broker.restart()
        time.sleep(max(0.0, started + RUN_S - time.monotonic()))
        stop_agents.set()
        kiosk.stop.set()
        presser.join(10)
        kiosk.thread.join(30)
        proxy.faults, proxy.down = Faults(), Faults()  # the network heals: everything settles
        farm.wait(lambda: not any(b.dev.pending.waiting for b in boards.values()), timeout=60,
                  what="every press answered")
        expected = _screens(bridge)
        farm.wait(lambda: all(b.dev.line1 == expected[b.counter] for b in boards.values()),
                  timeout=30, what="every terminal and display on its counter's ticket")
    finally:
        stop_agents.set()
        kiosk.stop.set()
        farm.call(lambda: None)
        asyncio.run_coroutine_threadsafe(proxy.stop(), farm.loop).result(10)
        farm.stop()
        bridge.stop()
        broker.stop()
    report = analyse(str(folder / "queue.db"), boards, kiosk.issued)
    report["proxy"] = proxy.counts
    report["bridge_starts"] = bridge.starts
    print("\norder-and-faults run:", json.dumps(report, indent=1))
    assert bridge.starts == 1 + BRIDGE_KILLS
    assert report["presses"] >= 200 and report["applied"] >= 50, report
    assert report["proxy"]["drop"] > 0 and report["proxy"]["duplicate"] > 0
    assert report["unanswered"] == 0
    assert report["two_answers_for_one_press"] == []
    assert report["answer_heard_differs_from_record"] == []
    assert report["applied_after_refused"] == []
    assert report["stale_applied"] == []
    assert report["served_or_absent_by_an_older_press"] == []
    assert report["tickets_lost"] == [] and report["called_twice"] == []


def _screens(bridge: BridgeProcess) -> dict[int, str]:
    with urllib.request.urlopen(bridge.url + "/api/counters", timeout=5) as answer:
        counters = json.loads(answer.read())["counters"]
    out = {}
    for k in counters:
        ticket = k.get("ticket")
        out[k["number"]] = ticket["label"] if ticket else {"open": "----", "paused": "PAUS",
                                                           "closed": "CLOS"}[k["status"]]
    return out


def analyse(db_path: str, boards: dict[str, Any], issued: dict[str, str]) -> dict[str, Any]:
    """The promises, checked against the bridge's history and the boards' journals."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    events = [(seq, kind, json.loads(body)) for seq, kind, body in
              db.execute("SELECT seq, type, body FROM events ORDER BY seq")]
    requests = {(source, rid): (json.loads(answer), last) for source, rid, answer, last in
                db.execute("SELECT source, request_id, answer, last_seq FROM requests")}
    db.close()
    # each event belongs to the request that committed it: the first whose last event is at
    # or after it (every command of this run carries a request id, but the day's start;
    # last_seq is NULL for an answer that made no event)
    ends = sorted((last, key) for key, (_, last) in requests.items() if last is not None)
    owner: dict[int, tuple[str, str]] = {}
    i = 0
    for seq, kind, _ in events:
        while i < len(ends) and ends[i][0] < seq:
            i += 1
        if kind != "DayStarted" and i < len(ends):
            owner[seq] = ends[i][1]
    applied_seqs = {key for key in owner.values()}
    r: dict[str, Any] = {"presses": 0, "applied": 0, "refused": Counter(), "unanswered": 0,
                         "two_answers_for_one_press": [], "answer_heard_differs_from_record": [],
                         "applied_after_refused": [], "stale_applied": [],
                         "served_or_absent_by_an_older_press": []}
    for board in boards.values():
        source = f"device:{board.id}"
        answers: dict[tuple[str, int], set[tuple[str, str]]] = defaultdict(set)
        for boot, seq, result, text in board.heard:
            if result != "error":
                answers[(boot, seq)].add((result, text))
        for boot, seq, kind, _ in board.sent:
            r["presses"] += 1
            heard = answers.get((boot, seq), set())
            if not heard:
                r["unanswered"] += 1
                continue
            if len(heard) > 1:
                r["two_answers_for_one_press"].append((board.id, seq, sorted(heard)))
            (result, text), = sorted(heard)[:1]
            stored, _ = requests.get((source, f"{boot}:{seq}"), ({}, None))
            if ("refused" in stored) != (result == "refused"):
                r["answer_heard_differs_from_record"].append((board.id, seq, result, stored))
            if result == "refused":
                r["refused"][text] += 1
                if (source, f"{boot}:{seq}") in applied_seqs:
                    r["applied_after_refused"].append((board.id, seq, text))
            else:
                r["applied"] += 1
    # each board's presses take effect in the order it made them
    last_applied: dict[str, tuple[str, int]] = {}
    called_by: dict[str, tuple[str, str]] = {}
    calls: Counter[str] = Counter()
    for seq, kind, body in events:
        key = owner.get(seq)
        source, rid = key if key else ("", "")
        if source.startswith("device:") and kind not in ("TicketIssued",):
            boot, _, n = rid.partition(":")
            before = last_applied.get(source)
            if before is not None and before[0] == boot and before[1] > int(n):
                r["stale_applied"].append((source, rid, kind))
            last_applied[source] = (boot, int(n))
        if kind == "TicketCalled":
            calls[body["ticket_id"]] += 1
            called_by[body["ticket_id"]] = (source, rid)
        elif kind == "TicketRecalled":
            called_by[body["ticket_id"]] = (source, rid)
        elif kind in ("TicketServed", "TicketAbsent") and source.startswith("device:"):
            by_source, by_rid = called_by.get(body["ticket_id"], ("", ""))
            boot, _, n = rid.partition(":")
            if by_source == source and by_rid.partition(":")[0] == boot \
                    and int(by_rid.partition(":")[2]) > int(n):
                r["served_or_absent_by_an_older_press"].append((source, rid, body["ticket_id"]))
    in_history = {body["ticket_id"] for _, kind, body in events if kind == "TicketIssued"}
    r["tickets_issued"] = len(issued)
    r["tickets_lost"] = sorted(set(issued) - in_history)
    r["called_twice"] = sorted(t for t, n in calls.items() if n > 1)
    r["refused"] = dict(r["refused"])
    r["tickets_called"] = len(calls)
    return r
