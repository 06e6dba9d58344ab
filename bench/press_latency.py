"""Press to display against the physical floor: Suivant and a do-nothing bridge, side by side.

    python -m bench.press_latency                     # every mode and scenario below (~6 min)
    python -m bench.press_latency --mode direct --single 100 --bursts 20 --sustained 20

One Mosquitto (the generated config's settings), two bridges on it at the same time: a real
`suivant serve` (site `bench`, synchronous=FULL) and the floor (bench.floor_bridge: one append
and fdatasync per read, then ack and show at QoS 1, nothing else). Each has 200 counters with
a terminal and a display, every device its own MQTT connection. The devices are a lean load
generator (bench.mqtt_wire): presses pre-encoded and signed beforehand, written straight to
the socket, so the harness costs a few µs a press instead of the full firmware's ~1 ms
(bench.device_links keeps the firmware's own code, for correctness).

A press's latency runs from its write to the socket to the arrival, at the display of the
same counter, of the show naming the ticket its ack names (the ack's own latency too). Each
scenario alternates between the two bridges, so both see the same machine:

- single: one counter presses, waits for its show, 50 ms pause; --single rounds each;
- burst: all 200 counters press in the same instant, then a 300 ms pause; --bursts rounds;
- sustained: each counter presses after exponential pauses, 94 presses/s in all, one press
  outstanding per counter (a terminal waits for its ack); --sustained seconds each, in 5 s
  blocks.

A service's line holds 999 numbers, so Suivant's line is topped up over HTTP between
measurements (never during one).

Modes (each a fresh broker, bridges and day; --mode to pick):
- direct: the devices connect to the broker;
- proxy: through simulators.fault_proxy in its own process, its delays off (its cost);
- proxy-delays: the same with 5 % of publishes delayed 50-400 ms (overtaken: reordering);
- idle-1000: direct, plus 1,000 more devices per bridge (500 closed counters' terminals and
  displays) connected and sending a status a minute.

Printed per row: presses, p50/p90/p99/max of press->display and p50/p99 of press->ack, the
bridge's CPU per press (from /proc), and the generator's own CPU per press.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import ROOT, load_line, machine_lines, percentile, wait_for_quiet
from .mqtt_wire import Wire, publish_packet

sys.path.insert(0, str(ROOT / "tests"))  # the tests' Mosquitto helper

from mosquitto_broker import MosquittoBroker  # noqa: E402
from suivant_fw.message import Message, encode  # noqa: E402

from .device_links import AGENT, TICKS, Bridge  # noqa: E402

COUNTERS = 200
RATE = 94.0  # presses per second in the sustained scenario (the issue's figure)
MODES = ("direct", "proxy", "proxy-delays", "idle-1000")


class Desk:
    """One counter of one bridge as the generator sees it: its terminal's and display's
    connections, the presses to send, and the press in flight."""

    def __init__(self, site: SiteLoad, n: int, packets: list[bytes]):
        self.site, self.n, self.packets = site, n, packets
        self.sent = 0
        self.sent_at: float | None = None
        self.ack: tuple[float, str] | None = None
        self.shows: list[tuple[float, str]] = []
        self.done: asyncio.Future[None] | None = None
        self.term: Wire | None = None

    def press(self) -> asyncio.Future[None]:
        self.ack, self.shows = None, []
        self.done = asyncio.get_running_loop().create_future()
        packet = self.packets[self.sent]
        self.sent += 1
        self.sent_at = time.perf_counter()
        self.term.write(packet)
        return self.done

    async def pressed(self, timeout: float) -> None:
        """Press and wait for the show naming the ticket its ack names."""
        try:
            await asyncio.wait_for(self.press(), timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"{self.site.name}: counter {self.n} pressed, no show for its "
                               f"ack after {timeout:g} s (ack {self.ack}, shows since "
                               f"{self.shows})") from None

    def on_ack(self, payload: bytes) -> None:
        t = time.perf_counter()
        parts = payload.split(b"|")
        if self.sent_at is None or self.ack is not None:
            return
        if parts[5] != b"ok" or parts[6] == b"-":
            self.site.errors += 1
        self.ack = (t, parts[6].decode())
        self._check()

    def on_show(self, payload: bytes) -> None:
        if self.sent_at is not None:
            self.shows.append((time.perf_counter(), payload.split(b"|")[7].decode()))
            self._check()

    def _check(self) -> None:
        if self.ack is None:
            return
        for t, label in self.shows:
            if label == self.ack[1]:
                self.site.record(t - self.sent_at, self.ack[0] - self.sent_at)
                self.sent_at = None
                self.done.set_result(None)
                return


class SiteLoad:
    """The devices of one bridge (its site id in the topics) and what they measured."""

    def __init__(self, name: str, site: str, keys: dict[str, bytes], presses_each: int,
                 cpu: Any, issue: Any = None):
        self.name, self.site, self.cpu = name, site, cpu
        self.issue = issue  # issue(n): n more tickets in the line (None: the floor needs none)
        self.stock = 0  # tickets waiting, as far as the presses so far tell
        prefix = f"suivant/{site}/d/"
        self.prefix = prefix
        self.keys = keys
        boot = "%08x" % random.Random(site).getrandbits(32)
        self.desks = {}
        for n in range(1, COUNTERS + 1):
            dev, key = f"t{n}", keys[f"t{n}"]
            packets = [publish_packet(f"{prefix}{dev}/up",
                                      encode(Message("press", dev, boot, seq, ("next",)), key),
                                      1, False, seq % 0xFFFF + 1)
                       for seq in range(1, presses_each + 1)]
            self.desks[n] = Desk(self, n, packets)
        self.show_ms: list[float] = []
        self.ack_ms: list[float] = []
        self.errors = 0
        self.wires: list[Wire] = []
        self.shown: dict[str, int] = {}  # idle device -> the show version it has

    async def stock_up(self, presses: int) -> None:
        """Enough people waiting for `presses` more calls (a service has 999 numbers, 200 of
        them at the desks: topped up between measurements, outside them)."""
        if self.issue is not None and self.stock < presses + 10:
            n = min(presses + 50, 750) - self.stock
            await asyncio.get_running_loop().run_in_executor(None, self.issue, n)
            self.stock += n

    def record(self, show_s: float, ack_s: float) -> None:
        self.stock -= 1
        self.show_ms.append(1000 * show_s)
        self.ack_ms.append(1000 * ack_s)

    async def connect(self, port: int, idle: list[str]) -> None:
        for n, desk in self.desks.items():
            desk.term = await Wire.open(
                "127.0.0.1", port, f"{self.site}-t{n}",
                lambda topic, p, d=desk: d.on_ack(p) if topic.endswith("/down") else None)
            display = await Wire.open("127.0.0.1", port, f"{self.site}-d{n}",
                                      lambda topic, p, d=desk: d.on_show(p))
            self.wires += [desk.term, display]
        for dev in idle:
            self.wires.append(await Wire.open("127.0.0.1", port, f"{self.site}-{dev}",
                                              lambda topic, p, dev=dev: self._idle_show(dev, p)))
        for wire, dev in zip(self.wires, self.devices(idle)):  # as boards do: down and show
            await wire.subscribe([(f"{self.prefix}{dev}/down", 1), (f"{self.prefix}{dev}/show", 1)])

    def devices(self, idle: list[str]) -> list[str]:
        """The device of each connection, in self.wires' order."""
        return [d for n in self.desks for d in (f"t{n}", f"d{n}")] + idle

    def _idle_show(self, dev: str, payload: bytes) -> None:
        parts = payload.split(b"|")
        if parts[1] == b"show":
            self.shown[dev] = int(parts[4])

    async def statuses(self, idle: list[str]) -> None:
        """Each idle device says it is alive once a minute on average, as boards do."""
        rng = random.Random(2)
        by_id = {w: dev for w, dev in zip(self.wires[2 * COUNTERS:], idle)}
        boot = "%08x" % rng.getrandbits(32)
        seq = 0
        while True:
            await asyncio.sleep(rng.expovariate(len(idle) / 60.0))
            wire, dev = rng.choice(list(by_id.items()))
            seq += 1
            shown = str(self.shown.get(dev, 0))
            line = encode(Message("status", dev, boot, seq, ("600", "60000", "-60", "0", shown)),
                          self.keys[dev])
            wire.write(publish_packet(f"{self.prefix}{dev}/up", line, 1, False, seq % 0xFFFF + 1))

    def take(self) -> tuple[list[float], list[float], int]:
        out = sorted(self.show_ms), sorted(self.ack_ms), self.errors
        self.show_ms, self.ack_ms, self.errors = [], [], 0
        return out


