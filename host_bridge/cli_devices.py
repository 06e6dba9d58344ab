"""`suivant device ...` and `suivant broker-config`: the devices from the command line.

    suivant device flash --config site.toml --port /dev/ttyUSB0 --role counter --counter 3 \
        --wifi-ssid Mairie --wifi-password ...        # firmware + config.json, registered
    suivant device config --port /dev/ttyUSB0 wifi.ssid=Mairie-2 counter=4
    suivant device info --port /dev/ttyUSB0
    suivant device add --config site.toml counter-03 --role counter --counter 3
    suivant device list --config site.toml [--bridge http://host:8080 --token T]
    suivant device remove --config site.toml counter-03
    suivant broker-config --config site.toml --out /etc/mosquitto/suivant

`device add` registers a device without a board at hand and prints its key and broker password
once, for a config.json written by hand; `device flash` does it all on the board.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import json
import sys
import urllib.error
import urllib.request

from .links.mosquitto_config import write_broker_config
from .links.registry import DeviceRegistry, RegistryError
from .provisioning.board import ProvisioningError
from .site_config import Settings, load


class CliError(Exception):
    """A refusal to print as `suivant: <message>` with exit status 2."""


def _registry(settings: Settings) -> DeviceRegistry:
    return DeviceRegistry(settings.devices_path,
                          frozenset(k.number for k in settings.site.counters))


def cmd_device_add(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        dev = registry.add(args.id, args.role, args.counter, args.link, args.serial_port,
                           args.address)
    except RegistryError as exc:
        raise CliError(f"device not added: {exc}") from None
    finally:
        registry.close()
    print(f"registered {dev.id} ({dev.role}"
          f"{f', counter {dev.counter}' if dev.counter else ''}, {dev.link}) in "
          f"{settings.devices_path}")
    print(f"key:             {dev.key.hex()}")
    if dev.broker_password:
        print(f"broker password: {dev.broker_password}")
        print("then: suivant broker-config, so the broker knows its account")
    print("put both in the device's config.json (firmware/CONFIG.md); they are not shown again")
    return 0


def _bridge_health(url: str, token: str) -> dict[str, dict[str, object]]:
    request = urllib.request.Request(url.rstrip("/") + "/api/devices",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return {d["id"]: d for d in json.load(answer)["devices"]}
    except urllib.error.HTTPError as exc:
        raise CliError(f"the bridge at {url} refused: HTTP {exc.code} (a supervisor's or "
                       "admin's token is needed)") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot reach the bridge at {url}: {exc}") from None


def cmd_device_list(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        devices = registry.all()
    finally:
        registry.close()
    health = _bridge_health(args.bridge, args.token) if args.bridge else {}
    if not devices:
        print(f"no device registered in {settings.devices_path}")
        return 0
    head = f"{'device':20} {'role':9} {'counter':>7} {'link':6} {'where':22} {'firmware':9}"
    print(head + (f" {'online':7} {'last seen':20} {'rssi':>5}" if args.bridge else ""))
    for d in devices:
        where = f"{d.serial_port} @{d.serial_address}" if d.link == "serial" else "-"
        line = (f"{d.id:20} {d.role:9} {d.counter or '-':>7} {d.link:6} {where:22} "
                f"{d.firmware or '-':9}")
        if args.bridge:
            h = health.get(d.id, {})
            seen = str(h.get("last_seen") or "-")[:19]
            line += (f" {'yes' if h.get('online') else 'no':7} {seen:20} "
                     f"{h.get('rssi') if h.get('rssi') is not None else '-':>5}")
        print(line)
    return 0


def _progress(path: str, done: int, total: int) -> None:
    width = 24
    filled = width if not total else width * done // total
    percent = 100 if not total else 100 * done // total
    sys.stderr.write(f"\r  {path:30} [{'#' * filled}{'.' * (width - filled)}] {percent:3d} %")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_device_flash(args: argparse.Namespace) -> int:
    from .provisioning.flash import Link, flash
    settings = load(args.config)
    link = Link(args.link, args.wifi_ssid, args.wifi_password or "",
                args.broker_host, args.broker_port, args.address or 0, args.serial_port)
    registry = _registry(settings)
    try:
        report = flash(args.port, settings, registry, args.role, args.counter, link, args.id,
                       progress=None if args.quiet else _progress, timeout=args.timeout)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    finally:
        registry.close()
    dev = report.device
    print(f"flashed {dev.id} ({dev.role}{f', counter {dev.counter}' if dev.counter else ''}, "
          f"{dev.link}) on {args.port}: {len(report.written)} files written, "
          f"{len(report.unchanged)} unchanged, {len(report.removed)} removed; checked")
    print("registered in " + settings.devices_path if report.new_device
          else "already registered: same key")
    if dev.link == "mqtt":
        print("then: suivant broker-config (its broker account), and reset the board")
    return 0


def cmd_device_config(args: argparse.Namespace) -> int:
    from .provisioning.flash import configure
    try:
        shown = configure(args.port, args.settings, timeout=args.timeout)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    print(f"config.json written on {args.port}; reset the board to use it:")
    print(json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=False))
    return 0


def cmd_device_info(args: argparse.Namespace) -> int:
    from .provisioning.flash import inspect
    try:
        info = inspect(args.port, timeout=args.timeout)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    print(f"MicroPython {info['micropython']} (mpy {info['mpy'] & 0xFF}.{(info['mpy'] >> 8) & 3}"
          f"{', ' + info['machine'] if info['machine'] else ''})")
    print(f"firmware:    {info['firmware'] or 'not installed'}")
    print(f"free memory: {info['mem_free']} bytes; flash: {info['flash_free'] // 1024} KB free "
          f"of {info['flash_size'] // 1024} KB")
    print("config.json: " + (json.dumps(info["config"], indent=1, sort_keys=True,
                                        ensure_ascii=False) if info["config"] else "none"))
    return 0


def cmd_device_remove(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        if not registry.remove(args.id):
            raise CliError(f"no device {args.id!r} in {settings.devices_path}")
    finally:
        registry.close()
    print(f"removed {args.id}; run suivant broker-config again to close its broker account")
    return 0


def cmd_broker_config(args: argparse.Namespace) -> int:
    settings = load(args.config)
    mqtt = settings.mqtt
    if mqtt.username is None or mqtt.password is None:
        raise CliError("the bridge needs its own broker account: set [mqtt] username and "
                       "password in the site file first")
    registry = _registry(settings)
    try:
        files = write_broker_config(Path(args.out), settings.site.id, registry.all(),
                                    mqtt.username, mqtt.password, args.port)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        registry.close()
    print(f"wrote {files.passwd}, {files.acl} and {files.conf}")
    print("Mosquitto reads them as the `mosquitto` user: chown root:mosquitto, then reload it "
          "(kill -HUP, or systemctl reload mosquitto)")
    return 0


def add_parsers(sub: argparse._SubParsersAction, port_type) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("device", help="the boards: register (add, list, remove) and provision "
                                      "(flash, config, info)")
    dsub = d.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    a = dsub.add_parser("add", help="register a device; prints its key and broker password")
    a.add_argument("--config", required=True, help="site TOML file")
    a.add_argument("id", help="device id: 1 to 24 of a-z 0-9 -")
    a.add_argument("--role", required=True, choices=("counter", "display", "hall", "feedback"))
    a.add_argument("--counter", type=int, help="the counter (counter terminal, display; "
                                               "optional for feedback)")
    a.add_argument("--link", choices=("mqtt", "serial"), default="mqtt")
    a.add_argument("--serial-port", help="serial: the port on the bridge it is on")
    a.add_argument("--address", type=int, help="serial: 0 point to point, 1-254 on an RS-485 bus")
    a.set_defaults(func=cmd_device_add)
    lst = dsub.add_parser("list", help="the registered devices (with --bridge: their health)")
    lst.add_argument("--config", required=True, help="site TOML file")
    lst.add_argument("--bridge", help="the running bridge's URL, for online state, last seen, "
                                      "RSSI")
    lst.add_argument("--token", default="", help="a supervisor's or admin's token (--bridge)")
    lst.set_defaults(func=cmd_device_list)
    f = dsub.add_parser("flash", help="install the firmware and config.json on a board over "
                                      "its serial port, and register it")
    f.add_argument("--config", required=True, help="site TOML file (its registry and broker)")
    f.add_argument("--port", required=True, help="the board's serial port")
    f.add_argument("--role", required=True, choices=("counter", "display", "hall", "feedback"))
    f.add_argument("--counter", type=int, help="its counter (terminal, display; optional for "
                                               "feedback)")
    f.add_argument("--id", help="device id (default: <role>-<counter>); an id already "
                                "registered is re-flashed with its key")
    f.add_argument("--link", choices=("mqtt", "serial"), default="mqtt")
    f.add_argument("--wifi-ssid", help="mqtt: the Wi-Fi network")
    f.add_argument("--wifi-password", help="mqtt: its password (empty for an open network)")
    f.add_argument("--broker-host", help="mqtt: the broker as the board reaches it (default: "
                                         "the site's [mqtt] host)")
    f.add_argument("--broker-port", type=port_type, help="mqtt: its port")
    f.add_argument("--serial-port", help="serial: the bridge's port the board will be on")
    f.add_argument("--address", type=int, help="serial: 0 point to point, 1-254 on a bus")
    f.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the board")
    f.add_argument("--quiet", action="store_true", help="no progress bars")
    f.set_defaults(func=cmd_device_flash)
    cfg = dsub.add_parser("config", help="change settings in the board's config.json")
    cfg.add_argument("--port", required=True, help="the board's serial port")
    cfg.add_argument("settings", nargs="+", metavar="KEY=VALUE",
                     help="e.g. wifi.ssid=Mairie broker.host=192.168.10.2 counter=4")
    cfg.add_argument("--timeout", type=float, default=5.0)
    cfg.set_defaults(func=cmd_device_config)
    i = dsub.add_parser("info", help="a board's MicroPython, firmware, config (no secrets), "
                                     "free memory and flash")
    i.add_argument("--port", required=True, help="the board's serial port")
    i.add_argument("--timeout", type=float, default=5.0)
    i.set_defaults(func=cmd_device_info)
    r = dsub.add_parser("remove", help="forget a device (its key stops working)")
    r.add_argument("--config", required=True, help="site TOML file")
    r.add_argument("id")
    r.set_defaults(func=cmd_device_remove)

    b = sub.add_parser("broker-config", help="write Mosquitto's password file and ACL from the "
                                             "device registry")
    b.add_argument("--config", required=True, help="site TOML file")
    b.add_argument("--out", required=True, help="folder for passwd, acl and mosquitto.conf")
    b.add_argument("--port", type=port_type, default=1883, help="listener port (default 1883)")
    b.set_defaults(func=cmd_broker_config)
