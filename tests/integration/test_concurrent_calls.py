"""Many « Suivant » presses at the same moment: each waiting ticket goes to exactly one counter.

Two layers: the service itself driven by threads (the lock and the store under contention), and a
real `suivant serve` process driven by several client processes over HTTP (uvicorn's thread pool,
the HTTP layer and the store, as in the town hall).
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from collections import Counter as Tally
from datetime import datetime, timedelta

import httpx
import pytest

from bridge_process import ANY_HOUR_RULES, BridgeProcess, read_history, site_config_copy
from support import AGENT, PARIS
from host_bridge.domain import commands as c
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.store.sqlite_store import SqliteStore

SERVICES = ("accueil", "etat-civil", "passeports-cni", "urbanisme")
CATEGORIES = (None, None, None, "cmi", None, "famille")  # a few priority tickets in the mix


class TickingClock:
    """Thread-safe: every reading is 1 ms after the previous one, from a Thursday 10:00 in Paris.

    A real clock could cross midnight during the run (a new day expires the queue); this one
    cannot, and readings taken in the service's lock come out in commit order.
    """

    def __init__(self, start: datetime = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)):
        self._lock = threading.Lock()
        self.current = start

    def now(self) -> datetime:
        with self._lock:
            self.current += timedelta(milliseconds=1)
            return self.current


@pytest.fixture
def service(settings):
    site = dataclasses.replace(settings.site, rules=dataclasses.replace(settings.site.rules,
                                                                        guard_seconds=0))
    store = SqliteStore(settings.db_path, settings.synchronous)
    svc = QueueService(site, store, TickingClock())  # as bootstrap.build wires it
    yield svc
    store.close()


def issue(svc: QueueService, i: int) -> dict:
    command = c.IssueTicket(SERVICES[i % len(SERVICES)], new_ticket_id(), CATEGORIES[i % len(CATEGORIES)])
    return svc.execute(command, "public", f"issue-{i}")["ticket"]


def run_together(workers: list, timeout: float = 60.0) -> list:
    """Run the callables in threads released together by a barrier; their results, in order."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list[BaseException] = []

    def run(i: int, fn) -> None:
        try:
            barrier.wait(timeout)
            results[i] = fn()
        except BaseException as exc:  # reported below: a dead thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, fn), daemon=True) for i, fn in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker thread is stuck (deadlock?)"
    if errors:
        raise errors[0]
    return results


def assert_each_ticket_called_once(history, issued_labels: dict[str, str], answered_labels: list[str]):
    """history: the store's; issued_labels: id -> label; answered_labels: non-empty call answers."""
    assert history.problems == []
    twice = {history.issued[t]["label"]: n for t, n in history.calls.items() if n != 1}
    assert twice == {}, f"tickets called more than once: {twice}"
    never = sorted(label for t, label in issued_labels.items() if history.calls[t] == 0)
    assert never == [], f"tickets never called although calls remained: {never}"
    assert set(history.calls) == set(issued_labels)
    # every answer that named a ticket is one TicketCalled, and no two answers share a ticket
    duplicates = {label: n for label, n in Tally(answered_labels).items() if n > 1}
    assert duplicates == {}, f"the same ticket was announced at two presses: {duplicates}"
    assert sorted(answered_labels) == sorted(issued_labels.values())
    assert history.count("TicketCalled") == len(answered_labels)


# ----- in process: the service under 16 threads ---------------------------------------------

TICKETS = 120
THREADS = 16
CALLS_PER_THREAD = 12  # 48 presses per counter: more than the 30 tickets only counter 3 (or 4) serves


