"""Requests per second and latency over HTTP, against a real `suivant serve` (uvicorn) process,
per size of the day the server finds in its database.

    python -m bench.http_latency                        # days of 100, 1,000, 10,000 tickets; 1 and 8 clients
    python -m bench.http_latency --day 0 --requests 2000    # a fresh database only (no day yet)
    python -m bench.http_latency --day 10000 --clients 8 --requests 4000
    python -m bench.http_latency --mode thread          # client threads instead of processes

The server is `python -m host_bridge.cli serve` on a free loopback port with a database in a
temp dir and the example town hall (examples/mairie.toml) changed in three places: open at any
hour, guard_seconds = 0 (every « Suivant » commits), and the chosen synchronous mode.

The day (issue 12: no per-request cost may grow with the tickets the day has seen): before the
server starts, a day of --day N tickets is made in this process through the real code path,
QueueService.execute on the same database (synchronous=NORMAL there, to be quick; the server
then opens it with the chosen mode): tickets issued by the kiosk (an Idempotency-Key each, so
the store's answers table is a day's size too) while the four counters call « Suivant », the
line held at 10-40, a few marked absent and a few cancelled; at the end nearly all are served.
The events are stamped over the last hours of today (a ManualClock ending now), so the server,
on the wall clock, continues the same business day. One such day is made per size and copied
for each client count, so every row starts from the same day; the measured requests add their
tickets to it (the table says how many the day held at the start and at the end).

For each day size and client count, --requests of each operation (each client keeps one keep-alive
connection; the clients share the requests):
  issue   POST /api/tickets {"service": ...}  with an Idempotency-Key each (as a kiosk would)
  next    POST /api/counters/N/next           agent token, the four counters opened beforehand;
          it drains the line the issue requests made, so a « Suivant » finishes one ticket and
          calls another (two events, one transaction)
The two alternate in blocks of --block requests (all clients in step: a barrier before and after
each block), so the line stays below the block size, as in a busy town hall, instead of growing
to --requests (the cost of a command no longer grows with the line, since 84d1dee, but the
line's length is part of what a kiosk's answer computes: its estimate). Each operation's req/s
is its requests over the sum of its blocks' times. The last table puts both operations
together per day size and client count, with issue 12's targets.

Clients are processes by default, each with one keep-alive connection of the standard library's
http.client: httpx spent 0.7-1.0 ms of CPU per request, and on a 2-CPU machine that CPU is taken
from the server being measured. Every figure includes the client's own time; on 2 CPUs the
clients and the server share them.
"""
from __future__ import annotations

import argparse
import http.client
import json
import urllib.parse
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from ._common import (AGENT_TOKEN, ROOT, bench_config_text, bench_settings, machine_lines,
                      percentile, system_busy, wait_for_quiet)

SERVICE_WEIGHTS = {"accueil": 35, "etat-civil": 35, "passeports-cni": 20, "urbanisme": 10}
CATEGORIES = ("cmi", "famille")
PRIORITY_SHARE = 0.05
COUNTERS = (1, 2, 3, 4)
AGENT_HEADERS = {"Authorization": f"Bearer {AGENT_TOKEN}"}
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


# ----- the server ----------------------------------------------------------------------------
SERVE = ["-m", "host_bridge.cli", "serve"]  # `suivant serve`


