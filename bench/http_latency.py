"""Requests per second and latency over HTTP, against a real `suivant serve` (uvicorn) process.

    python -m bench.http_latency                        # defaults: 1 and 8 clients, FULL
    python -m bench.http_latency --requests 4000 --clients 1 --clients 8 --clients 16
    python -m bench.http_latency --mode thread          # client threads instead of processes

The server is `python -m host_bridge.cli serve` on a free loopback port with a fresh database in
a temp dir and the example town hall (examples/mairie.toml) changed in three places: open at any
hour, guard_seconds = 0 (every « Suivant » commits), and the chosen synchronous mode.

For each client count, --requests of each operation (each client keeps one keep-alive
connection; the clients share the requests):
  issue   POST /api/tickets {"service": ...}  with an Idempotency-Key each (as a kiosk would)
  next    POST /api/counters/N/next           agent token, the four counters opened beforehand;
          it drains the line the issue requests made, so a « Suivant » finishes one ticket and
          calls another (two events, one transaction)
The two alternate in blocks of --block requests (all clients in step: a barrier before and after
each block), so the line stays below the block size, as in a busy town hall, instead of growing
to --requests: the cost of an issue and of a « Suivant » grows with the line (see
docs/performance.md). Each operation's req/s is its requests over the sum of its blocks' times.

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
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ._common import (AGENT_TOKEN, ROOT, bench_config_text, machine_lines, percentile,
                      system_busy, wait_for_quiet)

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


def print_table(phases: list[Phase]) -> None:
    head = (f"{'operation':<22} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'idle':>5} {'srv CPU':>8} {'cli CPU':>8} {'other':>6}")
    print(head)
    print("-" * len(head))
    names = {"issue": "POST /api/tickets", "next": "POST /counters/N/next"}
    for p in phases:
        print(f"{names[p.op]:<22} {p.clients:>7} {p.requests:>8} {p.rate:>7.0f} {p.ms(50):>7.2f} "
              f"{p.ms(99):>7.2f} {p.ms(100):>7.2f} {p.errors:>6} {p.idle if p.op == 'next' else '':>5} "
              f"{p.server_cpu_s / p.span_s:>8.0%} {p.client_cpu_s / p.span_s:>8.0%} "
              f"{p.other_cpu_s / p.span_s:>6.0%}")
    print("\nidle: « Suivant » answers with nobody to call (the counter's services were empty).\n"
          "srv CPU / cli CPU / other: CPU time of the server process / of all clients / of the "
          "rest of the machine,\nover the operation's blocks (100 % = one core; this machine has "
          f"{len(os.sched_getaffinity(0))}).\nCPU per request: "
          + ", ".join(f"{p.op}×{p.clients}: server {p.server_cpu_s / p.requests * 1e3:.2f} ms, "
                      f"client {p.client_cpu_s / p.requests * 1e3:.2f} ms" for p in phases))


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_latency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=2000, help="requests of each operation per client count, shared by the clients (default 2000)")
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
                   help="first wait up to this long for other work on the machine to stop")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", action="store_true", help="keep the temp dir (db, config, log)")
    p.add_argument("--url", help="measure this running bridge instead of starting one (its "
                                 "config must have guard_seconds = 0 and be open now)")
    p.add_argument("--server-pid", type=int, help="with --url: the server's pid, for its CPU time")
    args = p.parse_args(argv)
    client_counts = args.clients or [1, 8]

    directory = tempfile.mkdtemp(prefix="suivant-http-bench-")
    server = External(args.url, args.server_pid) if args.url else Server(args.sync, directory)
    try:
        server.wait_ready()
        print("\n".join(machine_lines(directory, args.sync if not args.url else "(server's)")))
        if args.quiet_wait:
            print(wait_for_quiet(args.quiet_wait))
        what = "python -m host_bridge.cli serve (uvicorn, one process)" if not args.url else "given"
        print(f"server:   {what} on {server.base}; "
              "clients: " + ("processes" if args.mode == "process" else "threads of one process")
              + ", one http.client connection each (keep-alive)\n")
        print_table(measure(server, client_counts, args.requests, args.block, args.mode,
                            args.warmup, args.seed))
        print(f"waiting at the end: {waiting_now(server)} tickets")
    finally:
        server.stop()
        if args.keep:
            print(f"\nkept: {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
