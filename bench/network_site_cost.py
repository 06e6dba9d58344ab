"""The site's own cost of being in a network: the same bridge with its publisher on and off,
side by side in the same run (issue 14, "Benchmark").

    python -m bench.network_site_cost             # about 3 minutes
    python -m bench.network_site_cost --quick     # a smoke run (seconds)

Two real `suivant serve` processes at the same time, alike but for one table: `bench-on` has a
[network] table (its publisher sends every event to central's JetStream stream and its state
every 10 s), `bench-off` has none. Both have 200 counters with a terminal and a display each
on one Mosquitto; central (`suivant central serve`), its NATS server (the generated config)
and PostgreSQL run on the same machine, so their CPU is taken from the same 2 cores a real
site would not share with them.

Measured, alternating the two bridges (halves or rounds, as bench.press_latency does):
  press -> display (bench.press_latency's devices and scenarios): one press alone, 200 at
  once, 94 presses/s;
  HTTP: POST /api/tickets (the kiosk) and POST /api/counters/N/next (« Suivant »), one client
  with a keep-alive connection, in blocks;
  the bridge's CPU per command, and idle (the publisher looks at the history every 50 ms).
At the end, central must hold every event of bench-on (else the publisher was not on).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from host_bridge.arg_types import bounded
from ._common import load_line, machine_lines, percentile, wait_for_quiet
from .device_links import AGENT, Bridge
from .network_rig import (CentralProcess, DurablePostgres, cpu_seconds, network,
                          tree_cpu_seconds, wait_until)
from .press_latency import (COUNTERS, HEADER, RATE, Row, SiteLoad, _issue, _quiet_broker,
                            burst, single, sustained)

SITES = ("bench-on", "bench-off")


class SiteBridge(Bridge):
    """bench.device_links' bridge under another site id, with an optional [network] table."""

    def __init__(self, folder: Path, site: str, broker_port: int, devices: list[Any],
                 network_table: str = ""):
        folder.mkdir()
        super().__init__(folder, COUNTERS, broker_port, devices, site=site,
                         extra_toml=network_table)


# ----- HTTP ----------------------------------------------------------------------------------
class HttpRow:
    def __init__(self, op: str, bridge: str):
        self.op, self.bridge = op, bridge
        self.ms: list[float] = []
        self.cpu = 0.0
        self.errors = 0

    def line(self) -> str:
        s = sorted(self.ms)
        n = len(s)
        return (f"http  {self.op:7s} {self.bridge:9s} {n:6d} {percentile(s, 50):7.2f} "
                f"{percentile(s, 90):7.2f} {percentile(s, 99):7.2f} {s[-1] if s else 0:7.1f} "
                f"{1000 * self.cpu / max(n, 1):8.3f} {self.errors:4d}")


HTTP_HEADER = (f"{'':5s} {'op':7s} {'bridge':9s} {'reqs':>6s} {'p50':>7s} {'p90':>7s} "
               f"{'p99':>7s} {'max':>7s} {'cpu/req':>8s} {'errs':>4s}\n"
               + " " * 29 + "request ms" + " " * 21 + "bridge ms")


def http_block(bridge: Bridge, row: HttpRow, n: int) -> None:
    """n requests of row.op on one keep-alive connection, each timed."""
    host, port = bridge.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    cpu0 = bridge.cpu_seconds()
    try:
        for i in range(n):
            if row.op == "issue":
                path, body = "/api/tickets", json.dumps({"service": "accueil"})
                headers = {"Content-Type": "application/json"}
            else:
                path, body = f"/api/counters/{i % COUNTERS + 1}/next", ""
                headers = dict(AGENT)
            t = time.perf_counter()
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            resp.read()
            row.ms.append(1000 * (time.perf_counter() - t))
            if resp.status >= 300:
                row.errors += 1
    finally:
        conn.close()
    row.cpu += bridge.cpu_seconds() - cpu0


