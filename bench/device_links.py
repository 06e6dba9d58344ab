"""Device links under load: press-to-display latency over a real Mosquitto with 1, 50 and 200
counters pressing at once, the same over a pty serial link against its wire time, and how many
connected devices one bridge keeps right.

    python -m bench.device_links                          # all of it, default sizes
    python -m bench.device_links --latency 1 --latency 50 --latency 200 --rounds 20
    python -m bench.device_links --serial --presses 200
    python -m bench.device_links --scale 1000

The bridge is a `suivant serve` subprocess (its own CPU, as in production) on a fresh
database, talking to a Mosquitto started here on a free port; the site is generated: N
counters all serving one service, enough tickets issued over HTTP beforehand, no double-press
guard. The devices are the firmware's own code under CPython — the role's state machine
(suivant_fw.roles) and its link task (link_mqtt / link_serial) — in this process's asyncio
loop: a press is injected into the terminal's state machine (what a debounced button does),
so the figures leave out the firmware's fixed local delays (10 ms button sampling, 30 ms
debounce, up to 20 ms for the link task's outbox loop): the clock starts when the press is
written.

Press-to-display latency: from the moment the terminal writes its press to its socket (or
pty) to the moment the counter display has decoded the show naming the ticket that press
called — broker hop, the bridge's decode, MAC, durable commit (synchronous=FULL), ack, the
display worker, broker hop back. Serial: from the press written on the terminal's pty to the
ack back, and to the show on the display's own pty, against the time the frames need on a
real 115200-baud line (a pty itself has no baud rate).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from ._common import ROOT, machine_lines, percentile

sys.path.insert(0, str(ROOT / "tests"))  # the tests' Mosquitto helper

from host_bridge.links.registry import DeviceRegistry
from simulators.bridge_process import BridgeProcess  # noqa: E402
from mosquitto_broker import MosquittoBroker  # noqa: E402
from suivant_fw import link_mqtt, link_serial  # noqa: E402
from suivant_fw.frame import encode_frame  # noqa: E402
from suivant_fw.message import Message, encode  # noqa: E402
from suivant_fw.roles import for_config  # noqa: E402
from simulators.boards import board_config  # noqa: E402
from simulators.pty_port import PtyPort  # noqa: E402

AGENT = {"Authorization": "Bearer demo-agent"}
AGENT_HASH = "7a281dacac30cea2f30d7c8f489ab9c046efb0f2215c0e4218c58c182a9c28b4"
SUPERVISOR = {"Authorization": "Bearer demo-superviseur"}
SUPERVISOR_HASH = "69835aacbc25a1f7192d14e18b314183ddf47777f5e26679f5858f6c7bdc4f3a"
TICKS = os.sysconf("SC_CLK_TCK")
BAUD = 115200


def site_toml(counters: int, db: str, broker_port: int | None, serial_ports: list[str],
              site: str = "bench") -> str:
    lines = ['[site]', f'id = "{site}"', 'name = "Banc d\'essai"', '',
             '[rules]', 'guard_seconds = 0', 'refuse_outside_hours = false', '',
             '[store]', f'path = "{db}"', 'synchronous = "FULL"', '',
             '[[services]]', 'id = "accueil"', 'letter = "A"', 'name = "Accueil"', '']
    for n in range(1, counters + 1):
        lines += ['[[counters]]', f'number = {n}', 'services = ["accueil"]', '']
    lines += ['[[users]]', 'name = "agent"', 'role = "agent"', f'token_sha256 = "{AGENT_HASH}"', '',
              '[[users]]', 'name = "sup"', 'role = "supervisor"',
              f'token_sha256 = "{SUPERVISOR_HASH}"', '',
              '[limits]', 'unlimited_addresses = ["127.0.0.1"]', '']  # the bench's kiosk
    if broker_port is not None:
        lines += ['[mqtt]', f'url = "mqtt://127.0.0.1:{broker_port}"', '']
    else:  # serial only: the bridge's own broker, idle, on a free port (1883 may be taken)
        from support import free_port
        lines += ['[mqtt]', f'embedded_port = {free_port()}', '']
    for port in serial_ports:
        lines += ['[[serial]]', f'port = "{port}"', f'baud = {BAUD}', '']
    return "\n".join(lines)


class Bridge:
    """`suivant serve` for the bench site, with its devices registered beforehand."""

    def __init__(self, folder: Path, counters: int, broker_port: int | None,
                 devices: list[tuple[str, str, int, dict[str, Any]]],
                 serial_ports: list[str] = (),  # type: ignore[assignment]
                 site: str = "bench", extra_toml: str = ""):
        """`site`: the site's id; `extra_toml`: tables added to the site file (bench.network_
        site_cost's [network])."""
        self.folder = folder
        config = folder / "site.toml"
        config.write_text(site_toml(counters, str(folder / "queue.db"), broker_port,
                                    list(serial_ports), site) + extra_toml)
        registry = DeviceRegistry(str(folder / "devices.db"))
        self.devices = {d.id: d for d in (registry.add(i, role, counter, **kw)
                                          for i, role, counter, kw in devices)}
        registry.close()
        self.process = BridgeProcess(config, folder / "queue.db", log_path=folder / "bridge.log")
        self.process.start(timeout=60)
        self.proc = self.process.proc
        self.url = self.process.url

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def post(self, path: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.stop(timeout=15)


class Hal:
    """The least a link task needs: time, randomness, the desktop's network, a port."""

    def __init__(self, port: Any = None):
        self.port = port
        self.t0 = time.monotonic()
        self.writer: Recorder | None = None

    def now(self) -> int:
        return int((time.monotonic() - self.t0) * 1000)

    def rand(self) -> float:
        return 0.5

    async def net_up(self) -> None:
        pass

    async def open_connection(self, host: str, port: int, tls: bool) -> Any:
        reader, writer = await asyncio.open_connection(host, port)
        self.writer = Recorder(writer)
        return reader, self.writer

    def open_serial(self, serial: dict[str, Any]) -> Any:
        self.writer = Recorder(self.port)
        return self.port, self.writer


class Recorder:
    """A writer that notes when a press leaves the device."""

    def __init__(self, writer: Any):
        self.writer = writer
        self.pressed_at: list[float] = []

    def write(self, data: bytes) -> None:
        if b"|press|" in data:
            self.pressed_at.append(time.perf_counter())
        self.writer.write(data)

    async def drain(self) -> None:
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


class Device:
    """A role's state machine and its real link task, instrumented."""

    def __init__(self, cfg: dict[str, Any], key: bytes, port: Any = None):
        self.hal = Hal(port)
        self.dev = for_config(cfg, "%08x" % (hash(cfg["device"]) & 0xFFFFFFFF), self.hal.rand)
        link_class = link_serial.SerialLink if cfg["link"] == "serial" else link_mqtt.MqttLink
        self.link = link_class(self.dev, key, cfg, self.hal, log=lambda text: None)
        self.shows: list[tuple[float, str]] = []  # (when, line 1) of every show received
        self.acks: list[tuple[float, str]] = []
        receive = self.dev.receive

        def receive_and_note(msg: Message, now: int) -> None:
            t = time.perf_counter()
            if msg.kind == "show":
                self.shows.append((t, msg.fields[2]))
            elif msg.kind == "ack":
                self.acks.append((t, msg.fields[1]))
            receive(msg, now)
        self.dev.receive = receive_and_note  # type: ignore[method-assign]

    def shown_at(self, label: str, after: float) -> float | None:
        """When a show with `label` first arrived after `after` (labels wrap at 999)."""
        for t, line in self.shows:
            if t >= after and line == label:
                return t
        return None

    def press(self) -> None:
        self.dev.buttons(bytes([1 if n == "next" else 0 for n in self.dev.button_names]),
                         self.hal.now())

    async def run(self) -> None:
        ticker = asyncio.create_task(self._tick())
        try:
            await self.link.run()
        finally:
            ticker.cancel()

    async def _tick(self) -> None:
        while True:
            self.dev.tick(self.hal.now())
            await asyncio.sleep(0.25)  # resend timers and status: no need to tick often


async def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.01)


