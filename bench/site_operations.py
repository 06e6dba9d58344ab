"""Running a site (issue 16): what the metrics, the backup and the schema upgrade cost.

    python -m bench.site_operations                   # all four parts: about 2-3 minutes
    python -m bench.site_operations --only hook scrape --rounds 9
    python -m bench.site_operations --quick           # a few seconds: everything runs, small

  hook     µs per command (QueueService.execute, the queue_throughput mix, synchronous=OFF so
           the disk hides nothing) with the bridge's observer (metrics/commands.py) and with
           the no-op Observer: two services side by side, rounds interleaved
  scrape   GET /metrics (public, then with a supervisor's token) on a bridge built in process
           with 20 boards registered and 0, 1,000 and 5,000 tickets waiting (two services
           added to the example's four: a letter holds at most 999 live tickets); and how long
           the scrape holds the queue's lock (the collector's read under QueueService.read)
  backup   `suivant backup` (a subprocess, as an operator runs it) of a year of a busy site,
           while this process runs a steady stream of commands on the same database
           (synchronous=FULL), against the same stream with no backup, interleaved
  upgrade  the same year in release 0.1.0's schema (tests/fixtures/release-0.1.0), opened by
           today's SqliteStore: the .bak copy and the steps, timed

The year is one real day made through QueueService (bench.http_latency.fill_day) repeated
over --days business days with its dates moved (events, and the answers of requests: the
retention keeps 400 days in detail).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from host_bridge.arg_types import bounded
from host_bridge.domain import commands as c
from host_bridge.service.queue_service import Observer, new_ticket_id
from host_bridge.service.requests import Request
from host_bridge.store.sqlite_store import SqliteStore

from ._common import ROOT, bench_config_text, bench_settings, machine_lines, percentile
from .queue_throughput import START, Bench, mix_commands

SUPERVISOR_TOKEN = "demo-superviseur"
BOARDS = 20
EXTRA_SERVICES = (("accueil-bis", "B"), ("etat-civil-bis", "D"))


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):8.2f} (min {min(values):.2f}, max {max(values):.2f})"
            if values else "-")


# ----- 1. the metrics hook -----------------------------------------------------------------
def hook(tmp: Path, rounds: int, ops: int, seed: int) -> None:
    from prometheus_client import CollectorRegistry

    from host_bridge.metrics.commands import CommandMetrics
    variants = {}
    for name in ("no-op Observer", "CommandMetrics"):
        b = Bench(str(tmp / f"hook-{len(variants)}.db"), "OFF", seed)  # same seed: same traffic
        if name == "CommandMetrics":
            b.service.observer = CommandMetrics(CollectorRegistry(auto_describe=False))
        b.prepare_issues(rounds * ops)
        variants[name] = (b, mix_commands(b, rounds * ops), [])
    for r in range(rounds):
        for name in (list(variants) if r % 2 == 0 else list(reversed(variants))):
            b, gen, per_round = variants[name]
            # CPU time, not wall: a neighbour's burst then costs this round less
            service, clock, perf = b.service, b.clock, time.process_time
            t0 = perf()
            for _, (command, source, rid) in zip(range(ops), gen):
                clock.advance(0.2)
                service.execute(command, source, rid)
            per_round.append((perf() - t0) / ops * 1e6)
    for b, _, _ in variants.values():
        b.close()
    # the observer's own calls, alone: what execute adds per command (answered + committed)
    command = c.CallNext(1)
    direct = {}
    for name, (b, _, _) in variants.items():
        obs = b.service.observer if name == "CommandMetrics" else Observer()
        n, best = 20000, float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                obs.answered(command, 1e-4)
                obs.committed(1e-4)
            best = min(best, (time.perf_counter() - t0) / n * 1e6)
        direct[name] = best
    print(f"\n[hook] CPU µs per command, mix of queue_throughput, synchronous=OFF, {rounds} rounds "
          f"of {ops} commands (median, min, max over rounds)")
    for name, (_, _, per_round) in variants.items():
        print(f"  {name:<15} {spread(per_round)}   its calls alone: {direct[name]:.2f} µs")
    base = statistics.median(variants["no-op Observer"][2])
    with_metrics = statistics.median(variants["CommandMetrics"][2])
    pairs = [m - o for o, m in zip(variants["no-op Observer"][2], variants["CommandMetrics"][2])]
    added = direct["CommandMetrics"] - direct["no-op Observer"]
    print(f"  difference of medians {with_metrics - base:+.2f} µs ({(with_metrics - base) / base:+.1%}); "
          f"round by round median {statistics.median(pairs):+.2f}, {min(pairs):+.2f} to "
          f"{max(pairs):+.2f} µs; the calls alone "
          f"{added:+.2f} µs = {added / base:.1%} of a command (target < 5 %)")


# ----- 2. a scrape -----------------------------------------------------------------------------
def scrape_bridge(tmp: Path, waiting: int):
    from host_bridge.bootstrap import build
    from host_bridge.service.clock import ManualClock
    folder = tmp / f"scrape-{waiting}"
    folder.mkdir()
    settings = bench_settings(str(folder / "suivant.db"), "OFF")
    first = settings.site.services[0]
    extra = tuple(dataclasses.replace(first, id=sid, letter=letter, name=sid)
                  for sid, letter in EXTRA_SERVICES)
    site = dataclasses.replace(settings.site, services=settings.site.services + extra)
    bridge = build(dataclasses.replace(settings, site=site), ManualClock(START))
    for n in range(BOARDS):
        counter = 1 + n % len(site.counters)
        bridge.registry.add(f"board-{n}", ("counter", "display", "feedback")[n % 3]
                            if n else "hall", None if n == 0 else counter)
    ids = [s.id for s in site.services]
    requests = [Request(c.IssueTicket(ids[i % len(ids)], new_ticket_id(), None), "public",
                        f"kiosk-{i}") for i in range(waiting)]
    for i in range(0, len(requests), 500):
        bridge.service.clock.advance(1)
        bridge.service.execute_batch(requests[i:i + 500])
    held = bridge.service.read(lambda s: sum(len(q) for q in s.waiting.values()))
    assert held == waiting, (held, waiting)
    return bridge


def scrape(tmp: Path, sizes: list[int], rounds: int, scrapes: int) -> None:
    import warnings
    with warnings.catch_warnings():  # starlette's note on httpx, not ours to act on
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from host_bridge.metrics.collectors import _waiting
    bridges = {n: scrape_bridge(tmp, n) for n in sizes}
    clients = {n: TestClient(b.app) for n, b in bridges.items()}  # no lifespan: no links
    staff = {"Authorization": f"Bearer {SUPERVISOR_TOKEN}"}
    times = {(n, k): [] for n in sizes for k in ("public", "staff", "lock")}
    sizes_b = {}
    for client in clients.values():  # the first request of each app builds its routes
        client.get("/metrics", headers=staff)
    for _ in range(rounds):
        for n in sizes:
            client, service = clients[n], bridges[n].service
            for kind, headers in (("public", {}), ("staff", staff)):
                for _ in range(scrapes):
                    t0 = time.perf_counter()
                    r = client.get("/metrics", headers=headers)
                    times[n, kind].append((time.perf_counter() - t0) * 1e3)
                    assert r.status_code == 200, r.text
                sizes_b[n, kind] = len(r.content)
            for _ in range(scrapes):  # what the public collector does under the queue's lock
                t0 = time.perf_counter()
                service.read(_waiting)
                times[n, "lock"].append((time.perf_counter() - t0) * 1e3)
    for b in bridges.values():
        b.close()
    print(f"\n[scrape] GET /metrics in process (fastapi TestClient, no network), {BOARDS} boards "
          f"registered, {len(bridges[sizes[0]].service.site.services)} services; {rounds} rounds x {scrapes} scrapes; ms p50 / p99 / max")
    for n in sizes:
        cells = []
        for kind in ("public", "staff", "lock"):
            v = sorted(times[n, kind])
            size = f", {sizes_b[n, kind]:,} B" if kind != "lock" else ""
            cells.append(f"{kind} {percentile(v, 50):.3f} / {percentile(v, 99):.3f} / "
                         f"{v[-1]:.3f}{size}")
        print(f"  {n:>5} waiting: " + "; ".join(cells))
    print("  (lock = QueueService.read of the collector's count and first arrival per service: "
          "the only part under the queue's lock; target: a scrape < 10 ms at 1,000 waiting)")


# ----- the year ------------------------------------------------------------------------------
def business_days(before: date, n: int) -> list[date]:
    out, d = [], before
    while len(out) < n:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    return out[::-1]


def make_year(tmp: Path, days: int, tickets: int, seed: int) -> tuple[Path, int]:
    """-> (a database holding `days` business days of `tickets` tickets each, today's schema;
    its events)."""
    from .http_latency import fill_day
    template = tmp / "template-day.db"
    fill_day(str(template), tickets, seed)
    t = sqlite3.connect(template)
    events = t.execute("SELECT seq, day, type, at, body FROM events ORDER BY seq").fetchall()
    answers = t.execute("SELECT source, request_id, answer, last_seq, fingerprint, day "
                        "FROM requests").fetchall()
    t.close()
    tday = max(e[1] for e in events)
    path = tmp / "year.db"
    SqliteStore(str(path), "OFF").close()  # today's schema, as the store makes it
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    offset = 0
    for d in business_days(START.date(), days):
        ds = d.isoformat()
        db.execute("BEGIN")
        db.executemany("INSERT INTO events VALUES (?,?,?,?,?)",
                       [(offset + seq, ds, kind, at.replace(tday, ds), body.replace(tday, ds))
                        for seq, _, kind, at, body in events])
        db.executemany("INSERT INTO requests VALUES (?,?,?,?,?,?)",
                       [(src, f"{rid}-{ds}", ans.replace(tday, ds),
                         None if last is None else offset + last, fp, ds)
                        for src, rid, ans, last, fp, _ in answers])
        db.execute("COMMIT")
        offset += events[-1][0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path, offset


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6


# ----- 3. the backup -------------------------------------------------------------------------
def paced(b: Bench, gen, interval: float, done, lat: list[tuple[float, float]]) -> None:
    """Commands every `interval` s until done(): (each execute's time in ms, when it began)."""
    perf, service, clock = time.perf_counter, b.service, b.clock
    due = start = perf()
    while not done():
        command, source, rid = next(gen)
        clock.advance(0.2)
        t0 = perf()
        service.execute(command, source, rid)
        lat.append(((perf() - t0) * 1e3, t0 - start))
        due += interval
        time.sleep(max(0.0, due - perf()))


def backup(tmp: Path, year: Path, events: int, rounds: int, interval: float, seed: int) -> None:
    config = tmp / "site.toml"
    config.write_text(bench_config_text("FULL"), encoding="utf-8")
    b = Bench(str(year), "FULL", seed)
    b.prepare_issues(100_000)
    gen = mix_commands(b, 10**9)
    cmd = [sys.executable, "-m", "host_bridge.cli", "backup", "--config", str(config),
           "--db", str(year), "--to", str(tmp / "backups")]
    print(f"\n[backup] `{' '.join(['suivant'] + cmd[3:])}` of {mb(year):.1f} MB, "
          f"{events:,} events; commands every {interval * 1e3:.0f} ms meanwhile "
          "(synchronous=FULL, this process) vs the same stream for as long without a backup")
    took = 0.0
    for r in range(rounds):
        for variant in (("during", "without") if r % 2 == 0 else ("without", "during")):
            lat: list[tuple[float, float]] = []
            if variant == "during":
                t0 = time.perf_counter()
                proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
                paced(b, gen, interval, lambda: proc.poll() is not None, lat)
                took = time.perf_counter() - t0
                out = proc.stdout.read()
                proc.stdout.close()
                if proc.returncode != 0:
                    raise SystemExit(f"suivant backup failed ({proc.returncode}):\n{out}")
            else:
                end = time.perf_counter() + took  # as long as the latest backup
                paced(b, gen, interval, lambda: time.perf_counter() > end, lat)
            v = sorted(ms for ms, _ in lat)
            worst_at = max(lat)[1]
            print(f"  round {r + 1} {variant:<7} backup: {len(v):>5} commands, p50 "
                  f"{percentile(v, 50):.2f} ms, p99 {percentile(v, 99):.2f} ms, max {v[-1]:.2f} ms"
                  f" (at {worst_at:.2f} s)"
                  + (f"; the backup took {took:.2f} s" if variant == "during" else ""))
    b.close()
    print("  (target: a backup never holds a command more than 100 ms)")


# ----- 4. the upgrade from 0.1.0 ---------------------------------------------------------------
FIXTURE = ROOT / "tests" / "fixtures" / "release-0.1.0" / "suivant.db"


def tables(path: Path) -> dict[str, str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT name, type FROM sqlite_master WHERE name NOT LIKE "
                               "'sqlite_%'"))
    finally:
        db.close()


