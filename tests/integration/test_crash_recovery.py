"""The bridge killed with SIGKILL under load, again and again: nothing acknowledged is lost and a
retried request (same Idempotency-Key) is never applied twice.

Kiosk threads issue tickets and one agent thread per counter presses next / finish / absent, each
logical operation with its own key, retried with that key until an answer arrives. Meanwhile the
bridge process is killed at random moments and restarted on the same database.
"""
from __future__ import annotations

import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from bridge_process import (
    ANY_HOUR_RULES, BridgeProcess, free_port, read_history, read_requests, site_config_copy,
)
from support import AGENT

SERVICES = ("accueil", "etat-civil", "passeports-cni", "urbanisme")
COUNTERS = (1, 2, 3, 4)
ROUNDS = 8
KIOSKS = 2
OP_DEADLINE = 30.0      # seconds one logical operation may take, restarts included
ACKS_PER_ROUND = 25     # answered operations before the kill can come (it then comes at random)


def new_key(name: str) -> str:
    """An Idempotency-Key: unguessable (the bridge wants 16+ characters), readable in failures."""
    return f"{uuid.uuid4().hex}-{name}"


@dataclass
class Op:
    key: str
    kind: str                 # issue / open / next / finish / absent
    counter: int | None
    attempts: int = 0
    status: int | None = None
    answer: dict | None = None


@dataclass
class Ledger:
    """What the clients sent and what they were answered, shared by the client threads."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: list[Op] = field(default_factory=list)       # every operation tried at least once
    acked: list[Op] = field(default_factory=list)      # answered (in answer order)
    failures: list[str] = field(default_factory=list)  # answers a correct bridge would not give
    stop: threading.Event = field(default_factory=threading.Event)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


class Client:
    """One terminal: a connection to whichever process currently runs the bridge."""

    def __init__(self, bridge: BridgeProcess, ledger: Ledger, headers: dict | None = None):
        self.bridge, self.ledger, self.headers = bridge, ledger, headers or {}
        self.http = httpx.Client(timeout=10)

    def send(self, op: Op, path: str, body: dict | None = None) -> Op:
        """POST with the op's key until some answer arrives (the bridge may be dead or restarting)."""
        with self.ledger.lock:
            self.ledger.sent.append(op)
        deadline = time.monotonic() + OP_DEADLINE
        while True:
            op.attempts += 1
            try:
                r = self.http.post(f"{self.bridge.url}{path}", json=body,
                                   headers={**self.headers, "Idempotency-Key": op.key})
                op.status, op.answer = r.status_code, r.json()
                break
            except (httpx.TransportError, ValueError):  # killed mid-request, refused, cut answer
                if time.monotonic() > deadline:
                    raise AssertionError(f"{op.kind} {op.key}: no answer in {OP_DEADLINE} s")
                time.sleep(0.05)  # the pool drops the broken connection by itself
        with self.ledger.lock:
            self.ledger.acked.append(op)
        return op

    def close(self) -> None:
        self.http.close()


def kiosk(bridge: BridgeProcess, ledger: Ledger, k: int, seed: int) -> None:
    rng, client, n = random.Random(seed), Client(bridge, ledger), 0
    try:
        while not ledger.stop.is_set():
            n += 1
            op = client.send(Op(new_key(f"kiosk{k}-{n}"), "issue", None), "/api/tickets",
                             {"service": rng.choice(SERVICES)})
            if op.status != 201:
                ledger.failures.append(f"{op.key}: issue answered {op.status} {op.answer}")
            time.sleep(rng.uniform(0, 0.01))
    finally:
        client.close()