def over_mqtt(folder: Path, counters: int, tickets: int, run: Any) -> dict[str, Any]:
    """A Mosquitto, a bridge with a terminal and a display per counter, every counter open and
    `tickets` waiting; -> what `await run(bridge, broker_port)` measures."""
    with MosquittoBroker() as broker:
        devices = [(f"t{n}", "counter", n, {}) for n in range(1, counters + 1)]
        devices += [(f"d{n}", "display", n, {}) for n in range(1, counters + 1)]
        bridge = Bridge(folder, counters, broker.port, devices)
        try:
            for n in range(1, counters + 1):
                bridge.post(f"/api/counters/{n}/open", headers=AGENT)
            for _ in range(tickets):
                bridge.post("/api/tickets", {"service": "accueil"})
            return asyncio.run(run(bridge, broker.port))
        finally:
            bridge.stop()


def mqtt_latency(counters: int, rounds: int, folder: Path) -> dict[str, Any]:
    return over_mqtt(folder, counters, counters * (rounds + 1),
                     lambda bridge, port: _mqtt_rounds(bridge, port, counters, rounds))


async def _mqtt_rounds(bridge: Bridge, port: int, counters: int, rounds: int) -> dict[str, Any]:
    boards = {}
    for dev in bridge.devices.values():
        cfg = board_config(dev.id, dev.role, dev.key, "bench", dev.counter,
                           broker=("127.0.0.1", port, "-"))
        boards[dev.id] = Device(cfg, dev.key)
    tasks = [asyncio.create_task(b.run()) for b in boards.values()]
    try:
        await _until(lambda: all(b.dev.link == 2 for b in boards.values()), 60, "all online")
        await asyncio.sleep(1.0)  # the start-up shows
        latencies: list[float] = []
        cpu0, t0 = bridge.cpu_seconds(), time.monotonic()
        for _ in range(rounds):
            terms = [boards[f"t{n}"] for n in range(1, counters + 1)]
            before = [len(t.acks) for t in terms]
            for t in terms:
                t.press()
            await _until(lambda: all(len(t.acks) > b for t, b in zip(terms, before)), 30,
                         "every press acknowledged")
            for n, t in enumerate(terms, 1):
                label, sent = t.acks[-1][1], t.hal.writer.pressed_at[-1]
                display = boards[f"d{n}"]
                await _until(lambda: display.shown_at(label, sent) is not None, 30,
                             f"d{n} shows {label}")
                latencies.append(display.shown_at(label, sent) - sent)
            await asyncio.sleep(0.2)
        cpu = bridge.cpu_seconds() - cpu0
        wall = time.monotonic() - t0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {"counters": counters, "presses": len(latencies),
            "p50_ms": 1000 * percentile(latencies, 50), "p90_ms": 1000 * percentile(latencies, 90),
            "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * latencies[-1],
            "bridge_cpu_per_press_ms": 1000 * cpu / len(latencies), "wall_s": wall}