def as_release_0_1_0(year: Path, dest: Path) -> None:
    """A copy of the year in 0.1.0's shape: no schema_upgrades log, user_version 0, the
    version in meta (1)."""
    shutil.copyfile(year, dest)
    db = sqlite3.connect(dest, isolation_level=None)
    db.execute("DROP TABLE IF EXISTS schema_upgrades")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', '1')")
    db.execute("PRAGMA user_version = 0")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    if tables(dest) != tables(FIXTURE):
        raise SystemExit(f"the 0.1.0 copy's tables {tables(dest)} differ from {FIXTURE}'s")


def upgrade(tmp: Path, year: Path, events: int, rounds: int) -> None:
    print(f"\n[upgrade] the year ({mb(year):.1f} MB, {events:,} events) in 0.1.0's schema, "
          "opened by SqliteStore (synchronous=FULL): .bak copy + steps in one transaction")
    for r in range(rounds):
        old = tmp / f"old-{r}.db"
        as_release_0_1_0(year, old)
        os.sync()
        t0 = time.perf_counter()
        store = SqliteStore(str(old), "FULL")
        took = time.perf_counter() - t0
        up = store.upgraded
        store.close()
        kept = Path(up.kept)
        print(f"  round {r + 1}: {took:.2f} s, schema {up.old} -> {up.new}; {kept.name} "
              f"{mb(kept):.1f} MB (the database {mb(old):.1f} MB)")
        kept.unlink()
        old.unlink()
    print("  (target: an upgrade of a year under 30 s)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.site_operations", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    count = bounded(int, 1, 1_000_000, "a count")
    p.add_argument("--only", nargs="+", choices=("hook", "scrape", "backup", "upgrade"),
                   help="parts to run (default: all)")
    p.add_argument("--rounds", type=count, default=7, help="interleaved rounds of hook, scrape")
    p.add_argument("--ops", type=count, default=3000, help="commands per hook round and variant")
    p.add_argument("--scrapes", type=count, default=30, help="scrapes per round, size and kind")
    p.add_argument("--waiting", type=count, nargs="+", default=[0, 1000, 5000],
                   help="tickets waiting at scrape time (at most 5,994: 6 letters of 999)")
    p.add_argument("--days", type=count, default=250, help="business days in the year")
    p.add_argument("--tickets", type=count, default=600, help="tickets a day in the year")
    p.add_argument("--backup-rounds", type=count, default=2)
    p.add_argument("--interval", type=bounded(float, 0.001, 1.0, "--interval"), default=0.01,
                   help="seconds between commands during the backup (default 0.01)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quick", action="store_true",
                   help="everything, small (a few seconds): a check that the bench runs")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.ops, args.scrapes, args.waiting = 2, 200, 3, [0, 100]
        args.days, args.tickets, args.backup_rounds = 5, 40, 1
    parts = args.only or ["hook", "scrape", "backup", "upgrade"]
    with tempfile.TemporaryDirectory(prefix="suivant-site-ops-") as name:
        tmp = Path(name)
        print("\n".join(machine_lines(name, "OFF (hook, scrape) / FULL (backup, upgrade)")))
        started = time.perf_counter()
        if "hook" in parts:
            hook(tmp, args.rounds, args.ops, args.seed)
        if "scrape" in parts:
            scrape(tmp, args.waiting, args.rounds, args.scrapes)
        if "backup" in parts or "upgrade" in parts:
            t0 = time.perf_counter()
            year, events = make_year(tmp, args.days, args.tickets, args.seed)
            print(f"\n[year] {args.days} business days of {args.tickets} tickets: {events:,} "
                  f"events, {mb(year):.1f} MB, made in {time.perf_counter() - t0:.1f} s")
            if "upgrade" in parts:  # first: the backup's stream adds a day to the file
                upgrade(tmp, year, events, max(1, args.backup_rounds))
            if "backup" in parts:
                backup(tmp, year, events, args.backup_rounds, args.interval, args.seed)
        print(f"\n{time.perf_counter() - started:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
