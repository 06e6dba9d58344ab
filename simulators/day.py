"""An accelerated day at the example town hall, with faults, then the invariant check and the
wait-estimate figures.

    python -m simulators.day                          # a whole Thursday, 120x (~5 minutes)
    python -m simulators.day --hours 2 --speed 600    # shorter
    python -m simulators.day --no-faults --json report.json

The real system, on a simulated clock: `suivant serve` as a subprocess (its clock: --sim-*),
the embedded broker in this process with a fault proxy in front of the boards, the example
site's boards (counter 4's terminal on a serial pty, the others on MQTT), citizens and agents
(traffic.py). Faults, at set simulated times: the proxy drops, duplicates and delays MQTT
messages all day; the broker restarts; the bridge is killed (kill -9) and restarted; a display
reboots; the serial terminal's cable is pulled out and put back. At the end: invariants.py on
the bridge's history — no ticket lost, none called twice, every press applied once or visibly
not — and the estimate given at the kiosk against the waits that happened.
Exit status 0 when the invariants hold.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from host_bridge.links.embedded_broker import EmbeddedBroker
from host_bridge.links.registry import DeviceRegistry
from host_bridge.service.clock import AcceleratedClock

from .boards import BoardFarm, board_config
from .fault_proxy import FaultProxy, Faults
from .invariants import check, estimate_accuracy
from .traffic import Traffic, town_hall_profile

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mairie.toml"
PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 11, 26, 8, 30, tzinfo=PARIS)  # a Thursday: open until 19:00
SERIAL_COUNTER = 4
NOISE = Faults(drop=0.02, duplicate=0.03, delay=0.05, delay_ms=(50, 400))


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bridge:
    def __init__(self, config: Path, folder: Path, clock: AcceleratedClock):
        self.config, self.folder, self.clock = config, folder, clock
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(folder / "bridge.log", "ab")

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "host_bridge.cli", "serve", "--config", str(self.config),
             "--port", str(self.port), "--sim-start", self.clock.start.isoformat(),
             "--sim-speed", str(self.clock.speed), "--sim-epoch", str(self.clock.epoch)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/api/health", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.folder / "bridge.log").read_text()[-2000:])
                time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def site_file(folder: Path, broker_port: int, serial_link: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('path = "mairie.db"', f'path = "{folder / "queue.db"}"')
    text += (f'\n[mqtt]\nurl = "mqtt://127.0.0.1:{broker_port}"\n'
             f'\n[[serial]]\nport = "{serial_link}"\n')
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_day(hours: float, speed: float, faults: bool, seed: int, folder: Path,
            log: Any = print) -> dict[str, Any]:
    from host_bridge.site_config import load
    clock = AcceleratedClock(DAY, speed, time.time() + 3.0)  # the day starts in 3 s
    until = DAY + timedelta(hours=hours)
    broker = EmbeddedBroker("127.0.0.1", _free_port())
    broker.start()
    serial_link = folder / "tty-guichet-4"
    config = site_file(folder, broker.port, serial_link)
    settings = load(config)
    farm = BoardFarm().start()
    proxy = FaultProxy(("127.0.0.1", broker.port), NOISE if faults else Faults(), seed)
    proxy_port = asyncio.run_coroutine_threadsafe(proxy.start(), farm.loop).result(10)
    registry = DeviceRegistry(settings.devices_path,
                              frozenset(k.number for k in settings.site.counters))
    configs = []
    for k in settings.site.counters:
        serial = k.number == SERIAL_COUNTER
        term = registry.add(f"guichet-{k.number}", "counter", k.number,
                            "serial" if serial else "mqtt",
                            str(serial_link) if serial else None, 0 if serial else None)
        configs.append((term, serial))
        configs.append((registry.add(f"ecran-{k.number}", "display", k.number), False))
    configs.append((registry.add("salle", "hall"), False))
    registry.close()
    bridge = Bridge(config, folder, clock)
    bridge.start()
    boards = {}
    for dev, serial in configs:
        cfg = board_config(dev.id, dev.role, dev.key, settings.site.id, dev.counter,
                           broker=None if serial else ("127.0.0.1", proxy_port,
                                                       dev.broker_password or "-"),
                           status_s=10)
        boards[dev.id] = farm.add(cfg, dev.key, serial=serial, link=serial_link if serial else None)
    traffic = Traffic(farm, bridge.url, clock, town_hall_profile(settings.site), seed)
    log(f"day: {DAY:%A %d %B %H:%M} to {until:%H:%M}, {speed:g}x ({hours * 3600 / speed:.0f} s); "
        f"faults {'on' if faults else 'off'}; files in {folder}")
    running = asyncio.run_coroutine_threadsafe(traffic.run(until), farm.loop)
    schedule = [(DAY + timedelta(hours=hours * f), name) for f, name in
                ((0.2, "broker restart"), (0.4, "bridge kill -9"), (0.6, "display reboot"),
                 (0.75, "serial unplug"), (0.8, "serial replug"))] if faults else []
    while not running.done():
        now = clock.now()
        while schedule and schedule[0][0] <= now:
            _, name = schedule.pop(0)
            log(f"  {now:%H:%M} fault: {name}")
            if name == "broker restart":
                broker.stop()
                time.sleep(0.5)
                broker = EmbeddedBroker("127.0.0.1", broker.port)
                broker.start()
            elif name == "bridge kill -9":
                bridge.kill()
                time.sleep(0.5)
                bridge.start()
            elif name == "display reboot":
                board = boards["ecran-2"]
                farm.remove("ecran-2")
                boards["ecran-2 (before its reboot)"] = board
                boards["ecran-2"] = farm.add(board.cfg, board.key)
            elif name == "serial unplug":
                farm.call(boards[f"guichet-{SERIAL_COUNTER}"].port.unplug)
            elif name == "serial replug":
                farm.call(boards[f"guichet-{SERIAL_COUNTER}"].port.replug)
        time.sleep(0.05)
    running.result()
    log("  closing: the last presses settle")
    time.sleep(3.0)
    proxy.faults = Faults()
    deadline = time.monotonic() + 30
    while any(b.dev.pending.waiting for b in farm.boards.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    all_boards = list(boards.values())
    asyncio.run_coroutine_threadsafe(proxy.stop(), farm.loop).result(10)
    farm.stop()
    bridge.stop()
    broker.stop()
    report = check(str(folder / "queue.db"), traffic.issued, all_boards)
    accuracy = estimate_accuracy(str(folder / "queue.db"), traffic.issued)
    for line in report.lines():
        log(line)
    log(accuracy.line() if accuracy else "wait estimate: no ticket to measure")
    log(f"fault proxy: {proxy.counts}; kiosk refusals (bridge down, closed hours): "
        f"{traffic.refused_issues}")
    return {"clean": report.clean, "report": dataclasses.asdict(report), "folder": str(folder),
            "told": [(i.label, i.issued_at.isoformat(), i.low, i.high) for i in traffic.issued],
            "accuracy": dataclasses.asdict(accuracy) if accuracy else None,
            "proxy": proxy.counts, "hours": hours, "speed": speed, "faults": faults}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.day",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=float, default=10.5, help="simulated hours from 08:30")
    p.add_argument("--speed", type=float, default=120, help="times faster than real time")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-faults", action="store_true")
    p.add_argument("--json", help="write the figures there")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="  %(name)s: %(message)s")
    for noisy in ("amqtt", "transitions"):  # the embedded broker's inner life, not our subject
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    folder = Path(tempfile.mkdtemp(prefix="suivant-day-"))
    result = run_day(args.hours, args.speed, not args.no_faults, args.seed, folder)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    return 0 if result["clean"] else 1


if __name__ == "__main__":
    sys.exit(main())