def mqtt_load(counters: int, interval_s: float, duration_s: float,
              folder: Path) -> dict[str, Any]:
    """Every counter presses after an exponential pause of mean interval_s (agents calling
    independently), for duration_s."""
    presses_each = int(duration_s / interval_s * 2) + 5
    return over_mqtt(folder, counters, counters * presses_each,
                     lambda bridge, port: _mqtt_open_loop(bridge, port, counters, interval_s,
                                                          duration_s))


async def _mqtt_open_loop(bridge: Bridge, port: int, counters: int, interval_s: float,
                          duration_s: float) -> dict[str, Any]:
    import random
    rng = random.Random(1)
    boards = {}
    for dev in bridge.devices.values():
        cfg = board_config(dev.id, dev.role, dev.key, "bench", dev.counter,
                           broker=("127.0.0.1", port, "-"))
        boards[dev.id] = Device(cfg, dev.key)
    tasks = [asyncio.create_task(b.run()) for b in boards.values()]
    latencies: list[float] = []
    end = time.monotonic() + duration_s

    async def agent(n: int) -> None:
        term, display = boards[f"t{n}"], boards[f"d{n}"]
        while True:
            await asyncio.sleep(rng.expovariate(1 / interval_s))
            if time.monotonic() > end:
                return
            acked = len(term.acks)
            term.press()
            await _until(lambda: len(term.acks) > acked, 30, f"t{n} acked")
            label, sent = term.acks[-1][1], term.hal.writer.pressed_at[-1]
            await _until(lambda: display.shown_at(label, sent) is not None, 30, f"d{n} shows")
            latencies.append(display.shown_at(label, sent) - sent)
    try:
        await _until(lambda: all(b.dev.link == 2 for b in boards.values()), 60, "all online")
        await asyncio.sleep(1.0)
        cpu0 = bridge.cpu_seconds()
        await asyncio.gather(*(agent(n) for n in range(1, counters + 1)))
        cpu = bridge.cpu_seconds() - cpu0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {"counters": counters, "presses": len(latencies), "rate": len(latencies) / duration_s,
            "p50_ms": 1000 * percentile(latencies, 50), "p90_ms": 1000 * percentile(latencies, 90),
            "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * latencies[-1],
            "bridge_cpu_pct": 100 * cpu / duration_s}