class FloorProcess:
    def __init__(self, broker_port: int, folder: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.floor_bridge", "--port", str(broker_port), "--site",
             "floor", "--dir", str(folder)], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the floor bridge did not start")

    def cpu_seconds(self) -> float:
        return _cpu_of(self.proc.pid)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Row:
    def __init__(self, mode: str, scenario: str, site: SiteLoad):
        self.mode, self.scenario, self.site = mode, scenario, site
        self.show: list[float] = []
        self.ack: list[float] = []
        self.errors = 0
        self.bridge_cpu = 0.0
        self.gen_cpu = 0.0

    async def measure(self, run: Any, presses: int) -> None:
        await self.site.stock_up(presses)
        await asyncio.sleep(1.0)  # the top-up's shows and events settle
        cpu0, gen0 = self.site.cpu(), time.process_time()
        await run()
        self.bridge_cpu += self.site.cpu() - cpu0
        self.gen_cpu += time.process_time() - gen0
        show, ack, errors = self.site.take()
        self.show += show
        self.ack += ack
        self.errors += errors

    def line(self) -> str:
        s, a = sorted(self.show), sorted(self.ack)
        n = len(s)
        if not n:
            return f"{self.mode:12s} {self.scenario:10s} {self.site.name:8s} no press measured"
        return (f"{self.mode:12s} {self.scenario:10s} {self.site.name:8s} {n:6d} "
                f"{percentile(s, 50):7.2f} {percentile(s, 90):7.2f} {percentile(s, 99):7.2f} "
                f"{s[-1]:7.1f} {percentile(a, 50):7.2f} {percentile(a, 99):7.2f} "
                f"{1000 * self.bridge_cpu / n:8.3f} {1000 * self.gen_cpu / n:7.3f} "
                f"{self.errors:4d}")


