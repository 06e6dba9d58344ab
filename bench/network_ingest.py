"""The network's ingest: 2,840 simulated sites into one central, on real NATS JetStream and a
durable PostgreSQL (issue 14, "Benchmark").

    python -m bench.network_ingest                  # 2,840 sites (about 4 minutes)
    python -m bench.network_ingest --quick          # a smoke run: 30 sites, seconds per phase
    python -m bench.network_ingest --backlog 78 --storm-sites 2840   # a whole network day's
                                                    # backlog, every site's storm (~6 min)
    python -m bench.network_ingest --storm-only --storm-sites 2840 --storm-cost 10 \
        [--auth-timeout 30] [--connect-timeout 30]  # the storm alone, at another cost

What runs: a PostgreSQL cluster of its own with its durable defaults (fsync on); the NATS
server on the config `suivant central nats-config` writes for the network (one user per site,
allowed only its own subjects); central as `suivant central serve`, its own process. The sites
are light emitters in this process, not bridges: one authenticated NATS connection per site
(its own user and password, its own inbox prefix), publishing the site's events in order with
wire.encode_event and the publisher's de-duplication header, each acknowledged by the stream,
and the site's state every 10 s as a real site does. The events' bodies are real: a day of the
example town hall made through the domain (bench.http_latency.fill_day), replayed with each
event's time set to the moment the emitter "commits" it.

The load: the network's day is 36,000 tickets × 6 events (issue 14); PEAK_SHARE of it in the
4 morning hours gives the peak rate (11.25 events/s for the whole network). A site's publisher
looks at its history every 50 ms, so each event's time is set up to 50 ms before its publish.

Phases (printed as they end):
  connect    every site connects (bcrypt cost --bcrypt-cost in the server's config)
  peak       Poisson arrivals at the peak rate for --seconds: lag from an event's time (its
             commit at the site) to its row's received_at in PostgreSQL, p50/p99/max
  catch-up   while the peak goes on: a site's database with a day of its own, published by the
             real publisher (host_bridge.network.publisher) from nothing: time until central's
             `contiguous` reaches the site's last event; a typical site's day and a big one
  10x peak   the same at ten times the peak rate
  backlog    central stopped, --backlog events of every site published (78: a site's day);
             central started: rows committed per second while it drains (saturation), and the
             time the whole backlog took
  size       pg_total_relation_size(events) (table, indexes, TOAST) per row, × a site's events
             in a year
  storm      a NATS server whose site users are hashed at the generated config's cost:
             --storm-sites sites connect at once, each giving up after the publisher's
             connect timeout (2 s) and trying again a second later, as the publisher does:
             time until all are in, refusals, server CPU per connection, × 2,840
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from host_bridge.arg_types import bounded
from ._common import load_line, machine_lines, percentile, system_busy, wait_for_quiet
from .network_rig import (CentralProcess, DurablePostgres, cpu_seconds, network, site_day_db,
                          template_events, tree_cpu_seconds, wait_until)

NETWORK_SITES = 2_840
CATCH_UP_SITES = (("catchup-typical", 27), ("catchup-big", 2_000))  # ~78 and ~5,800 events
TICKETS_PER_DAY = 36_000  # the network's, issue 14 (~13 per site)
EVENTS_PER_TICKET = 6  # issue 14's figure; the domain's own day makes ~2.9 (see docs)
PEAK_SHARE = 0.75  # of the day's events in the 4 morning hours
DAYS_PER_YEAR = 250  # 9 million requests in 2023 / ~36,000 a day
PEAK_RATE = TICKETS_PER_DAY * EVENTS_PER_TICKET * PEAK_SHARE / (4 * 3600)
SITE_DAY = round(TICKETS_PER_DAY / NETWORK_SITES * EVENTS_PER_TICKET)  # 78 events
POLL = 0.05  # the publisher's look at its history (publisher.POLL_SECONDS)
STATE_SECONDS = 10.0  # a site's state, as the [network] default
CONCURRENT_CONNECTS = 64
MAX_IN_FLIGHT = 2_000  # publishes awaiting their acknowledgement, backlog phase


def site_ids(n: int) -> list[str]:
    return [f"site-{i:04d}" for i in range(1, n + 1)]


@dataclass
class Emitter:
    """One simulated site: its own connection and numbering."""
    site: str
    nc: Any = None
    js: Any = None
    seq: int = 0
    errors: int = 0

    async def connect(self, url: str, password: str, timeout: float = 30.0) -> None:
        import nats

        from host_bridge.central.nats_config import site_user
        from host_bridge.network import wire

        async def quiet(e: Exception) -> None:  # refusals are counted by the caller
            pass
        self.nc = await nats.connect(servers=[url], user=site_user(self.site), password=password,
                                     name=f"bench-{self.site}", error_cb=quiet,
                                     inbox_prefix=wire.inbox_prefix(self.site),
                                     connect_timeout=timeout, max_reconnect_attempts=0,
                                     allow_reconnect=False)
        self.js = self.nc.jetstream(timeout=30)

    async def publish(self, template: list[tuple[str, dict[str, Any]]],
                      at: float) -> tuple[str, int]:
        """The site's next event, its time `at` (epoch seconds), acknowledged by the stream
        -> its (site, seq)."""
        from host_bridge.network import wire
        from host_bridge.store.event_codec import encode_compact
        self.seq += 1
        seq = self.seq
        kind, fields = template[(seq - 1) % len(template)]
        when = datetime.fromtimestamp(at, timezone.utc)
        stamp = when.isoformat()
        body = dict(fields, at=stamp)
        if "day" in body:
            body["day"] = when.date().isoformat()
        payload = wire.encode_event(self.site, seq, seq - 1, when.date().isoformat(), kind,
                                    stamp, encode_compact(body))
        try:
            await self.js.publish(wire.events_subject(self.site), payload,
                                  headers={"Nats-Msg-Id": wire.msg_id(self.site, seq)})
        except Exception:  # noqa: BLE001 - counted and printed: a lost event shows as a gap
            self.errors += 1
        return self.site, seq

    async def send_state(self) -> None:
        from host_bridge.network import wire
        state = {"site_info": {"name": f"France Services {self.site}",
                               "timezone": "Europe/Paris",
                               "services": [{"id": s, "name": s.title(), "letter": s[0].upper(),
                                             "target_wait_minutes": 15}
                                            for s in ("accueil", "etat-civil", "passeports-cni",
                                                      "urbanisme")]},
                 "now": {"day": date.today().isoformat(), "open_counters": 2,
                         "waiting": {"accueil": 1, "etat-civil": 0, "passeports-cni": 2,
                                     "urbanisme": 0}},
                 "last_seq": self.seq, "published_seq": self.seq, "sent_at": time.time()}
        await self.nc.publish(wire.state_subject(self.site), wire.encode_state(self.site, state))


@dataclass
class Run:
    args: argparse.Namespace
    folder: Path
    net: Any = None
    central: CentralProcess | None = None
    emitters: list[Emitter] = field(default_factory=list)
    template: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def query(self, sql: str, *params: Any) -> list[tuple]:
        return self.net.query(sql, *params)

    def cpu(self) -> dict[str, float]:
        out = {"central": self.central.cpu() if self.central else 0.0,
               "nats": cpu_seconds(self.net.nats.process.pid),
               "postgres": tree_cpu_seconds(self.args.pg.process.pid),
               "emitters": time.process_time()}
        out["other"] = system_busy()[0] - sum(out.values())  # everything else on the machine
        return out

    @staticmethod
    def cpu_line(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
        return "cpu (cores): " + ", ".join(
            f"{k} {(after[k] - before[k]) / seconds:.2f}" for k in before)


# ----- the load ------------------------------------------------------------------------------
async def states(run: Run, stop: asyncio.Event) -> None:
    """Every site's state every STATE_SECONDS, spread evenly."""
    if not run.args.states:
        return
    gap = STATE_SECONDS / len(run.emitters)
    i = 0
    next_at = time.monotonic()
    while not stop.is_set():
        await run.emitters[i % len(run.emitters)].send_state()
        i += 1
        next_at += gap
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def paced(run: Run, rate: float, seconds: float, seed: int) -> list[tuple[str, int]]:
    """Poisson arrivals at `rate` events/s over the sites, for `seconds` -> the events sent as
    (site, seq), every publish acknowledged before it returns."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    next_at = loop.time()
    tasks = []
    while True:
        next_at += rng.expovariate(rate)
        if next_at > end:
            break
        delay = next_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        site = rng.choice(run.emitters)
        tasks.append(asyncio.ensure_future(
            site.publish(run.template, time.time() - rng.uniform(0, POLL))))
    return list(await asyncio.gather(*tasks))


def lags(run: Run, sent: list[tuple[str, int]]) -> list[float]:
    """Each sent event's lag: its row's received_at - its time (at), seconds, sorted."""
    rows = run.query("SELECT extract(epoch FROM e.received_at - e.at)::float8 FROM events e "
                     "JOIN unnest(%s::text[], %s::bigint[]) AS k(site, seq) "
                     "ON e.site = k.site AND e.seq = k.seq",
                     [s for s, _ in sent], [q for _, q in sent])
    return sorted(r[0] for r in rows)


def wait_stored(run: Run, total: int, timeout: float) -> None:
    wait_until(lambda: run.query("SELECT count(*) FROM events")[0][0] >= total, timeout,
               f"central storing {total} events", step=0.2)


async def phase_paced(run: Run, name: str, rate: float, seconds: float, seed: int) -> None:
    before_rows = run.query("SELECT count(*) FROM events")[0][0]
    cpu0, t0 = run.cpu(), time.monotonic()
    sent = await paced(run, rate, seconds, seed)
    await asyncio.to_thread(wait_stored, run, before_rows + len(sent), 60)
    cpu1, t1 = run.cpu(), time.monotonic()
    values = lags(run, sent)
    run.say(f"{name:9s} {rate:8.1f} ev/s for {seconds:g} s: {len(sent)} events, "
            f"{len(values)} rows; "
            f"lag p50 {percentile(values, 50):.3f} s, p99 {percentile(values, 99):.3f} s, "
            f"max {values[-1] if values else float('nan'):.3f} s")
    run.say("          " + run.cpu_line(cpu0, cpu1, t1 - t0))


def catch_up(run: Run, name: str, tickets: int) -> None:
    """The real publisher, from nothing, with a day in its database: until central holds all."""
    from host_bridge.network.publisher import Publisher
    from host_bridge.network.settings import NetworkSettings
    path, last = site_day_db(run.folder, name, tickets)
    password = (Path(run.net.config.secrets) / f"{name}.password").read_text().strip()
    settings = NetworkSettings(urls=(run.net.nats.url,), user=f"site-{name}", password=password)
    state = {"site_info": {"name": name, "timezone": "Europe/Paris", "services": []}, "now": {}}
    start = time.monotonic()
    publisher = Publisher(name, str(path), settings, lambda: dict(state)).start()
    try:
        took = wait_until(lambda: run.net.contiguous(name) >= last, 120,
                          f"{name} caught up", step=0.02)
    finally:
        publisher.stop()
    run.say(f"catch-up  {name}: a day of {tickets} tickets, {last} events, from a cold start "
            f"(connect, cursor, publish, ingest): {took:.2f} s "
            f"({time.monotonic() - start:.2f} s with the publisher's stop)")


async def phase_catch_up(run: Run) -> None:
    stop = asyncio.Event()

    async def background() -> None:
        n = 0
        while not stop.is_set():
            await paced(run, PEAK_RATE, 2.0, 1000 + n)
            n += 1
    load = asyncio.ensure_future(background())
    try:
        for name, tickets in CATCH_UP_SITES:
            if run.args.quick:
                tickets = min(tickets, 300)
            await asyncio.to_thread(catch_up, run, name, tickets)
    finally:
        stop.set()
        await load




async def phase_backlog(run: Run) -> None:
    """Central stopped; every site's day(s) published; central started: its drain rate."""
    run.central.stop()
    run.central = None
    per_site = run.args.backlog
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(e: Emitter, at: float) -> None:
        try:
            await e.publish(run.template, at)
        finally:
            gate.release()
    t0 = time.monotonic()
    tasks = []
    now = time.time()
    for k in range(per_site):
        for e in run.emitters:
            await gate.acquire()
            tasks.append(asyncio.ensure_future(one(e, now + k * 1e-6)))
    await asyncio.gather(*tasks)
    published = time.monotonic() - t0
    total_before = run.query("SELECT count(*) FROM events")[0][0]
    backlog = len(tasks)
    run.say(f"backlog   {backlog} events ({per_site} per site, {len(run.emitters)} sites) "
            f"published with central stopped in {published:.1f} s "
            f"({backlog / published:.0f}/s acknowledged by the stream, one Python emitter)")
    cpu0, t_start = run.cpu(), time.monotonic()
    run.central = CentralProcess(run.net.config_path, run.folder / "central.log")
    target = total_before + backlog
    samples: list[tuple[float, int]] = []
    while True:
        n = run.query("SELECT count(*) FROM events")[0][0]
        samples.append((time.monotonic() - t_start, n - total_before))
        if n >= target or samples[-1][0] > 600:
            break
        await asyncio.sleep(0.25)
    cpu1, t_end = run.cpu(), time.monotonic()
    lo = next(s for s in samples if s[1] >= 0.1 * backlog)
    hi = next((s for s in samples if s[1] >= 0.9 * backlog), samples[-1])
    rate = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else float("nan")
    run.say(f"backlog   drained in {samples[-1][0]:.1f} s from central's start: "
            f"{rate:.0f} rows/s committed between 10 % and 90 % of the backlog "
            f"(saturation; {samples[-1][1]} of {backlog} rows)")
    run.say("          " + run.cpu_line(cpu0, cpu1, t_end - t_start))