def serial_latency(presses: int, folder: Path) -> dict[str, Any]:
    links = [folder / "tty-term", folder / "tty-disp"]

    async def run() -> dict[str, Any]:
        ports = [PtyPort(link) for link in links]
        bridge = Bridge(folder, 1, None, [
            ("term", "counter", 1, {"link": "serial", "serial_port": str(links[0]),
                                   "serial_address": 0}),
            ("disp", "display", 1, {"link": "serial", "serial_port": str(links[1]),
                                   "serial_address": 0})], [str(p) for p in links])
        try:
            bridge.post("/api/counters/1/open", headers=AGENT)
            for _ in range(presses + 1):
                bridge.post("/api/tickets", {"service": "accueil"})
            boards = {}
            for dev, port in zip(bridge.devices.values(), ports):
                cfg = board_config(dev.id, dev.role, dev.key, "bench", dev.counter)
                boards[dev.id] = Device(cfg, dev.key, port)
            tasks = [asyncio.create_task(b.run()) for b in boards.values()]
            term, disp = boards["term"], boards["disp"]
            await _until(lambda: term.dev.link == 2 and disp.dev.link == 2, 30, "online")
            await asyncio.sleep(1.0)
            acks, shows = [], []
            for _ in range(presses):
                n = len(term.acks)
                term.press()
                await _until(lambda: len(term.acks) > n, 10, "ack")
                t_ack, label = term.acks[-1]
                sent = term.hal.writer.pressed_at[-1]
                await _until(lambda: disp.shown_at(label, sent) is not None, 10, "show")
                acks.append(t_ack - sent)
                shows.append(disp.shown_at(label, sent) - sent)
                await asyncio.sleep(0.25)  # one press at a time: latency, not throughput
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            bridge.stop()
            for p in ports:
                p.close()
        key = bridge.devices["term"].key
        press = encode_frame(0, encode(Message("press", "term", "0badf00d", 12345, ("next",)), key))
        ack = encode_frame(0, encode(Message("ack", "term", "0badf00d", 12345, ("ok", "A123")), key))
        show = encode_frame(0, encode(Message("show", "disp", "-", 12345, ("0", "5", "A123")),
                                      bridge.devices["disp"].key))
        wire = {"press": len(press) * 10 / BAUD, "ack": len(ack) * 10 / BAUD,
                "show": len(show) * 10 / BAUD}
        acks.sort()
        shows.sort()
        return {"presses": presses, "wire_press_ack_ms": 1000 * (wire["press"] + wire["ack"]),
                "wire_press_show_ms": 1000 * (wire["press"] + wire["show"]),
                "ack_p50_ms": 1000 * percentile(acks, 50), "ack_p99_ms": 1000 * percentile(acks, 99),
                "show_p50_ms": 1000 * percentile(shows, 50),
                "show_p99_ms": 1000 * percentile(shows, 99)}

    return asyncio.run(run())


def scale(devices: int, folder: Path, settle_s: float = 30.0) -> dict[str, Any]:
    counters = devices // 2
    return over_mqtt(folder, counters, counters,
                     lambda bridge, port: _scale(bridge, port, counters, settle_s))