HEADER = (f"{'mode':12s} {'scenario':10s} {'bridge':8s} {'presses':>6s} {'p50':>7s} {'p90':>7s} "
          f"{'p99':>7s} {'max':>7s} {'ack p50':>7s} {'ack p99':>7s} {'cpu/press':>8s} "
          f"{'gen cpu':>7s} {'errs':>4s}\n" + " " * 32 + "press->display ms" + " " * 22
          + "press->ack ms    bridge ms  harness ms")


async def single(site: SiteLoad, rounds: int) -> None:
    desk = site.desks[1]
    for _ in range(rounds):
        await desk.pressed(30)
        await asyncio.sleep(0.05)


async def burst(site: SiteLoad, rounds: int) -> None:
    for _ in range(rounds):
        await asyncio.gather(*(desk.pressed(60) for desk in site.desks.values()))
        await asyncio.sleep(0.3)


async def sustained(site: SiteLoad, seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    end = time.monotonic() + seconds
    mean_gap = COUNTERS / RATE

    async def agent(desk: Desk) -> None:
        await asyncio.sleep(rng.uniform(0, mean_gap))
        while time.monotonic() < end:
            await desk.pressed(60)
            await asyncio.sleep(rng.expovariate(1 / mean_gap))
    await asyncio.gather(*(agent(d) for d in site.desks.values()))


def run_mode(mode: str, args: argparse.Namespace, folder: Path) -> list[Row]:
    idle_counters = 500 if mode == "idle-1000" else 0
    presses_each = args.single + args.bursts + int(args.sustained * RATE / COUNTERS * 2) + 20
    with _quiet_broker() as broker:
        devices = [(f"t{n}", "counter", n, {}) for n in range(1, COUNTERS + 1)]
        devices += [(f"d{n}", "display", n, {}) for n in range(1, COUNTERS + 1)]
        idle = [f"t{n}" for n in range(COUNTERS + 1, COUNTERS + idle_counters + 1)]
        idle += [f"d{n}" for n in range(COUNTERS + 1, COUNTERS + idle_counters + 1)]
        devices += [(dev, "counter" if dev[0] == "t" else "display", int(dev[1:]), {})
                    for dev in idle]
        (folder / "suivant").mkdir()
        (folder / "floor").mkdir()
        bridge = Bridge(folder / "suivant", COUNTERS + idle_counters, broker.port, devices)
        floor = FloorProcess(broker.port, folder / "floor")
        proxy = None
        try:
            for n in range(1, COUNTERS + 1):
                bridge.post(f"/api/counters/{n}/open", headers=AGENT)
            port = broker.port
            if mode.startswith("proxy"):
                proxy, port = _proxy(broker.port, 0.05 if mode == "proxy-delays" else 0.0)
            return asyncio.run(_measure(mode, args, bridge, floor, port, idle, presses_each))
        except Exception:
            log = bridge.folder / "bridge.log"
            if log.exists():  # what the bridge said, for the failure's cause
                print("the bridge's log ends with:\n" + "\n".join(
                    log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
            raise
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(10)
            floor.stop()
            bridge.stop()


def _quiet_broker() -> MosquittoBroker:
    """The tests' broker (the generated config's settings) without its log of every packet."""
    broker = MosquittoBroker()
    broker.config.write_text(broker.config.read_text().replace(
        "log_type all\n", "log_type error\nlog_type warning\n"))
    return broker


def _issue(bridge: Bridge, tickets: int) -> None:
    """Enough tickets waiting for every press to call one (issued over HTTP, 8 at a time)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: bridge.post("/api/tickets", {"service": "accueil"}),
                      range(tickets)))


def _proxy(broker_port: int, delay: float) -> tuple[subprocess.Popen[str], int]:
    from support import free_port
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simulators.fault_proxy", "--broker",
                             f"127.0.0.1:{broker_port}", "--listen", str(port), "--delay",
                             str(delay)], cwd=ROOT, stdout=subprocess.DEVNULL)
    import socket
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return proc, port
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def _measure(mode: str, args: argparse.Namespace, bridge: Bridge, floor: FloorProcess,
                   port: int, idle: list[str], presses_each: int) -> list[Row]:
    keys = {d.id: d.key for d in bridge.devices.values()}
    sites = [SiteLoad("suivant", "bench", keys, presses_each, bridge.cpu_seconds,
                      lambda n: _issue(bridge, n)),
             SiteLoad("floor", "floor", keys, presses_each, floor.cpu_seconds)]
    background = []
    for site in sites:
        await site.connect(port, idle)
        if idle:
            background.append(asyncio.create_task(site.statuses(idle)))
    await asyncio.sleep(2.0)  # the start-up shows, the idle devices' first words
    rows = []
    try:
        # alternate the bridges, in halves, so both see the same machine
        if args.single:
            pair = [Row(mode, "single", s) for s in sites]
            for half in (args.single // 2, args.single - args.single // 2):
                for row in pair:
                    await row.measure(lambda: single(row.site, half), half)
            rows += pair
        if args.bursts:
            pair = [Row(mode, "burst-200", s) for s in sites]
            for r in range(args.bursts):
                for row in pair if r % 2 == 0 else pair[::-1]:
                    await row.measure(lambda: burst(row.site, 1), COUNTERS)
            rows += pair
        if args.sustained:
            pair = [Row(mode, f"{RATE:g}/s", s) for s in sites]
            blocks = max(1, round(args.sustained / 5))  # 5 s hold ~470 presses: one line's worth
            for block in range(blocks):
                for row in pair:
                    await row.measure(lambda: sustained(row.site, args.sustained / blocks, block),
                                      int(RATE * args.sustained / blocks * 1.2))
            rows += pair
    finally:
        for task in background:
            task.cancel()
        for site in sites:
            for wire in site.wires:
                wire.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.press_latency",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", action="append", choices=MODES, help="default: all four")
    p.add_argument("--single", type=int, default=100, help="one-press rounds per bridge")
    p.add_argument("--bursts", type=int, default=20, help="200-at-once rounds per bridge")
    p.add_argument("--sustained", type=float, default=20.0,
                   help="seconds of 94 presses/s per bridge")
    p.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS",
                   help="first wait up to this long for the machine to go idle")
    args = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="suivant-bench-press-"))
    print("\n".join(machine_lines(str(folder), "FULL")))
    if args.quiet_wait:
        print(wait_for_quiet(args.quiet_wait), flush=True)
    print(f"generator: one process, {os.cpu_count()} CPUs shared with the broker and bridges")
    print(HEADER, flush=True)
    try:
        for mode in args.mode or MODES:
            sub = folder / mode
            sub.mkdir()
            if args.quiet_wait:
                print(wait_for_quiet(args.quiet_wait), flush=True)
            for row in run_mode(mode, args, sub):
                print(row.line(), flush=True)
            print(load_line(), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
