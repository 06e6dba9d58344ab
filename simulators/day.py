"""An accelerated day at the example town hall, with faults, then the invariant check and the
wait-estimate figures.

    python -m simulators.day                          # a whole Thursday, 120x (~5 minutes)
    python -m simulators.day --hours 2 --speed 600    # shorter
    python -m simulators.day --no-faults --json report.json
    python -m simulators.day --drop 0.1 --events bridge-kill,serial-unplug
    python -m simulators.day --traffic my-traffic.toml   # who comes when (traffic_profile.py)

The real system, on a simulated clock: `suivant serve` as a subprocess (its clock: --sim-*),
the embedded broker in this process with a fault proxy in front of the boards, the example
site's boards (counter 4's terminal on a serial pty, the others on MQTT), citizens and agents
(traffic.py, with the arrivals of a traffic profile). Faults: the proxy drops, duplicates and
delays MQTT messages all day (--drop, --duplicate, --delay); at set simulated times (--events)
the broker restarts, the bridge is killed (kill -9) and restarted, a display reboots, the
serial terminal's cable is pulled out and put back. At the end: invariants.py on
the bridge's history — no ticket lost, none called twice, every press applied once or visibly
not — and the estimate given at the kiosk against the waits that happened.
Exit status 0 when the invariants hold.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from host_bridge import bundled
from host_bridge.arg_types import bounded, share
from host_bridge.links.embedded_broker import EmbeddedBroker
from host_bridge.links.registry import DeviceRegistry
from host_bridge.service.clock import AcceleratedClock

from .boards import BoardFarm, board_config
from .bridge_process import BridgeProcess, free_port
from .fault_proxy import FaultProxy, Faults
from .invariants import check, estimate_accuracy
from .traffic import Traffic
from .traffic_profile import ConfigError, load_profile

EXAMPLE = bundled.example_site()
EXAMPLE_TRAFFIC = bundled.example_traffic()
PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 11, 26, 8, 30, tzinfo=PARIS)  # a Thursday: open until 19:00
SERIAL_COUNTER = 4
# the example site's demo agent account: the day's kiosk takes tickets hundreds of times
# faster than life, which the anonymous rate limit would rightly refuse
KIOSK_TOKEN = "demo-agent"
NOISE = Faults(drop=0.02, duplicate=0.03, delay=0.05, delay_ms=(50, 400))
# the events, at these shares of the day (the serial cable is put back at 80 %)
EVENTS = {"broker-restart": 0.2, "bridge-kill": 0.4, "display-reboot": 0.6,
          "serial-unplug": 0.75}


def site_file(folder: Path, broker_port: int, serial_link: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('path = "mairie.db"', f'path = "{folder / "queue.db"}"')
    text += (f'\n[mqtt]\nurl = "mqtt://127.0.0.1:{broker_port}"\n'
             f'\n[[serial]]\nport = "{serial_link}"\n')
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_day(hours: float, speed: float, seed: int, folder: Path, log: Any = print,
            noise: Faults = NOISE, events: tuple[str, ...] = tuple(EVENTS),
            traffic_file: Path = EXAMPLE_TRAFFIC) -> dict[str, Any]:
    from host_bridge.site_config import load
    profile = load_profile(traffic_file, load(EXAMPLE).site)  # refused before anything starts
    clock = AcceleratedClock(DAY, speed, time.time() + 3.0)  # the day starts in 3 s
    until = DAY + timedelta(hours=hours)
    broker = EmbeddedBroker("127.0.0.1", free_port())
    broker.start()
    serial_link = folder / "tty-guichet-4"
    config = site_file(folder, broker.port, serial_link)
    settings = load(config)
    farm = BoardFarm().start()
    proxy = FaultProxy(("127.0.0.1", broker.port), noise, seed)
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
    bridge: BridgeProcess | None = None
    try:
        bridge = BridgeProcess(config, folder / "queue.db", extra=(
            "--sim-start", clock.start.isoformat(), "--sim-speed", str(clock.speed),
            "--sim-epoch", str(clock.epoch)))
        bridge.start(timeout=60)
        boards = {}
        for dev, serial in configs:
            cfg = board_config(dev.id, dev.role, dev.key, settings.site.id, dev.counter,
                               broker=None if serial else ("127.0.0.1", proxy_port,
                                                           dev.broker_password or "-"),
                               status_s=10)
            boards[dev.id] = farm.add(cfg, dev.key, serial=serial,
                                      link=serial_link if serial else None)
        traffic = Traffic(farm, bridge.url, clock, profile, seed, token=KIOSK_TOKEN)
        log(f"day: {DAY:%A %d %B %H:%M} to {until:%H:%M}, {speed:g}x "
            f"({hours * 3600 / speed:.0f} s); MQTT drop {noise.drop:g}, duplicate {noise.duplicate:g}, delay {noise.delay:g}; "
            f"events: {', '.join(events) or 'none'}; files in {folder}")
        running = asyncio.run_coroutine_threadsafe(traffic.run(until), farm.loop)
        moments = [(EVENTS[e], e) for e in events]
        if "serial-unplug" in events:
            moments.append((0.8, "serial-replug"))
        schedule = sorted((DAY + timedelta(hours=hours * f), name) for f, name in moments)
        while not running.done():
            now = clock.now()
            while schedule and schedule[0][0] <= now:
                _, name = schedule.pop(0)
                log(f"  {now:%H:%M} fault: {name}")
                if name == "broker-restart":
                    broker.stop()
                    time.sleep(0.5)
                    broker = _restarted(broker.port)
                elif name == "bridge-kill":
                    bridge.kill()
                    time.sleep(0.5)
                    bridge.start(timeout=60)  # the same port: the traffic knows that address
                elif name == "display-reboot":
                    board = boards["ecran-2"]
                    farm.remove("ecran-2")
                    boards["ecran-2 (before its reboot)"] = board
                    boards["ecran-2"] = farm.add(board.cfg, board.key)
                elif name == "serial-unplug":
                    farm.call(boards[f"guichet-{SERIAL_COUNTER}"].port.unplug)
                elif name == "serial-replug":
                    farm.call(boards[f"guichet-{SERIAL_COUNTER}"].port.replug)
            time.sleep(0.05)
        running.result()
        log("  closing: the last presses settle")
        time.sleep(3.0)
        proxy.faults = Faults()
        deadline = time.monotonic() + 30
        while any(b.dev.pending.waiting for b in farm.boards.values()) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        all_boards = list(boards.values())
        asyncio.run_coroutine_threadsafe(proxy.stop(), farm.loop).result(10)
        farm.stop()
        bridge.stop()
        broker.stop()
    except BaseException:  # a run that fails must not leave its bridge, boards and broker
        for stop in (farm.stop, *((bridge.stop,) if bridge else ()), broker.stop):
            try:
                stop()
            except Exception:  # noqa: BLE001 - the first failure is the one to report
                pass
        raise
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
            "proxy": proxy.counts, "hours": hours, "speed": speed, "events": list(events),
            "noise": dataclasses.asdict(noise)}


def _restarted(port: int, within_s: float = 10.0) -> EmbeddedBroker:
    """The broker again on its port. A shutdown that timed out under load can leave the old
    listener open a moment longer (until its socket is collected): try again meanwhile."""
    deadline = time.monotonic() + within_s
    while True:
        broker = EmbeddedBroker("127.0.0.1", port)
        try:
            broker.start()
            return broker
        except OSError:
            if time.monotonic() > deadline:
                raise
            gc.collect()  # the old listener's socket goes with its broker object
            time.sleep(0.5)


def _events(text: str) -> tuple[str, ...]:
    names = tuple(n for n in text.split(",") if n) if text != "none" else ()
    unknown = [n for n in names if n not in EVENTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown event {unknown[0]!r}; the events: "
                                         f"{', '.join(EVENTS)} (or none)")
    return names


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.day",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=bounded(float, 0, 10.5, "hours", above=True), default=10.5,
                   help="simulated hours from 08:30 (default 10.5: until closing)")
    p.add_argument("--speed", type=bounded(float, 0, 1000, "speed", above=True), default=120,
                   help="times faster than real time (default 120)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--traffic", type=Path, default=EXAMPLE_TRAFFIC,
                   help=f"the traffic profile (default {EXAMPLE_TRAFFIC})")
    p.add_argument("--drop", type=share, default=NOISE.drop,
                   help=f"share of MQTT messages dropped (default {NOISE.drop})")
    p.add_argument("--duplicate", type=share, default=NOISE.duplicate,
                   help=f"share delivered twice (default {NOISE.duplicate})")
    p.add_argument("--delay", type=share, default=NOISE.delay,
                   help=f"share delayed by 50-400 ms, so overtaken (default {NOISE.delay})")
    p.add_argument("--events", type=_events, default=tuple(EVENTS),
                   help=f"comma-separated, from {','.join(EVENTS)}; or none (default: all)")
    p.add_argument("--no-faults", action="store_true",
                   help="a quiet day: no damaged messages and no events")
    p.add_argument("--json", help="write the figures there")
    args = p.parse_args(argv)
    noise = Faults() if args.no_faults else Faults(args.drop, args.duplicate, args.delay)
    events = () if args.no_faults else args.events
    logging.basicConfig(level=logging.WARNING, format="  %(name)s: %(message)s")
    for noisy in ("amqtt", "transitions"):  # the embedded broker's inner life, not our subject
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    folder = Path(tempfile.mkdtemp(prefix="suivant-day-"))
    try:
        result = run_day(args.hours, args.speed, args.seed, folder, noise=noise, events=events,
                         traffic_file=args.traffic)
    except ConfigError as exc:
        folder.rmdir()  # nothing was started
        print(f"python -m simulators.day: {exc}", file=sys.stderr)
        return 2
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    return 0 if result["clean"] else 1


if __name__ == "__main__":
    sys.exit(main())