async def _scale(bridge: Bridge, port: int, counters: int, settle_s: float) -> dict[str, Any]:
    link_mqtt.LOOP_MS = 200  # a thousand link tasks in one process: poll the outbox less often
    boards = {}
    for dev in bridge.devices.values():
        cfg = board_config(dev.id, dev.role, dev.key, "bench", dev.counter,
                           broker=("127.0.0.1", port, "-"), status_s=10)
        boards[dev.id] = Device(cfg, dev.key)
    t0 = time.monotonic()
    tasks = [asyncio.create_task(b.run()) for b in boards.values()]
    try:
        await _until(lambda: all(b.dev.link == 2 for b in boards.values()), 180, "all online")
        connected_s = time.monotonic() - t0
        loop = asyncio.get_running_loop()

        def presence() -> int:
            return sum(1 for d in bridge.get("/api/devices", SUPERVISOR)["devices"] if d["online"])
        deadline = time.monotonic() + 60
        while (online := await loop.run_in_executor(None, presence)) < len(boards):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        cpu0, rss0 = bridge.cpu_seconds(), bridge.rss_mb()
        await asyncio.sleep(settle_s)  # idle: statuses every 10 s, keepalives
        idle_cpu = (bridge.cpu_seconds() - cpu0) / settle_s
        called = {}
        for n in range(1, counters + 1):  # an agent calls at every counter, over HTTP
            answer = await loop.run_in_executor(None, lambda n=n: bridge.post(
                f"/api/counters/{n}/next", headers=AGENT))
            called[n] = answer["counter"]["ticket"]["label"]
        await _until(lambda: all(boards[f"d{n}"].shown_at(called[n], 0) is not None
                                 for n in called), 60, "every display shows its call")
        wrong = sum(1 for n in called if boards[f"d{n}"].dev.line1 != called[n])
        return {"devices": len(boards), "connected_s": connected_s, "online_seen": online,
                "displays_right": len(called) - wrong, "displays": len(called),
                "idle_cpu_pct": 100 * idle_cpu, "rss_mb": max(rss0, bridge.rss_mb())}
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.device_links",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", action="append", type=int, help="counters pressing at once")
    p.add_argument("--rounds", type=int, default=20, help="presses per counter (default 20)")
    p.add_argument("--load", action="append", type=int,
                   help="counters pressing independently (exponential pauses of --interval)")
    p.add_argument("--interval", action="append", type=float,
                   help="mean seconds between one counter's presses (default 10 and 2)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of --load (default 30)")
    p.add_argument("--serial", action="store_true", help="the pty serial latency")
    p.add_argument("--presses", type=int, default=200, help="serial presses (default 200)")
    p.add_argument("--scale", type=int, help="connected devices to keep (e.g. 1000)")
    args = p.parse_args(argv)
    everything = not (args.latency or args.serial or args.scale or args.load)
    folder = Path(tempfile.mkdtemp(prefix="suivant-bench-links-"))
    print("\n".join(machine_lines(str(folder), "FULL")))
    try:
        for n in args.latency or ([1, 50, 200] if everything else []):
            sub = folder / f"mqtt-{n}"
            sub.mkdir()
            r = mqtt_latency(n, args.rounds, sub)
            print(f"MQTT press->display, {r['counters']:3d} counters at once, {r['presses']} "
                  f"presses: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f}, p99 "
                  f"{r['p99_ms']:.1f}, max {r['max_ms']:.1f}; bridge CPU "
                  f"{r['bridge_cpu_per_press_ms']:.2f} ms per press", flush=True)
        for n in args.load or ([1, 50, 200] if everything else []):
            for interval in args.interval or [10.0, 2.0]:
                sub = folder / f"load-{n}-{interval}"
                sub.mkdir()
                r = mqtt_load(n, interval, args.duration, sub)
                print(f"MQTT press->display, {r['counters']:3d} counters pressing every "
                      f"{interval:g} s on average ({r['rate']:.1f} presses/s), {r['presses']} "
                      f"presses: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f}, p99 "
                      f"{r['p99_ms']:.1f}, max {r['max_ms']:.1f}; bridge CPU "
                      f"{r['bridge_cpu_pct']:.0f} %", flush=True)
        if args.serial or everything:
            sub = folder / "serial"
            sub.mkdir()
            r = serial_latency(args.presses, sub)
            print(f"serial (pty, {BAUD} baud on the wire), {r['presses']} presses: press->ack "
                  f"p50 {r['ack_p50_ms']:.1f} ms, p99 {r['ack_p99_ms']:.1f} (wire "
                  f"{r['wire_press_ack_ms']:.1f}); press->display p50 {r['show_p50_ms']:.1f}, "
                  f"p99 {r['show_p99_ms']:.1f} (wire {r['wire_press_show_ms']:.1f})", flush=True)
        if args.scale or everything:
            sub = folder / "scale"
            sub.mkdir()
            r = scale(args.scale or 1000, sub)
            print(f"scale: {r['devices']} devices connected in {r['connected_s']:.1f} s; "
                  f"{r['online_seen']} seen online by the bridge; {r['displays_right']}/"
                  f"{r['displays']} displays right after a call at every counter; bridge idle "
                  f"CPU {r['idle_cpu_pct']:.1f} %, RSS {r['rss_mb']:.0f} MB", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