def agent(bridge: BridgeProcess, ledger: Ledger, counter: int, seed: int) -> None:
    """The only one acting at `counter`: it knows whether the counter holds a ticket."""
    rng, client, n = random.Random(seed), Client(bridge, ledger, AGENT), 0

    def act(kind: str) -> Op:
        nonlocal n
        n += 1
        op = client.send(Op(new_key(f"c{counter}-{n}-{kind}"), kind, counter),
                         f"/api/counters/{counter}/{kind}")
        if op.status != 200:
            ledger.failures.append(f"{op.key}: answered {op.status} {op.answer}")
        return op

    try:
        act("open")
        holding = False
        while not ledger.stop.is_set():
            if not holding:
                holding = act("next").answer["counter"]["ticket"] is not None
                if not holding:
                    time.sleep(0.01)  # nobody waits for this counter's services
                continue
            kind = rng.choices(("finish", "absent", "next"), (5, 2, 3))[0]
            op = act(kind)
            holding = op.status == 200 and op.answer["counter"]["ticket"] is not None
    finally:
        client.close()


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def config(tmp_path):
    # guard 0: every press is a real call, so each answer maps to at most one TicketCalled
    return site_config_copy(tmp_path / "site.toml", {**ANY_HOUR_RULES, "guard_seconds": 0})