def test_concurrent_call_next_gives_each_ticket_to_one_counter(service, settings):
    tickets = [issue(service, i) for i in range(TICKETS)]
    issued_labels = {t["id"]: t["label"] for t in tickets}
    counters = [k.number for k in service.site.counters]
    for number in counters:
        service.execute(c.OpenCounter(number), "user:agents", f"open-{number}")

    def presses(counter: int):
        def press() -> list[dict]:
            return [service.execute(c.CallNext(counter), "user:agents")["counter"]
                    for _ in range(CALLS_PER_THREAD)]
        return press

    # 4 threads per counter: the same counter pressed concurrently, and every counter shares
    # services with others (accueil and etat-civil are served by three counters each)
    answers = run_together([presses(counters[i % len(counters)]) for i in range(THREADS)])

    announced = [a["ticket"]["label"] for per_thread in answers for a in per_thread if a["ticket"]]
    for per_thread in answers:
        for a in per_thread:
            assert a["ticket"] is None or a["ticket"]["service"] in a["services"], a
    history = read_history(settings.db_path)
    assert_each_ticket_called_once(history, issued_labels, announced)

    # the history was committed in the order it was decided (clock read under the lock)
    times = [datetime.fromisoformat(body["at"]) for _, _, body in history.events]
    assert times == sorted(times)
    # the live state is the replay of the store: a restart would see the same queue
    replayed = QueueService(service.site, service.store, TickingClock())
    assert _snapshot(replayed) == _snapshot(service)
    state = service.state
    held = {n: k.ticket_id for n, k in state.counters.items() if k.ticket_id}
    assert held == history.holders
    assert all(not q for q in state.waiting.values())
    assert {t.id: t.status.value for t in state.tickets.values()} == {
        t: ("called" if t in held.values() else "served") for t in issued_labels}


def _snapshot(svc: QueueService) -> dict:
    return svc.read(lambda s: {
        "tickets": {t.id: (t.label, t.status.value, t.counter) for t in s.tickets.values()},
        "counters": {n: (k.status.value, k.ticket_id) for n, k in s.counters.items()},
        "waiting": {sid: [t.id for t in q] for sid, q in s.waiting.items()},
    })


def test_issuing_while_counters_call_keeps_numbers_and_calls_unique(service, settings):
    """Kiosks issue while agents press: no label twice, no gap, no ticket called twice."""
    counters = [k.number for k in service.site.counters]
    for number in counters:
        service.execute(c.OpenCounter(number), "user:agents")
    issuers, per_issuer = 6, 20

    def kiosk(k: int):
        return lambda: [issue(service, k * per_issuer + j) for j in range(per_issuer)]

    def agent(counter: int):
        return lambda: [service.execute(c.CallNext(counter), "user:agents")["counter"]
                        for _ in range(10)]

    results = run_together([kiosk(k) for k in range(issuers)]
                           + [agent(counters[i % len(counters)]) for i in range(12)])
    tickets = [t for r in results[:issuers] for t in r]
    announced = [a["ticket"]["label"] for r in results[issuers:] for a in r if a["ticket"]]
    assert len(tickets) == issuers * per_issuer
    for sid in SERVICES:
        numbers = sorted(t["label"] for t in tickets if t["service"] == sid)
        letter = service.site.service(sid).letter
        assert numbers == [f"{letter}{n:03d}" for n in range(1, len(numbers) + 1)], sid

    # drain what is left, one press at a time per counter, until nobody waits
    for _ in range(len(tickets)):
        if not any(service.state.waiting.values()):
            break
        for number in counters:
            answer = service.execute(c.CallNext(number), "user:agents")["counter"]
            if answer["ticket"]:
                announced.append(answer["ticket"]["label"])
    history = read_history(settings.db_path)
    assert_each_ticket_called_once(history, {t["id"]: t["label"] for t in tickets}, announced)


def test_replayed_keys_under_contention_apply_once(service, settings):
    """16 threads send the same Idempotency-Key at once: one call, sixteen identical answers."""
    for i in range(8):
        issue(service, i)
    service.execute(c.OpenCounter(1), "user:agents")
    answers = run_together([lambda: service.execute(c.CallNext(1), "user:agents", "press-1")
                            for _ in range(THREADS)])
    history = read_history(settings.db_path)
    assert history.count("TicketCalled") == 1
    first = [a for a in answers if not a.get("replayed")]
    assert len(first) == 1
    assert all({k: v for k, v in a.items() if k != "replayed"} == first[0] for a in answers)
    assert sum(1 for a in answers if a.get("replayed") is True) == THREADS - 1