class Server:
    def __init__(self, synchronous: str, directory: str, serve: list[str] = SERVE):
        self.dir = directory
        config = Path(directory, "site.toml")
        config.write_text(bench_config_text(synchronous), encoding="utf-8")
        self.db = str(Path(directory, "queue.db"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(directory, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, *serve, "--config", str(config),
             "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout} s: {self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return Path(self.dir, "server.log").read_text(errors="replace")[-2000:]

    def cpu(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown; the store closes
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class External(Server):
    """A bridge started elsewhere (bench.profile_server): measured, not started nor stopped."""

    def __init__(self, base: str, pid: int | None):
        self.base, self.proc, self.pid = base.rstrip("/"), None, pid

    def wait_ready(self, timeout: float = 30.0) -> None:
        httpx.get(f"{self.base}/api/health", timeout=timeout).raise_for_status()

    def cpu(self) -> float:
        return process_cpu_seconds(self.pid) if self.pid else float("nan")

    def stop(self) -> None:
        pass


# ----- the day the server finds ---------------------------------------------------------------
FILL_LOW, FILL_HIGH = 10, 40  # the line while the day is made
ABSENT_SHARE, CANCEL_SHARE = 0.03, 0.01


def fill_day(path: str, size: int, seed: int) -> tuple[int, float, Counter]:
    """Make today's first `size` tickets in the database at `path`, through QueueService.execute
    (the code path the HTTP API calls), as the kiosk and the counters' agents would, the line
    brought down to FILL_LOW at the end: -> (commands executed, seconds taken, tickets per
    status). Synchronous NORMAL here (only the speed of making the day changes:
    every command is still its own transaction); the store is closed, its WAL checkpointed."""
    from host_bridge.domain import commands as c
    from host_bridge.domain.errors import DomainError
    from host_bridge.service.clock import ManualClock
    from host_bridge.service.queue_service import QueueService, new_ticket_id
    from host_bridge.store.sqlite_store import SqliteStore

    settings = bench_settings(path, "NORMAL")
    site = settings.site
    tz = ZoneInfo(site.timezone)
    now = datetime.now(tz)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = max(0.0, min(6 * 3600.0, (now - midnight).total_seconds() - 120))  # today, ending now
    commands = int(size * 2.1) + 10
    step = span / commands
    clock = ManualClock(now - timedelta(seconds=span))
    store = SqliteStore(path, "NORMAL", tz)
    service = QueueService(site, store, clock)
    rng = random.Random(seed)
    agent = "user:agents"  # as the API names the agent's source (answers without a key are not kept)
    started, executed, issued = time.perf_counter(), 0, 0
    for number in COUNTERS:
        service.execute(c.OpenCounter(number), agent)
    state = service.state

    def run(command, source, key=None) -> None:
        nonlocal executed
        clock.current = min(clock.current + timedelta(seconds=step), now)
        try:
            service.execute(command, source, key)
        except DomainError:
            pass  # e.g. an absent with nobody at the counter: refused, nothing committed
        executed += 1

    while issued < size:
        waiting = sum(len(line) for line in state.waiting.values())
        if waiting < FILL_LOW or (waiting <= FILL_HIGH and rng.random() < 0.5):
            service_id = rng.choices(list(SERVICE_WEIGHTS), list(SERVICE_WEIGHTS.values()))[0]
            category = rng.choice(CATEGORIES) if rng.random() < PRIORITY_SHARE else None
            run(c.IssueTicket(service_id, new_ticket_id(), category), "public", uuid.uuid4().hex)
            issued += 1
        elif rng.random() < CANCEL_SHARE:
            line = [t for ts in state.waiting.values() for t in ts]
            if line:
                run(c.CancelTicket(rng.choice(line).id), "public", uuid.uuid4().hex)
        else:
            counter = rng.choice(COUNTERS)
            if rng.random() < ABSENT_SHARE and state.counters[counter].ticket_id is not None:
                run(c.MarkAbsent(counter), agent)
            else:
                run(c.CallNext(counter), agent)
    while sum(len(line) for line in state.waiting.values()) > FILL_LOW:  # the line at its low
        run(c.CallNext(rng.choice(COUNTERS)), agent)
    seconds = time.perf_counter() - started
    statuses = Counter(t.status.value for t in state.tickets.values())
    assert len(state.tickets) == size, (len(state.tickets), size)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return executed, seconds, statuses


def tickets_today(db_path: str) -> int:
    """Tickets issued since the latest day start, read from the file (not timed)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT count(*) FROM events WHERE type='TicketIssued' AND seq > "
            "(SELECT coalesce(max(seq), 0) FROM events WHERE type='DayStarted')").fetchone()[0]
    finally:
        db.close()


# ----- the clients ---------------------------------------------------------------------------
def issue_request(rng: random.Random):
    service = rng.choices(list(SERVICE_WEIGHTS), list(SERVICE_WEIGHTS.values()))[0]
    body = {"service": service}
    if rng.random() < PRIORITY_SHARE:
        body["category"] = rng.choice(CATEGORIES)
    return "/api/tickets", body, {"Idempotency-Key": uuid.uuid4().hex}


def reading(server_pid: int | None) -> tuple[float, float, float]:
    """(monotonic s, server CPU s, whole machine busy CPU s) at one instant."""
    server = process_cpu_seconds(server_pid) if server_pid else float("nan")
    return time.perf_counter(), server, system_busy()[0]


class RawClient:
    """A keep-alive HTTP/1.1 connection with as little client-side work as possible."""

    def __init__(self, base: str):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc) -> None:
        self.conn.close()

    def _send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> bytes:
        status, answer = self._send("GET", path, None, {})
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        return answer

    def post(self, path: str, body, headers: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        return self._send("POST", path, data, {**headers, "Content-Type": "application/json"})


def client_run(base: str, plan: list[tuple[str, int]], index: int, barrier, seed: int,
               server_pid: int | None):
    """One client: its own keep-alive connection, then the blocks of `plan` in step with the
    other clients (a barrier before and after each block).

    Returns (blocks, marks): per block (op, start ns, end ns, latencies ns, errors, idle, CPU s);
    client 0 also returns a reading before the first block and after each one, taken while every
    other client waits at a barrier. perf_counter_ns is CLOCK_MONOTONIC: comparable across
    processes. CPU is thread_time, so client threads of one process do not count each other.
    """
    rng = random.Random(seed * 1000 + index)
    blocks, marks = [], []
    calls = index  # which counter this client presses next, round robin from its own
    with RawClient(base) as client:
        client.get("/api/health")  # the connection is open before the start
        prepared = []
        for op, count in plan:
            if op == "issue":
                prepared.append((op, [issue_request(rng) for _ in range(count)]))
            else:
                prepared.append((op, [(f"/api/counters/{COUNTERS[(calls + i) % len(COUNTERS)]}/next",
                                       None, AGENT_HEADERS) for i in range(count)]))
                calls += count
        perf = time.perf_counter_ns
        for op, requests in prepared:
            if index == 0:
                marks.append(reading(server_pid))
            barrier.wait()
            lat, errors, idle = [], 0, 0
            cpu0 = time.thread_time()
            start = perf()
            for path, body, headers in requests:
                t = perf()
                status, answer = client.post(path, body, headers)
                lat.append(perf() - t)
                if not 200 <= status < 300:
                    errors += 1
                elif op == "next" and json.loads(answer)["counter"]["ticket"] is None:
                    idle += 1  # nobody left for this counter's services: a lighter command
            end = perf()
            cpu = time.thread_time() - cpu0
            barrier.wait()
            blocks.append((op, start, end, lat, errors, idle, cpu))
        if index == 0:
            marks.append(reading(server_pid))
    return blocks, marks


def _process_client(base, plan, index, barrier, seed, server_pid, out):
    try:
        out.put((index, client_run(base, plan, index, barrier, seed, server_pid)))
    except BaseException as exc:  # report instead of leaving the parent waiting
        barrier.abort()
        out.put((index, exc))


@dataclass
class Phase:
    op: str
    clients: int
    mode: str
    day: tuple[int, int] | None = None  # tickets in the day at the server's start and its end
    blocks: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    wall_s: float = 0.0      # sum over this op's blocks of (last client's end - first's start)
    span_s: float = 0.0      # the same blocks between readings (barrier waits included)
    errors: int = 0
    idle: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_busy_s: float = 0.0  # every CPU of the machine, everybody's work, over span_s

    @property
    def other_cpu_s(self) -> float:
        """CPU used by neither the server nor the clients (other people's work, the kernel)."""
        return max(0.0, self.machine_busy_s - self.server_cpu_s - self.client_cpu_s)

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def rate(self) -> float:
        return self.requests / self.wall_s

    def ms(self, q: float) -> float:
        if not hasattr(self, "_sorted"):
            self._sorted = sorted(self.latencies_ns)
        return percentile(self._sorted, q) / 1e6


def make_plan(total: int, block: int, clients: int) -> list[list[tuple[str, int]]]:
    """Per client: issue and next blocks in turn, `block` requests each (all clients together)."""
    block = block if 0 < block < total else total
    sizes = [block] * (total // block) + ([total % block] if total % block else [])
    plans: list[list[tuple[str, int]]] = [[] for _ in range(clients)]
    for size in sizes:
        for op in ("issue", "next"):
            for i in range(clients):
                plans[i].append((op, size // clients + (1 if i < size % clients else 0)))
    return plans


def run_clients(server: Server, clients: int, total: int, block: int, mode: str,
                seed: int) -> list[Phase]:
    plans = make_plan(total, block, clients)
    pid = getattr(server, "pid", None) or (server.proc.pid if server.proc else None)
    if mode == "thread":
        barrier = threading.Barrier(clients)
        results: list = [None] * clients

        def work(i: int) -> None:
            try:
                results[i] = client_run(server.base, plans[i], i, barrier, seed, pid)
            except BaseException as exc:
                barrier.abort()
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        ctx = mp.get_context("fork")
        barrier, out = ctx.Barrier(clients), ctx.Queue()
        procs = [ctx.Process(target=_process_client,
                             args=(server.base, plans[i], i, barrier, seed, pid, out))
                 for i in range(clients)]
        for p in procs:
            p.start()
        results = [None] * clients
        for _ in procs:
            i, value = out.get(timeout=900)
            results[i] = value
        for p in procs:
            p.join()
    for value in results:
        if isinstance(value, BaseException):
            raise RuntimeError(f"a client failed: {value!r}") from value
    phases = {op: Phase(op, clients, mode) for op in ("issue", "next")}
    marks = results[0][1]
    for k, (op, *_rest) in enumerate(results[0][0]):
        phase = phases[op]
        phase.blocks += 1
        per_client = [blocks[k] for blocks, _marks in results]
        phase.wall_s += (max(b[2] for b in per_client) - min(b[1] for b in per_client)) / 1e9
        for _op, _start, _end, lat, errors, idle, cpu in per_client:
            phase.latencies_ns.extend(lat)
            phase.errors += errors
            phase.idle += idle
            phase.client_cpu_s += cpu
        (t0, srv0, busy0), (t1, srv1, busy1) = marks[k], marks[k + 1]
        phase.span_s += t1 - t0
        phase.server_cpu_s += srv1 - srv0
        phase.machine_busy_s += busy1 - busy0
    return [phases["issue"], phases["next"]]


def prepare(server: Server, warmup: int, seed: int) -> None:
    """Open the four counters, then warm up both routes (imports, caches, the WAL file)."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for number in COUNTERS:
            client.post(f"/api/counters/{number}/open", headers=AGENT_HEADERS).raise_for_status()
        rng = random.Random(seed)
        for _ in range(warmup):
            path, body, headers = issue_request(rng)
            client.post(path, json=body, headers=headers).raise_for_status()
        for i in range(warmup):
            client.post(f"/api/counters/{COUNTERS[i % 4]}/next",
                        headers=AGENT_HEADERS).raise_for_status()


def _day(p: Phase) -> str:
    return f"{p.day[0]}→{p.day[1]}" if p.day else "—"


def print_table(phases: list[Phase]) -> None:
    head = (f"{'day (tickets)':<14} {'operation':<22} {'clients':>7} {'requests':>8} {'req/s':>7} "
            f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} {'idle':>5} {'srv CPU':>8} "
            f"{'cli CPU':>8} {'other':>6} {'srv ms/req':>10}")
    print(head)
    print("-" * len(head))
    names = {"issue": "POST /api/tickets", "next": "POST /counters/N/next"}
    for p in phases:
        print(f"{_day(p):<14} {names[p.op]:<22} {p.clients:>7} {p.requests:>8} {p.rate:>7.0f} "
              f"{p.ms(50):>7.2f} {p.ms(99):>7.2f} {p.ms(100):>7.2f} {p.errors:>6} "
              f"{p.idle if p.op == 'next' else '':>5} "
              f"{p.server_cpu_s / p.span_s:>8.0%} {p.client_cpu_s / p.span_s:>8.0%} "
              f"{p.other_cpu_s / p.span_s:>6.0%} {p.server_cpu_s / p.requests * 1e3:>10.2f}")
    print("\nday: tickets the day held when the server started → when it stopped.\n"
          "idle: « Suivant » answers with nobody to call (the counter's services were empty).\n"
          "srv CPU / cli CPU / other: CPU time of the server process / of all clients / of the "
          "rest of the machine,\nover the operation's blocks (100 % = one core; this machine has "
          f"{len(os.sched_getaffinity(0))}). srv ms/req: the server's CPU per request.\n"
          "client CPU per request: "
          + ", ".join(f"{p.op}×{p.clients}: {p.client_cpu_s / p.requests * 1e3:.2f} ms"
                      for p in phases[:4]) + (" …" if len(phases) > 4 else ""))


def print_summary(phases: list[Phase]) -> None:
    """Both operations together, per day size and client count, against issue 12's targets."""
    rows: dict[tuple, list[Phase]] = {}
    for p in phases:
        rows.setdefault((p.day, p.clients), []).append(p)
    print("\nBoth operations together (issue and « Suivant », half each); target at 8 clients: "
          "≥ 500 req/s and p99 < 20 ms;\nserver CPU per request flat from the smallest day to "
          "the largest.")
    head = (f"{'day (tickets)':<14} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'srv ms/req':>10} {'other':>6}  target")
    print(head)
    print("-" * len(head))
    for (day, clients), group in rows.items():
        lat = sorted(x for p in group for x in p.latencies_ns)
        n = len(lat)
        wall = sum(p.wall_s for p in group)
        span = sum(p.span_s for p in group)
        rate = n / wall
        p99 = percentile(lat, 99) / 1e6
        verdict = ("met" if rate >= 500 and p99 < 20 else "missed") if clients == 8 else ""
        print(f"{_day(group[0]):<14} {clients:>7} {rate:>7.0f} {percentile(lat, 50) / 1e6:>7.2f} "
              f"{p99:>7.2f} {sum(p.server_cpu_s for p in group) / n * 1e3:>10.2f} "
              f"{sum(p.other_cpu_s for p in group) / span:>6.0%}  {verdict}")


def measure(server: Server, client_counts: list[int], requests: int, block: int, mode: str,
            warmup: int, seed: int) -> list[Phase]:
    prepare(server, warmup, seed)
    phases = []
    for n in client_counts:
        phases.extend(run_clients(server, n, requests, block, mode, seed + n))
    return phases


def waiting_now(server: Server) -> int:
    services = httpx.get(f"{server.base}/api/services", timeout=10).json()["services"]
    return sum(s["waiting"] for s in services)


def measure_days(directory: str, days: list[int], client_counts: list[int], args) -> list[Phase]:
    """Per day size: the day made once, then per client count a server on a copy of it."""
    phases: list[Phase] = []
    for size in days:
        template = os.path.join(directory, f"day-{size}.db")
        if size:
            executed, seconds, statuses = fill_day(template, size, args.seed)
            print(f"day of {size} tickets: {executed} commands through QueueService.execute "
                  f"in {seconds:.1f} s (synchronous=NORMAL): "
                  + ", ".join(f"{n} {status}" for status, n in statuses.most_common()))
        if args.quiet_wait:
            print(wait_for_quiet(args.quiet_wait))
        for n in client_counts:
            run_dir = os.path.join(directory, f"day-{size}-clients-{n}")
            os.makedirs(run_dir)
            db = os.path.join(run_dir, "queue.db")
            if size:
                shutil.copyfile(template, db)
            start = tickets_today(db) if size else 0
            server = Server(args.sync, run_dir)
            try:
                server.wait_ready(60)
                measured = measure(server, [n], args.requests, args.block, args.mode,
                                   args.warmup, args.seed)
                line = waiting_now(server)
            finally:
                server.stop()
            end = tickets_today(db)
            for phase in measured:
                phase.day = (start, end)
            phases.extend(measured)
            print(f"  {n} client{'s' if n > 1 else ''}: done ({line} waiting at the end)")
    print()
    return phases


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_latency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--day", type=int, action="append", metavar="TICKETS",
                   help="tickets the day already holds when the server starts; repeat for "
                        "several (default: 100, 1000 and 10000; 0: a fresh database)")
    p.add_argument("--requests", type=int, default=1000, help="requests of each operation per day size and client count, shared by the clients (default 1000)")
    p.add_argument("--block", type=int, default=200,
                   help="issue and next alternate in blocks of this many requests, so the line "
                        "stays under it (default 200, a busy morning); 0: one block per phase, "
                        "the line grows to --requests")
    p.add_argument("--clients", type=int, action="append",
                   help="concurrent clients; repeat for several runs (default: 1 and 8)")
    p.add_argument("--mode", choices=("process", "thread"), default="process",
                   help="clients as processes (default) or threads of this process")
    p.add_argument("--sync", choices=("FULL", "NORMAL"), default="FULL",
                   help="synchronous mode of the server's store (default FULL, as the example)")
    p.add_argument("--warmup", type=int, default=100, help="untimed requests of each kind first")
    p.add_argument("--quiet-wait", type=float, default=0, metavar="SECONDS",
                   help="first wait up to this long for other work on the machine to stop "
                        "(again before each day size)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", action="store_true", help="keep the temp dir (db, config, log)")
    p.add_argument("--url", help="measure this running bridge instead of starting one (its "
                                 "config must have guard_seconds = 0 and be open now)")
    p.add_argument("--server-pid", type=int, help="with --url: the server's pid, for its CPU time")
    args = p.parse_args(argv)
    client_counts = args.clients or [1, 8]
    days = args.day if args.day is not None else [100, 1000, 10000]

    directory = tempfile.mkdtemp(prefix="suivant-http-bench-")
    started = time.perf_counter()
    try:
        print("\n".join(machine_lines(directory, args.sync if not args.url else "(server's)")))
        clients = ("processes" if args.mode == "process" else "threads of one process") \
            + ", one http.client connection each (keep-alive)"
        if args.url:
            server = External(args.url, args.server_pid)
            server.wait_ready()
            if args.quiet_wait:
                print(wait_for_quiet(args.quiet_wait))
            print(f"server:   given, on {server.base}; clients: {clients}\n")
            phases = measure(server, client_counts, args.requests, args.block, args.mode,
                             args.warmup, args.seed)
            print_table(phases)
            print(f"waiting at the end: {waiting_now(server)} tickets")
            return 0
        print(f"server:   python -m host_bridge.cli serve (uvicorn, one process) on loopback, one "
              f"per day size and client count; clients: {clients}\n")
        phases = measure_days(directory, days, client_counts, args)
        print_table(phases)
        print_summary(phases)
        print(f"\n{len(phases)} rows in {time.perf_counter() - started:.0f} s")
    finally:
        if args.keep:
            print(f"\nkept: {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