def measure_http(bridges: dict[str, Bridge], requests: int, block: int) -> list[HttpRow]:
    rows = {(op, name): HttpRow(op, name) for op in ("issue", "next") for name in bridges}
    for r in range(max(1, requests // block)):
        order = list(bridges) if r % 2 == 0 else list(bridges)[::-1]
        for op in ("issue", "next"):  # « Suivant » calls the tickets just issued
            for name in order:
                http_block(bridges[name], rows[(op, name)], block)
    return list(rows.values())


def idle_cpu(bridges: dict[str, Bridge], seconds: float) -> str:
    before = {n: b.cpu_seconds() for n, b in bridges.items()}
    time.sleep(seconds)
    return "idle  " + ", ".join(
        f"{n} {100 * (b.cpu_seconds() - before[n]) / seconds:.1f} % of a core"
        for n, b in bridges.items()) + f" (over {seconds:g} s, nothing happening)"


# ----- the run -------------------------------------------------------------------------------
async def measure_presses(args: argparse.Namespace, bridges: dict[str, Bridge],
                          port: int, presses_each: int) -> list[Row]:
    loads = [SiteLoad(name, name, {d.id: d.key for d in b.devices.values()}, presses_each,
                      b.cpu_seconds, lambda n, b=b: _issue(b, n))
             for name, b in bridges.items()]
    for load in loads:
        await load.connect(port, [])
    await asyncio.sleep(2.0)
    rows: list[Row] = []
    try:
        if args.single:
            pair = [Row("network", "single", s) for s in loads]
            for half in (args.single // 2, args.single - args.single // 2):
                for row in pair:
                    await row.measure(lambda: single(row.site, half), half)
            rows += pair
        if args.bursts:
            pair = [Row("network", "burst-200", s) for s in loads]
            for r in range(args.bursts):
                for row in pair if r % 2 == 0 else pair[::-1]:
                    await row.measure(lambda: burst(row.site, 1), COUNTERS)
            rows += pair
        if args.sustained:
            pair = [Row("network", f"{RATE:g}/s", s) for s in loads]
            blocks = max(1, round(args.sustained / 5))
            for block in range(blocks):
                for row in pair if block % 2 == 0 else pair[::-1]:
                    await row.measure(lambda: sustained(row.site, args.sustained / blocks, block),
                                      int(RATE * args.sustained / blocks * 1.2))
            rows += pair
    finally:
        for load in loads:
            for w in load.wires:
                w.close()
    return rows


def run(args: argparse.Namespace, folder: Path, pg: DurablePostgres) -> None:
    (folder / "network").mkdir()
    net = network(folder / "network", pg, ["bench-on"], 10)
    central = CentralProcess(net.config_path, folder / "central.log")
    password_file = Path(net.config.secrets) / "bench-on.password"
    table = (f'\n[network]\nurl = "{net.nats.url}"\npassword_file = "{password_file}"\n')
    presses_each = args.single + args.bursts + int(args.sustained * RATE / COUNTERS * 2) + 20
    devices = [(f"t{n}", "counter", n, {}) for n in range(1, COUNTERS + 1)]
    devices += [(f"d{n}", "display", n, {}) for n in range(1, COUNTERS + 1)]
    bridges: dict[str, Bridge] = {}

    def central_side() -> dict[str, float]:
        return {"central": central.cpu(), "nats": cpu_seconds(net.nats.process.pid),
                "postgres": tree_cpu_seconds(pg.process.pid)}
    try:
        with _quiet_broker() as broker:
            try:
                bridges["bench-on"] = SiteBridge(folder / "on", "bench-on", broker.port, devices,
                                                 table)
                bridges["bench-off"] = SiteBridge(folder / "off", "bench-off", broker.port,
                                                  devices)
                for b in bridges.values():
                    for n in range(1, COUNTERS + 1):
                        b.post(f"/api/counters/{n}/open", headers=AGENT)
                print(idle_cpu(bridges, args.idle), flush=True)
                cpu0 = {n: b.cpu_seconds() for n, b in bridges.items()}
                central0 = central_side()
                seq0 = {n: b.get("/api/health")["last_seq"] for n, b in bridges.items()}
                print(HEADER, flush=True)
                for row in asyncio.run(measure_presses(args, bridges, broker.port,
                                                       presses_each)):
                    print(row.line(), flush=True)
                print(HTTP_HEADER, flush=True)
                for row in measure_http(bridges, args.requests, args.block):
                    print(row.line(), flush=True)
                cpu = {n: b.cpu_seconds() - cpu0[n] for n, b in bridges.items()}
                central1 = central_side()
                events = {n: b.get("/api/health")["last_seq"] - seq0[n]
                          for n, b in bridges.items()}
                extra = cpu["bench-on"] - cpu["bench-off"]
                print(f"cpu   over the measurements: bench-on {cpu['bench-on']:.2f} s for "
                      f"{events['bench-on']} events, bench-off {cpu['bench-off']:.2f} s for "
                      f"{events['bench-off']}: the publisher ≈ {extra:.2f} s, "
                      f"{1000 * extra / max(events['bench-on'], 1):.3f} ms per event published",
                      flush=True)
                print("cpu   of what runs far from a real site, on the same cores here: " + ", ".join(
                    f"{k} {central1[k] - central0[k]:.2f} s" for k in central0), flush=True)
                on = bridges["bench-on"]
                last = on.get("/api/health")["last_seq"]
                took = wait_until(lambda: net.contiguous("bench-on") >= last, 60,
                                  "central holding bench-on's events")
                print(f"check central holds bench-on's {last} events (all of them "
                      f"{took:.1f} s after the last measurement); bench-off publishes nothing",
                      flush=True)
            finally:
                for b in bridges.values():
                    b.stop()
    finally:
        central.stop()
        net.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network_site_cost",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--single", type=bounded(int, 0, 10_000, "--single"), default=100, help="one-press rounds per bridge")
    p.add_argument("--bursts", type=bounded(int, 0, 1_000, "--bursts"), default=10, help="200-at-once rounds per bridge")
    p.add_argument("--sustained", type=bounded(float, 0, 600, "--sustained"), default=10.0,
                   help="seconds of 94 presses/s per bridge")
    p.add_argument("--requests", type=bounded(int, 1, 100_000, "--requests"), default=1_000, help="HTTP requests per op per bridge")
    p.add_argument("--block", type=bounded(int, 1, 700, "--block"), default=100, help="HTTP requests per block")
    p.add_argument("--idle", type=bounded(float, 0.5, 600, "--idle"), default=10.0, help="seconds of idle CPU measured")
    p.add_argument("--quick", action="store_true", help="a smoke run: a few of each")
    p.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS")
    args = p.parse_args(argv)
    if args.quick:
        args.single, args.bursts, args.sustained = 6, 2, 2.0
        args.requests, args.block, args.idle = 40, 20, 1.0
    folder = Path(tempfile.mkdtemp(prefix="suivant-bench-site-cost-"))
    print("\n".join(machine_lines(str(folder), "FULL")))
    if args.quiet_wait:
        print(wait_for_quiet(args.quiet_wait), flush=True)
    print(f"bridges:  bench-on (publisher on) and bench-off, {COUNTERS} counters each; central, "
          f"NATS and PostgreSQL on the same {os.cpu_count()} CPUs", flush=True)
    try:
        with DurablePostgres() as pg:
            run(args, folder, pg)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(load_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
