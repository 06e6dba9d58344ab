"""python -m simulators: run a site's registered devices as virtual boards against its bridge.

    python -m simulators --config site.toml                        # every registered device
    python -m simulators --config site.toml --add counter:3 --add display:3 --add hall
    python -m simulators --config site.toml --only guichet-1,ecran-1 --broker 127.0.0.1:1884

Each board is the real firmware (suivant_fw.app.App) on the simulator's HAL. MQTT devices
connect to the site's broker ([mqtt], or --broker); a serial device gets a pty whose stable
name is its registered serial port (a symlink, as udev makes /dev/serial/by-id/...), so the
bridge opens it as it would a USB adapter; devices sharing a port share an RS-485 bus.
Every second (--every) it prints what each board shows. Ctrl-C stops; --seconds N too.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from host_bridge.links.registry import DeviceRegistry, RegistryError
from host_bridge.site_config import ConfigError, load

from .boards import BoardFarm, VirtualBoard, board_config

ROLES = ("counter", "display", "hall", "feedback")


def _role_spec(text: str) -> tuple[str, int | None]:
    role, _, counter = text.partition(":")
    if role not in ROLES:
        raise argparse.ArgumentTypeError(f"role is one of {', '.join(ROLES)}, not {role!r}")
    if counter and not counter.isdigit():
        raise argparse.ArgumentTypeError(f"counter must be a number, not {counter!r}")
    return role, int(counter) if counter else None


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host, int(port)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulators", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="the site's TOML file (its registry, broker)")
    p.add_argument("--add", action="append", type=_role_spec, default=[], metavar="ROLE[:COUNTER]",
                   help="register a new MQTT device first (repeatable), e.g. counter:3, hall")
    p.add_argument("--only", help="comma-separated device ids to run (default: all registered)")
    p.add_argument("--broker", type=_host_port, help="HOST:PORT instead of the site's broker")
    p.add_argument("--every", type=float, default=1.0, help="seconds between status lines")
    p.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    return p


def describe(board: VirtualBoard) -> str:
    hal, dev = board.hal, board.dev
    shown = hal.digits if hal.digits is not None else " / ".join(hal.lines) or "-"
    return (f"{board.id:16} {dev.role:8} [{shown:>8}] link={('offline', 'connecting', 'online')[dev.link]}"
            f" led={hal.led} pending={len(dev.pending.messages())}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load(args.config)
    except ConfigError as exc:
        print(f"invalid config: {exc}", file=sys.stderr)
        return 2
    registry = DeviceRegistry(settings.devices_path,
                              frozenset(k.number for k in settings.site.counters))
    try:
        for role, counter in args.add:
            n = sum(1 for d in registry.all() if d.role == role) + 1
            device_id = f"sim-{role}-{counter if counter is not None else n}"
            while registry.get(device_id) is not None:
                n += 1
                device_id = f"sim-{role}-{counter}-{n}" if counter is not None else f"sim-{role}-{n}"
            registry.add(device_id, role, counter)
            print(f"registered {device_id}")
        devices = registry.all()
    except RegistryError as exc:
        print(f"cannot register: {exc}", file=sys.stderr)
        return 2
    finally:
        registry.close()
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {d.id for d in devices}
        if unknown:
            print(f"not registered: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        devices = [d for d in devices if d.id in wanted]
    if not devices:
        print("no device to run: register some (suivant device add, or --add)", file=sys.stderr)
        return 2
    host, port = args.broker or (settings.mqtt.host, settings.mqtt.port)
    farm = BoardFarm().start()
    buses: dict[str, object] = {}
    try:
        for dev in devices:
            if dev.link == "mqtt":
                cfg = board_config(dev.id, dev.role, dev.key, settings.site.id, dev.counter,
                                   broker=(host, port, dev.broker_password or "-"))
                farm.add(cfg, dev.key)
                continue
            link = Path(dev.serial_port or "")
            cfg = board_config(dev.id, dev.role, dev.key, settings.site.id, dev.counter,
                               serial_address=dev.serial_address or None)
            sharing = [d for d in devices if d.serial_port == dev.serial_port]
            if len(sharing) > 1:  # a bus
                if dev.serial_port not in buses:
                    buses[str(dev.serial_port)] = farm.bus(link)
                farm.add(cfg, dev.key, bus=buses[str(dev.serial_port)])  # type: ignore[arg-type]
            else:
                farm.add(cfg, dev.key, serial=True, link=link)
        print(f"{len(farm.boards)} virtual boards; MQTT on {host}:{port}; Ctrl-C stops")
        end = time.monotonic() + args.seconds if args.seconds else None
        while end is None or time.monotonic() < end:
            time.sleep(args.every)
            print("\n".join(farm.call(lambda: [describe(b) for b in farm.boards.values()])))
            print(flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        farm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