@pytest.mark.slow
def test_kill_9_under_load_loses_nothing_acknowledged_and_applies_nothing_twice(config, tmp_path):
    seed = int(os.environ.get("SUIVANT_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    bridge = BridgeProcess(config, tmp_path / "queue.db")
    ledger = Ledger()
    bridge.start()
    errors: list[BaseException] = []

    def guarded(fn):
        def run(*args):
            try:
                fn(*args)
            except BaseException as exc:  # a dead client thread fails the test below
                errors.append(exc)
        return run

    workers = [threading.Thread(target=guarded(kiosk), args=(bridge, ledger, k, seed + k),
                                daemon=True) for k in range(KIOSKS)]
    workers += [threading.Thread(target=guarded(agent), args=(bridge, ledger, n, seed + 100 + n),
                                 daemon=True) for n in COUNTERS]
    for w in workers:
        w.start()
    try:
        for _ in range(ROUNDS):
            base = ledger.acked_count()
            wait_until(lambda: ledger.acked_count() >= base + ACKS_PER_ROUND or errors, 20,
                       f"{ACKS_PER_ROUND} answered operations (seed {seed})")
            time.sleep(rng.uniform(0, 0.25))  # a random moment under load
            bridge.kill()
            # a fresh port: on its own port the restart is refused for a minute, see
            # test_restart_on_the_same_port_right_after_a_kill
            bridge.start(port=free_port())
        base = ledger.acked_count()
        wait_until(lambda: ledger.acked_count() >= base + ACKS_PER_ROUND or errors, 20,
                   "operations after the last restart")
    finally:
        ledger.stop.set()
        for w in workers:
            w.join(OP_DEADLINE + 5)
    try:
        if read_history(bridge.db_path).count("DayStarted") > 1:
            pytest.skip("the run crossed midnight: a new day expires the queue by design")
        assert not errors, f"client thread failed (seed {seed}): {errors[0]!r}"
        assert not any(w.is_alive() for w in workers)
        check_after_crashes(bridge, ledger, seed)
    finally:
        bridge.kill()


def check_after_crashes(bridge: BridgeProcess, ledger: Ledger, seed: int) -> None:
    where = f"(seed {seed}, bridge log {bridge.log_path})"
    assert ledger.failures == [], f"refused operations {where}: {ledger.failures[:5]}"
    sent_keys = [op.key for op in ledger.sent]
    assert len(sent_keys) == len(set(sent_keys))
    assert len(ledger.acked) == len(ledger.sent), "every operation was answered in the end"
    retried = [op for op in ledger.acked if op.attempts > 1]
    assert len(retried) >= ROUNDS, f"the kills should have cut some operations {where}"
    issues = [op for op in ledger.acked if op.kind == "issue"]

    # the bridge after the last restart: every acknowledged ticket is there, with its label
    with httpx.Client(base_url=bridge.url, timeout=10) as http:
        for op in issues:
            ticket = op.answer["ticket"]
            r = http.get(f"/api/tickets/{ticket['id']}")
            assert r.status_code == 200, f"acknowledged ticket {ticket['label']} lost {where}"
            assert r.json()["ticket"]["label"] == ticket["label"]
        counters = http.get("/api/counters").json()["counters"]
    shown = [k["ticket"]["label"] for k in counters if k["ticket"]]
    assert len(shown) == len(set(shown)), f"two counters show the same ticket: {shown}"
    bridge.stop()

    history = read_history(bridge.db_path)
    assert history.problems == [], f"{where}: {history.problems[:5]}"
    twice = {history.label(t): n for t, n in history.calls.items() if n > 1}
    assert twice == {}, f"tickets called more than once {where}: {twice}"

    # issued exactly once per key: as many tickets as keys sent (each was retried until answered)
    assert len({op.key for op in issues}) == len(issues)
    assert history.count("TicketIssued") == len(issues), \
        f"{history.count('TicketIssued')} tickets issued for {len(issues)} issue keys {where}"
    by_id = {op.answer["ticket"]["id"]: op.answer["ticket"] for op in issues}
    assert len(by_id) == len(issues), "two issue keys answered with the same ticket"
    for ticket_id, ticket in by_id.items():
        assert ticket_id in history.issued, f"acknowledged {ticket['label']} not in the history"
        assert history.issued[ticket_id]["label"] == ticket["label"]
        assert history.issued[ticket_id]["service"] == ticket["service"]

    # every acknowledged answer is the one stored with its key (a replay returns it unchanged)
    stored = read_requests(bridge.db_path)
    for op in ledger.acked:
        source = "public" if op.kind == "issue" else "user:agents"
        assert (source, op.key) in stored, f"{op.key} answered but its answer was not stored"
        # "replayed" and "printed" say what this request did, not what the queue stored
        received = {k: v for k, v in op.answer.items() if k not in ("replayed", "printed")}
        assert received == stored[(source, op.key)], f"{op.key}: answer differs from the stored one"
    assert len(stored) == len(ledger.acked)

    # each counter called exactly the tickets its agent was told about, in that order
    for number in COUNTERS:
        told = [op.answer["counter"]["ticket"]["label"] for op in ledger.acked
                if op.counter == number and op.kind == "next" and op.answer["counter"]["ticket"]]
        called = [history.label(t) for t in history.called_order.get(number, [])]
        assert called == told, f"counter {number}: history and answers disagree {where}"
    served = sum(1 for op in ledger.acked if op.kind == "finish")
    served += sum(1 for i, op in enumerate(ledger.acked) if op.kind == "next" and _was_holding(ledger, i))
    assert history.count("TicketAbsent") == sum(1 for op in ledger.acked if op.kind == "absent")
    assert history.count("TicketServed") == served
    assert sorted(history.label(t) for t in history.holders.values()) == sorted(shown)


def _was_holding(ledger: Ledger, i: int) -> bool:
    """Whether the counter of the acknowledged op i held a ticket just before it (agent's view)."""
    number = ledger.acked[i].counter
    for op in reversed(ledger.acked[:i]):
        if op.counter == number:
            return op.answer["counter"]["ticket"] is not None
    return False


def test_restart_on_the_same_port_right_after_a_kill(config, tmp_path):
    """A crashed bridge restarted by its supervisor gets its port back at once.

    Clients' connections to the killed process leave sockets in TIME_WAIT on the bridge's port;
    a server (uvicorn does) binds with SO_REUSEADDR so they do not stop it listening again.
    """
    bridge = BridgeProcess(config, tmp_path / "queue.db")
    bridge.start()
    try:
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            keys = [new_key(f"before-kill-{i}") for i in range(5)]
            for key in keys:
                r = http.post("/api/tickets", json={"service": "accueil"},
                              headers={"Idempotency-Key": key})
                assert r.status_code == 201, r.text
            label = r.json()["ticket"]["label"]
            bridge.kill()  # the client's open connection is cut by the crash
        port = bridge.port
        try:
            bridge.start(timeout=10)
        except Exception as exc:
            pytest.fail(f"bridge could not restart on port {port} after a kill -9: {exc}")
        assert bridge.port == port
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            r = http.post("/api/tickets", json={"service": "accueil"},
                          headers={"Idempotency-Key": keys[-1]})
            assert r.status_code == 201 and r.json().get("replayed") is True
            assert r.json()["ticket"]["label"] == label
    finally:
        bridge.kill()