def phase_size(run: Run) -> None:
    (rows, total, table, indexes), = run.query(
        "SELECT count(*), pg_total_relation_size('events'), pg_relation_size('events'), "
        "pg_indexes_size('events') FROM events")
    per_row = total / rows
    per_year = TICKETS_PER_DAY * DAYS_PER_YEAR / NETWORK_SITES * EVENTS_PER_TICKET
    run.say(f"size      {rows} rows: {total / 2**20:.1f} MiB in all (table {table / 2**20:.1f}, "
            f"indexes {indexes / 2**20:.1f}): {per_row:.0f} bytes a row; × {per_year:,.0f} "
            f"events per site-year = {per_row * per_year / 2**20:.2f} MiB per site-year, "
            f"{per_row * per_year * NETWORK_SITES / 2**30:.1f} GiB per network-year")


async def connect_all(emitters: list[Emitter], url: str, secrets: Path) -> float:
    gate = asyncio.Semaphore(CONCURRENT_CONNECTS)

    async def one(e: Emitter) -> None:
        async with gate:
            await e.connect(url, (secrets / f"{e.site}.password").read_text().strip())
    t0 = time.monotonic()
    await asyncio.gather(*(one(e) for e in emitters))
    return time.monotonic() - t0


async def storm(args: argparse.Namespace, folder: Path, pg: DurablePostgres) -> str:
    """--storm-sites connect at once to a server whose users are hashed at the generated
    config's own cost (or --storm-cost), each retrying a second after a refusal as the publisher does: time until
    all are in, refusals, the server's CPU per connection made."""
    from host_bridge.central import nats_config
    sites = site_ids(args.storm_sites)
    sub = folder / "storm"
    sub.mkdir()
    t0 = time.monotonic()
    cost = args.storm_cost or nats_config.BCRYPT_COST
    net = network(sub, pg, sites, cost)
    written = time.monotonic() - t0
    if args.auth_timeout:  # what a longer wait for the check would give (the default is 2 s)
        net.nats.stop()
        text = net.nats.config_path.read_text()
        assert text.count("authorization {") == 1, "the generated config changed shape"
        net.nats.config_path.write_text(text.replace(
            "authorization {", f"authorization {{\n  timeout: {args.auth_timeout:g}", 1))
        net.nats.start()
    emitters = [Emitter(s) for s in sites]
    refused: dict[str, int] = {}
    secrets = Path(net.config.secrets)

    async def one(e: Emitter) -> None:
        password = (secrets / f"{e.site}.password").read_text().strip()
        while True:
            try:
                await e.connect(net.nats.url, password, args.connect_timeout)
                return
            except Exception as err:  # noqa: BLE001 - counted by its message, retried
                reason = str(err) or type(err).__name__
                refused[reason] = refused.get(reason, 0) + 1
                await asyncio.sleep(1.0)
    try:
        cpu0 = cpu_seconds(net.nats.process.pid)
        t1 = time.monotonic()
        tries = [asyncio.ensure_future(one(e)) for e in emitters]
        done, pending = await asyncio.wait(tries, timeout=args.storm_limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        took = time.monotonic() - t1
        connected = sum(1 for e in emitters if e.nc is not None and e.nc.is_connected)
        per = (cpu_seconds(net.nats.process.pid) - cpu0) / max(connected, 1)
    finally:
        for e in emitters:
            if e.nc is not None:
                await e.nc.close()
        net.close()
    timeout = f"authorization timeout {args.auth_timeout:g} s" if args.auth_timeout else \
        "the server's default authorization timeout"
    return (f"storm     {len(sites)} sites at once, bcrypt cost {cost}, {timeout}, "
            f"the sites' connect timeout {args.connect_timeout:g} s, retrying after 1 s: "
            + (f"all connected after {took:.1f} s" if not pending else
               f"ONLY {connected} OF {len(sites)} CONNECTED after {took:.0f} s (--storm-limit)")
            + "; attempts refused: "
            f"{sum(refused.values())} {dict(refused) or ''}; the server's CPU "
            f"{1000 * per:.1f} ms per site connected -> {NETWORK_SITES} sites: "
            f"{per * NETWORK_SITES:.0f} s of one core; writing the config took {written:.1f} s")


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    pg = args.pg
    if args.storm_only:
        print(await storm(args, folder, pg), flush=True)
        return
    sites = site_ids(args.sites)
    run = Run(args, folder)
    t0 = time.monotonic()
    run.net = network(folder, pg, sites + [name for name, _ in CATCH_UP_SITES], args.bcrypt_cost)
    run.say(f"network   {len(sites)} sites (+{len(CATCH_UP_SITES)} for the catch-up), "
            f"nats-config at bcrypt cost {args.bcrypt_cost} written and NATS started in "
            f"{time.monotonic() - t0:.1f} s")
    run.template = await asyncio.to_thread(template_events, folder)
    run.central = CentralProcess(run.net.config_path, folder / "central.log")
    run.emitters = [Emitter(s) for s in sites]
    cpu0 = cpu_seconds(run.net.nats.process.pid)
    took = await connect_all(run.emitters, run.net.nats.url, Path(run.net.config.secrets))
    run.say(f"connect   {len(sites)} sites, each its own user and connection, "
            f"{CONCURRENT_CONNECTS} at a time: {took:.1f} s; the server's CPU "
            f"{1000 * (cpu_seconds(run.net.nats.process.pid) - cpu0) / len(sites):.2f} ms "
            f"per connection at cost {args.bcrypt_cost}")
    stop = asyncio.Event()
    state_task = asyncio.ensure_future(states(run, stop))
    try:
        await phase_paced(run, "peak", PEAK_RATE, args.seconds, 1)
        await phase_catch_up(run)
        await phase_paced(run, "10x peak", 10 * PEAK_RATE, args.seconds, 2)
        stop.set()
        await state_task
        await phase_backlog(run)
        phase_size(run)
        errors = sum(e.errors for e in run.emitters)
        (dups,), = run.query("SELECT coalesce(sum(count), 0) FROM duplicates")
        rejects = run.query("SELECT reason, sum(count) FROM rejects GROUP BY reason")
        run.say(f"checks    publish errors {errors}; duplicates {dups}; refused {rejects or 0}")
    finally:
        stop.set()
        for e in run.emitters:
            if e.nc is not None:
                try:
                    await asyncio.wait_for(e.nc.close(), 5)
                except Exception:  # noqa: BLE001
                    pass
        if run.central is not None:
            run.central.stop()
        run.net.close()
    if args.storm_sites:
        run.say(await storm(args, folder, pg))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network_ingest",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--sites", type=bounded(int, 1, 10_000, "--sites"), default=NETWORK_SITES, help="simulated sites")
    p.add_argument("--seconds", type=bounded(float, 1, 600, "--seconds"), default=30.0, help="seconds of each paced phase")
    p.add_argument("--backlog", type=bounded(int, 1, 30 * SITE_DAY, "--backlog"), default=20, metavar="EVENTS",
                   help=f"events per site published with central stopped ({SITE_DAY}: a day)")
    p.add_argument("--bcrypt-cost", type=bounded(int, 4, 14, "--bcrypt-cost"), default=4,
                   help="the site users' hash cost for the run (the storm's: --storm-cost)")
    p.add_argument("--storm-sites", type=bounded(int, 0, 2_840, "--storm-sites"), default=NETWORK_SITES,
                   help="sites connecting at once at the generated config's cost (0: none)")
    p.add_argument("--auth-timeout", type=bounded(float, 0, 600, "--auth-timeout"), default=0.0, metavar="SECONDS",
                   help="the storm with this authorization timeout added to the generated "
                        "config (0: as generated, the server's default)")
    p.add_argument("--connect-timeout", type=bounded(float, 0.5, 600, "--connect-timeout"), default=2.0, metavar="SECONDS",
                   help="the storm's sites give up a connection after this long (2: the "
                        "publisher's connect_timeout)")
    p.add_argument("--storm-cost", type=bounded(int, 0, 14, "--storm-cost"), default=0, metavar="COST",
                   help="the storm's bcrypt cost (0: the generated config's, "
                        "nats_config.BCRYPT_COST)")
    p.add_argument("--storm-limit", type=bounded(float, 5, 3600, "--storm-limit"), default=600.0, metavar="SECONDS",
                   help="the storm gives up after this long and says how many got in")
    p.add_argument("--storm-only", action="store_true", help="only the storm phase")
    p.add_argument("--no-states", dest="states", action="store_false",
                   help="the sites do not send their state every 10 s")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 30 sites, 2 s phases, a day's backlog, smaller catch-up")
    p.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--keep", action="store_true", help="keep the run's folder (logs, configs)")
    args = p.parse_args(argv)
    # the publisher says when central did not answer its `cursor` (it then waits ASK_SECONDS)
    logging.basicConfig(level=logging.WARNING, format="  (log) %(name)s: %(message)s")
    logging.getLogger("host_bridge.network").setLevel(logging.INFO)
    if args.quick:
        args.sites, args.seconds, args.storm_sites, args.backlog = 30, 2.0, 4, SITE_DAY
    folder = Path(tempfile.mkdtemp(prefix="suivant-bench-network-"))
    if os.geteuid() == 0:  # PostgreSQL runs as postgres and reads nothing here; the
        os.chmod(folder, 0o755)  # tests' cluster is in a folder of its own
    lines = machine_lines(str(folder), "-")
    print("\n".join(lines[:3] + lines[4:]))
    if args.quiet_wait:
        print(wait_for_quiet(args.quiet_wait), flush=True)
    print(f"network   peak {PEAK_RATE:.2f} events/s ({TICKETS_PER_DAY:,} tickets × "
          f"{EVENTS_PER_TICKET} events a day, {PEAK_SHARE:.0%} in 4 morning hours); target "
          f"ingest ≥ {10 * PEAK_RATE:.1f}/s, lag p99 ≤ 2 s, a site's day caught up < 60 s",
          flush=True)
    try:
        with DurablePostgres() as pg:
            print(f"postgres  {pg.folder} on the same disk, fsync on, synchronous_commit on",
                  flush=True)
            args.pg = pg
            asyncio.run(main_async(args, folder))
    except BaseException:
        log = folder / "central.log"
        if log.exists():  # what central said, for the failure's cause
            print("central's log ends with:\n" + log.read_text(errors="replace")[-3000:],
                  file=sys.stderr)
        raise
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(load_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