# ----- over HTTP: a real bridge process and client processes ---------------------------------

HTTP_TICKETS = 60       # 15 per service
CLIENTS = 8             # processes, 2 per counter
PRESSES_PER_CLIENT = 12  # 24 per counter: more than the 15 tickets only counter 3 (or 4) serves


def _client_process(url: str, counter: int, presses: int, barrier, results) -> None:
    """One agent terminal in its own process: `presses` POST .../next as fast as it can."""
    out = []
    try:
        with httpx.Client(base_url=url, headers=AGENT, timeout=30) as client:
            client.get("/api/health").raise_for_status()  # connect before the start line
            barrier.wait(60)
            for _ in range(presses):
                r = client.post(f"/api/counters/{counter}/next")
                try:
                    out.append((r.status_code, r.json().get("counter", r.json())))
                except ValueError:  # not JSON: a crash page, kept for the failure message
                    out.append((r.status_code, r.text[:300]))
    except BaseException as exc:  # the parent fails the test with it
        out.append((-1, repr(exc)))
    results.put((counter, out))


@pytest.fixture
def bridge(tmp_path):
    config = site_config_copy(tmp_path / "site.toml", {**ANY_HOUR_RULES, "guard_seconds": 0})
    proc = BridgeProcess(config, tmp_path / "queue.db")
    proc.start()
    yield proc
    proc.kill()


@pytest.mark.slow
def test_client_processes_pressing_next_over_http(bridge):
    with httpx.Client(base_url=bridge.url, timeout=30) as http:
        issued = {}
        for i in range(HTTP_TICKETS):
            body = {"service": SERVICES[i % 4]}
            if CATEGORIES[i % len(CATEGORIES)]:
                body["category"] = CATEGORIES[i % len(CATEGORIES)]
            r = http.post("/api/tickets", json=body)
            assert r.status_code == 201, r.text
            issued[r.json()["ticket"]["id"]] = r.json()["ticket"]["label"]
        counters = [k["number"] for k in http.get("/api/counters").json()["counters"]]
        for number in counters:
            assert http.post(f"/api/counters/{number}/open", headers=AGENT).status_code == 200

        ctx = multiprocessing.get_context("spawn")  # a clean interpreter per client
        barrier, results = ctx.Barrier(CLIENTS), ctx.Queue()
        procs = [ctx.Process(target=_client_process, daemon=True,
                             args=(bridge.url, counters[i % len(counters)], PRESSES_PER_CLIENT,
                                   barrier, results)) for i in range(CLIENTS)]
        for p in procs:
            p.start()
        try:
            outs = [results.get(timeout=90) for _ in procs]
        finally:
            for p in procs:
                p.join(10)
                if p.is_alive():
                    p.kill()

        announced = []
        for counter, out in outs:
            assert len(out) == PRESSES_PER_CLIENT, out[-1:]
            for status, answer in out:
                assert status == 200, answer
                assert answer["number"] == counter
                if answer["ticket"]:
                    announced.append(answer["ticket"]["label"])

        # what the bridge shows afterwards: nobody waits, no ticket at two counters
        assert all(s["waiting"] == 0 for s in http.get("/api/services").json()["services"])
        shown = [k["ticket"]["label"] for k in http.get("/api/counters").json()["counters"] if k["ticket"]]
        assert len(shown) == len(set(shown))
        assert set(shown) <= set(announced)
        for ticket_id, label in issued.items():
            ticket = http.get(f"/api/tickets/{ticket_id}").json()["ticket"]
            assert ticket["label"] == label
            assert ticket["status"] == ("called" if label in shown else "served"), ticket

    assert bridge.stop() is not None
    history = read_history(bridge.db_path)
    if history.count("DayStarted") > 1:
        pytest.skip("the run crossed midnight: a new day expires the queue by design")
    assert_each_ticket_called_once(history, issued, announced)
    assert {history.label(t) for t in history.holders.values()} == set(shown)
