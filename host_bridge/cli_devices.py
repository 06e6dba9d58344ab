"""`suivant device ...` and `suivant broker-config`: the device registry from the command line.

    suivant device add --config site.toml counter-03 --role counter --counter 3
    suivant device list --config site.toml
    suivant device remove --config site.toml counter-03
    suivant broker-config --config site.toml --out /etc/mosquitto/suivant

`device add` prints the new device's key and broker password once: they go into its
config.json (issue 5's `suivant device flash` will write it on the board itself).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .links.mosquitto_config import write_broker_config
from .links.registry import DeviceRegistry, RegistryError
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


def cmd_device_list(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        devices = registry.all()
    finally:
        registry.close()
    if not devices:
        print(f"no device registered in {settings.devices_path}")
        return 0
    print(f"{'device':24} {'role':9} {'counter':>7} {'link':6} {'where':24} firmware")
    for d in devices:
        where = f"{d.serial_port} @{d.serial_address}" if d.link == "serial" else "-"
        print(f"{d.id:24} {d.role:9} {d.counter or '-':>7} {d.link:6} {where:24} "
              f"{d.firmware or '-'}")
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
    d = sub.add_parser("device", help="the device registry: add, list, remove devices")
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
    lst = dsub.add_parser("list", help="the registered devices")
    lst.add_argument("--config", required=True, help="site TOML file")
    lst.set_defaults(func=cmd_device_list)
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
