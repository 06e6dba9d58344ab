"""Durable operations per second in process: QueueService.execute against a bare WAL commit.

    python -m bench.queue_throughput                  # defaults: about 12-15 s on a 2-CPU VM
    python -m bench.queue_throughput --mix-ops 20000 --sync FULL
    python -m bench.queue_throughput --profile mix    # cProfile of one scenario, top functions

Every figure is one durable command: `execute` returns only after its SQLite transaction has
committed (with synchronous=FULL, after the WAL fsync). Scenarios, each on a fresh database:

  bare       one small INSERT per transaction, same connection settings as the store: the floor
  mix        a day's traffic: tickets issued across services (an idempotency key each) while the
             four counters call « Suivant »; the waiting line is held between 10 and 100 people
  issue      tickets only, one idempotency key each: the waiting line grows to --issue-ops
             (2,500 by default: no letter may hold more than 999 live tickets)
  next       « Suivant » only, draining the line the issue scenario left

The clock is a ManualClock moved 0.2 s per command and the rules have guard_seconds = 0, so no
« Suivant » is absorbed by the double-press guard (each one commits).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.store.sqlite_store import SqliteStore

from ._common import bench_settings, machine_lines, percentile, system_busy, wait_for_quiet

START = datetime(2026, 11, 26, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))  # a Thursday morning
STEP_SECONDS = 0.2
AGENT = "user:agents"
KIOSK = "public"
# share of tickets per service (accueil and état civil are the busy desks) and priority share
SERVICE_WEIGHTS = {"accueil": 35, "etat-civil": 35, "passeports-cni": 20, "urbanisme": 10}
PRIORITY_SHARE = 0.05
MIX_LOW, MIX_HIGH = 10, 100


@dataclass
class Result:
    scenario: str
    sync: str
    latencies_ns: list[int] = field(default_factory=list)
    wall_s: float = 0.0
    events: int = 0
    empty: int = 0      # commands that produced no event (a « Suivant » with nobody to call/finish)
    note: str = ""
    other_cpu_s: float = 0.0  # CPU the rest of the machine used meanwhile (not this process)

    @property
    def ops(self) -> int:
        return len(self.latencies_ns)

    @property
    def rate(self) -> float:
        return self.ops / self.wall_s if self.wall_s else float("nan")

    def ms(self, q: float) -> float:
        return percentile(self.sorted, q) / 1e6

    @property
    def sorted(self) -> list[int]:
        if not hasattr(self, "_sorted"):
            self._sorted = sorted(self.latencies_ns)
        return self._sorted


class OtherCpu:
    """CPU time the rest of the machine spends while a scenario runs (a busy machine skews it)."""

    def __init__(self) -> None:
        self.busy0, self.own0 = system_busy()[0], time.process_time()

    def stop(self) -> float:
        own = time.process_time() - self.own0
        return max(0.0, system_busy()[0] - self.busy0 - own)


# ----- bare SQLite ---------------------------------------------------------------------------
def bench_bare(path: str, sync: str, ops: int) -> Result:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync}")
    db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    body = '{"ticket_id":"abcdefghijklmnop","service":"accueil","number":1}'  # ~ an event row
    res = Result("bare commit", sync)
    lat = res.latencies_ns
    clock = time.perf_counter_ns
    other = OtherCpu()
    t0 = clock()
    for _ in range(ops):
        t = clock()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (body) VALUES (?)", (body,))
        db.execute("COMMIT")
        lat.append(clock() - t)
    res.wall_s = (clock() - t0) / 1e9
    res.other_cpu_s = other.stop()
    res.events = ops
    db.close()
    return res


# ----- the service ---------------------------------------------------------------------------
class Bench:
    def __init__(self, path: str, sync: str, seed: int):
        settings = bench_settings(path, sync)
        self.site = settings.site
        self.clock = ManualClock(START)
        self.service = QueueService(settings.site, SqliteStore(path, sync), self.clock)
        self.rng = random.Random(seed)
        self.services = list(SERVICE_WEIGHTS)
        self.weights = list(SERVICE_WEIGHTS.values())
        self.categories = [k.id for k in self.site.categories]
        self.counters = [k.number for k in self.site.counters]
        for number in self.counters:  # untimed: the day starts and the counters open
            self.service.execute(c.OpenCounter(number), AGENT)
        self.published = 0
        self.service.bus.listen(self._on_publish)
        self._issues: deque[tuple[c.Command, str, str]] = deque()

    def close(self) -> None:
        self.service.store.close()

    def waiting(self) -> int:
        return sum(len(q) for q in self.service.state.waiting.values())

    def prepare_issues(self, n: int) -> None:
        """Make the next `n` tickets' commands now, outside the timed loop: what the entry
        point does before it calls execute (the service, a new ticket id, the kiosk's key) is
        not the service's cost, and made in the loop it took 4-5 % of the mix's time."""
        rng = random.Random(self.rng.getrandbits(64))
        self._issues.extend(self._issue_command(rng) for _ in range(n))

    def _issue_command(self, rng: random.Random) -> tuple[c.Command, str, str]:
        service = rng.choices(self.services, self.weights)[0]
        category = rng.choice(self.categories) if rng.random() < PRIORITY_SHARE else None
        # the kiosk's idempotency key: unique per press, as a retrying client would send
        return c.IssueTicket(service, new_ticket_id(), category), KIOSK, f"kiosk-{rng.getrandbits(64):016x}"

    def issue_command(self) -> tuple[c.Command, str, str]:
        """The next ticket's command: a prepared one (prepare_issues), else made now."""
        return self._issues.popleft() if self._issues else self._issue_command(self.rng)

    def run(self, res: Result, commands) -> Result:
        """Time `execute` for each (command, source, request_id) the generator yields."""
        service, clock, lat = self.service, self.clock, res.latencies_ns
        perf = time.perf_counter_ns
        published_before, events_before = self.published, service.store.last_seq()
        other = OtherCpu()
        t0 = perf()
        for command, source, request_id in commands:
            clock.advance(STEP_SECONDS)
            t = perf()
            service.execute(command, source, request_id)
            lat.append(perf() - t)
        res.wall_s = (perf() - t0) / 1e9
        res.other_cpu_s = other.stop()
        res.events = service.store.last_seq() - events_before
        res.empty = res.ops - (self.published - published_before)
        return res

    def _on_publish(self, items) -> None:
        self.published += 1  # the bus is told once per command that committed events


def mix_commands(b: Bench, ops: int):
    rng = b.rng
    for _ in range(ops):
        waiting = b.waiting()
        issue = waiting < MIX_LOW or (waiting <= MIX_HIGH and rng.random() < 0.5)
        if issue:
            yield b.issue_command()
        else:
            yield c.CallNext(rng.choice(b.counters)), AGENT, None


def issue_commands(b: Bench, ops: int):
    for _ in range(ops):
        yield b.issue_command()


def next_commands(b: Bench, ops: int):
    counters = b.counters
    for i in range(ops):
        yield c.CallNext(counters[i % len(counters)]), AGENT, None


def bench_service(directory: str, sync: str, mix_ops: int, issue_ops: int, next_ops: int,
                  seed: int) -> list[Result]:
    out = []
    b = Bench(os.path.join(directory, f"mix-{sync}.db"), sync, seed)
    b.prepare_issues(mix_ops)  # at most one ticket per command
    out.append(b.run(Result("mix issue+next", sync), mix_commands(b, mix_ops)))
    out[-1].note = f"line held at {MIX_LOW}-{MIX_HIGH}"
    b.close()

    b = Bench(os.path.join(directory, f"line-{sync}.db"), sync, seed)
    b.prepare_issues(issue_ops)
    res = b.run(Result("issue only", sync), issue_commands(b, issue_ops))
    # how the cost of one issue grows with the waiting line (it is the n-th ticket in line)
    k = max(1, min(500, issue_ops // 10))
    first, last = sorted(res.latencies_ns[:k]), sorted(res.latencies_ns[-k:])
    res.note = (f"line 0→{issue_ops}; p50 first {k}: {percentile(first, 50) / 1e6:.2f} ms, "
                f"last {k}: {percentile(last, 50) / 1e6:.2f} ms")
    out.append(res)
    before = b.waiting()
    res = b.run(Result("next only", sync), next_commands(b, next_ops))
    k = max(1, min(500, next_ops // 10))
    first, last = sorted(res.latencies_ns[:k]), sorted(res.latencies_ns[-k:])
    res.note = (f"line {before}→{b.waiting()}; p50 first {k}: {percentile(first, 50) / 1e6:.2f} ms, "
                f"last {k}: {percentile(last, 50) / 1e6:.2f} ms")
    out.append(res)
    b.close()
    return out


# ----- report --------------------------------------------------------------------------------
def print_table(results: list[Result], bare: dict[str, float]) -> None:
    head = f"{'scenario':<16} {'sync':<6} {'ops':>7} {'ops/s':>8} {'p50 ms':>7} {'p99 ms':>7} " \
           f"{'max ms':>7} {'ev/op':>5} {'empty':>5} {'× bare':>6} {'other':>5}  note"
    print(head)
    print("-" * len(head))
    for r in results:
        ratio = r.rate / bare[r.sync] if r.sync in bare else float("nan")
        print(f"{r.scenario:<16} {r.sync:<6} {r.ops:>7} {r.rate:>8.0f} {r.ms(50):>7.3f} "
              f"{r.ms(99):>7.3f} {r.ms(100):>7.2f} {r.events / r.ops:>5.2f} {r.empty:>5} {ratio:>6.2f} "
              f"{r.other_cpu_s / r.wall_s:>5.0%}  {r.note}")


def profile(directory: str, scenario: str, sync: str, ops: int, seed: int, top: int) -> None:
    b = Bench(os.path.join(directory, f"profile-{sync}.db"), sync, seed)
    b.prepare_issues(ops)
    if scenario == "next":  # a line to drain, built outside the profile
        b.run(Result("issue only", sync), issue_commands(b, ops))
    gen = {"mix": mix_commands, "issue": issue_commands, "next": next_commands}[scenario](b, ops)
    commands = list(gen) if scenario != "mix" else None
    prof = cProfile.Profile()
    prof.enable()
    res = b.run(Result(scenario, sync), commands if commands is not None else gen)
    prof.disable()
    b.close()
    print(f"cProfile of '{scenario}', synchronous={sync}, {res.ops} ops in {res.wall_s:.2f} s "
          f"({res.rate:.0f} ops/s under the profiler)\n")
    stats = pstats.Stats(prof, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.queue_throughput", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bare-ops", type=int, default=8000, help="bare commits per sync mode")
    p.add_argument("--mix-ops", type=int, default=12000, help="commands in the mixed scenario")
    p.add_argument("--issue-ops", type=int, default=2500,
                   help="tickets in the issue-only scenario (default 2500: a letter's live "
                        "tickets hold distinct numbers, at most 999, and the two busiest "
                        "services get about 875 each; 4000 is refused NoFreeNumber)")
    p.add_argument("--next-ops", type=int, default=None,
                   help="« Suivant » in the next-only scenario (default: same as --issue-ops)")
    p.add_argument("--sync", choices=("FULL", "NORMAL"), action="append",
                   help="synchronous mode(s) to run (default: FULL and NORMAL)")
    p.add_argument("--dir", help="directory for the databases (default: a new temp dir; "
                                 "the file system matters, fsync is what FULL pays for)")
    p.add_argument("--quiet-wait", type=float, default=0, metavar="SECONDS",
                   help="first wait up to this long for other work on the machine to stop")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--profile", choices=("mix", "issue", "next"),
                   help="instead of the table: cProfile one scenario (with the first --sync)")
    p.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = p.parse_args(argv)
    syncs = args.sync or ["FULL", "NORMAL"]
    next_ops = args.next_ops if args.next_ops is not None else args.issue_ops

    directory = args.dir or tempfile.mkdtemp(prefix="suivant-bench-")
    os.makedirs(directory, exist_ok=True)
    try:
        print("\n".join(machine_lines(directory, "/".join(syncs))))
        if args.quiet_wait:
            print(wait_for_quiet(args.quiet_wait))
        print()
        if args.profile:
            ops = {"mix": args.mix_ops, "issue": args.issue_ops, "next": next_ops}[args.profile]
            profile(directory, args.profile, syncs[0], ops, args.seed, args.top)
            return 0
        bare: dict[str, float] = {}
        results: list[Result] = []
        started = time.perf_counter()
        for sync in syncs:
            r = bench_bare(os.path.join(directory, f"bare-{sync}.db"), sync, args.bare_ops)
            bare[sync] = r.rate
            results.append(r)
        for sync in syncs:
            results.extend(bench_service(directory, sync, args.mix_ops, args.issue_ops, next_ops,
                                         args.seed))
        print_table(results, bare)
        print(f"\n{len(results)} runs in {time.perf_counter() - started:.1f} s. ops/s = commands "
              "/ wall time of the loop; latency = one execute() call, commit included.\n"
              "ev/op = events committed per command; empty = commands that committed no event;\n"
              "other = CPU used by the rest of the machine meanwhile (100 % = one core);\n"
              "× bare = ops/s over the bare commit rate with the same synchronous mode.")
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
