"""`suivant device ...` and `suivant broker-config`: the devices from the command line.

    suivant device flash --config site.toml --port /dev/ttyUSB0 --role counter --counter 3 \
        --wifi-ssid Mairie      # asks the Wi-Fi password; firmware + config.json, registered
    suivant device config --port /dev/ttyUSB0 wifi.ssid=Mairie-2 counter=4
    suivant device info --port /dev/ttyUSB0
    suivant device add --config site.toml counter-03 --role counter --counter 3
    suivant device list --config site.toml [--bridge http://host:8080 --token T]
    suivant device remove --config site.toml counter-03
    suivant device rekey --config site.toml counter-03       # a new key (and broker password)
    suivant broker-config --config site.toml --out /etc/mosquitto/suivant

`device add` registers a device without a board at hand and prints its key and broker password
once, for a config.json written by hand; `device flash` does it all on the board. Every command
works on the registry the site file names ([store] devices_path), the one `suivant serve
--config` uses; a running bridge sees their changes within a second. Once `broker-config` has
written Mosquitto's files, `device add|remove|rekey|flash` rewrite its accounts there and
reload Mosquitto, so a removed or rekeyed device's old broker password stops working too.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import getpass
import json
import os
import sys
import urllib.error
import urllib.request

from .links.mosquitto_config import (DEBIAN_PID_FILE, reload_mosquitto, write_accounts,
                                     write_broker_config, written_by_broker_config)
from .links.registry import BrokerFiles, Device, DeviceRegistry, RegistryError
from .provisioning.board import ProvisioningError
from .site_config import Settings, load


SITE_HELP = ("site TOML file: its [store] devices_path is the registry (the one `suivant "
             "serve --config` uses)")


class CliError(Exception):
    """A refusal to print as `suivant: <message>` with exit status 2."""


def _registry(settings: Settings) -> DeviceRegistry:
    return DeviceRegistry(settings.devices_path,
                          frozenset(k.number for k in settings.site.counters))


def cmd_device_add(args: argparse.Namespace) -> int:
    settings = load(args.config)
    if args.link == "mqtt" and args.id == settings.mqtt.username:
        raise CliError(f"device not added: {args.id} is the bridge's broker user name")
    registry = _registry(settings)
    try:
        dev = registry.add(args.id, args.role, args.counter, args.link, args.serial_port,
                           args.address)
        broker = _update_broker(settings, registry) if dev.link == "mqtt" else []
    except RegistryError as exc:
        raise CliError(f"device not added: {exc}") from None
    finally:
        registry.close()
    print(f"registered {dev.id} ({_what(dev)}) in {settings.devices_path}")
    _print_secrets(dev)
    _print_broker(broker)
    return 0


def _what(dev: Device) -> str:
    return f"{dev.role}{f', counter {dev.counter}' if dev.counter else ''}, {dev.link}"


def _print_secrets(dev: Device) -> None:
    print(f"key:             {dev.key.hex()}")
    if dev.broker_password:
        print(f"broker password: {dev.broker_password}")
    print("put them in the device's config.json (firmware/CONFIG.md); they are not shown again")


# -- Mosquitto follows the registry -------------------------------------------------------------
def _update_broker(settings: Settings, registry: DeviceRegistry) -> list[str]:
    """Mosquitto's accounts rewritten where broker-config wrote them, and Mosquitto reloaded:
    what to print. Lines starting with "warning:" say what was not done and what to do (the
    bridge refuses a removed or rekeyed device's lines anyway: this closes its broker door)."""
    files = registry.broker_files()
    if files is None and settings.mqtt.embedded:  # the bridge's own broker has no accounts
        return []
    if files is None:
        return ["then: suivant broker-config --out DIR, so the broker knows its accounts "
                "(afterwards the device commands keep them up to date)"]
    folder = Path(files.folder)
    mqtt = settings.mqtt
    if mqtt.username is None or mqtt.password is None:
        return [f"warning: broker accounts in {folder} not rewritten: the site file has no "
                "[mqtt] username and password"]
    if not written_by_broker_config(folder):
        return [f"warning: {folder} holds no mosquitto.conf written by broker-config: its "
                "accounts were not rewritten; run suivant broker-config --out DIR again"]
    try:
        write_accounts(folder, settings.site.id, registry.all(), mqtt.username, mqtt.password)
    except (OSError, ValueError) as exc:
        return [f"warning: broker accounts in {folder} not rewritten: {exc}; run "
                "suivant broker-config again (as root if the folder is root's)"]
    return [f"broker accounts rewritten in {folder}", *_reload_lines(files)]


def _reload_lines(files: BrokerFiles) -> list[str]:
    if files.pid_file is None:
        return ["reload Mosquitto now (systemctl reload mosquitto)"]
    why_not = reload_mosquitto(files.pid_file)
    if why_not is not None:
        return [f"warning: Mosquitto not reloaded: {why_not}; reload it yourself "
                "(systemctl reload mosquitto) or its old accounts stay open"]
    return ["Mosquitto reloaded: it uses them now"]


def _print_broker(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)


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
    from .ota.progress import rollout_view
    from .ota.store import UpdateStore
    store = UpdateStore(settings.devices_path)
    try:
        rollout, updates = rollout_view(store)
    finally:
        store.close()
    head = (f"{'device':20} {'role':9} {'counter':>7} {'link':6} {'where':22} {'firmware':14} "
            f"{'update':16}")
    print(head + (f" {'online':7} {'last seen':20} {'rssi':>5}" if args.bridge else ""))
    for d in devices:
        where = f"{d.serial_port} @{d.serial_address}" if d.link == "serial" else "-"
        u = updates.get(d.id)
        update = f"{u['build']}: {u['state']}" if u else "-"
        line = (f"{d.id:20} {d.role:9} {d.counter or '-':>7} {d.link:6} {where:22} "
                f"{d.firmware or '-':14} {update:16}")
        if args.bridge:
            h = health.get(d.id, {})
            seen = str(h.get("last_seen") or "-")[:19]
            line += (f" {'yes' if h.get('online') else 'no':7} {seen:20} "
                     f"{h.get('rssi') if h.get('rssi') is not None else '-':>5}")
        print(line)
    if rollout is not None:
        print(f"update {rollout['id']}: {rollout['state']}"
              + (f" ({rollout['reason']})" if rollout["reason"] else "")
              + " — `suivant device update --status` shows each board")
    return 0


def _progress(path: str, done: int, total: int) -> None:
    width = 24
    filled = width if not total else width * done // total
    percent = 100 if not total else 100 * done // total
    sys.stderr.write(f"\r  {path:30} [{'#' * filled}{'.' * (width - filled)}] {percent:3d} %")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


WIFI_ENV = "SUIVANT_WIFI_PASSWORD"
WIFI_WAYS = (f"type it at the prompt, set {WIFI_ENV}, or give --wifi-password-file FILE "
             "(- for standard input)")


def _refuse_wifi_password_argument(args: argparse.Namespace) -> None:
    if args.wifi_password is not None:
        raise CliError("--wifi-password is refused: on the command line a password stays in "
                       f"the shell history and shows in `ps`; {WIFI_WAYS}")


def _wifi_password(args: argparse.Namespace, network: str) -> str:
    """From --wifi-password-file, else $SUIVANT_WIFI_PASSWORD, else the prompt (a terminal).
    An empty password means an open network."""
    if args.wifi_password_file:
        try:
            text = (sys.stdin.read() if args.wifi_password_file == "-"
                    else Path(args.wifi_password_file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read the Wi-Fi password file: {exc}") from None
        return text.removesuffix("\n").removesuffix("\r")  # one final newline is not in it
    if WIFI_ENV in os.environ:
        return os.environ[WIFI_ENV]
    if not sys.stdin.isatty():
        raise CliError(f"the Wi-Fi password is needed and there is no terminal to ask it: "
                       f"set {WIFI_ENV} or give --wifi-password-file FILE")
    try:
        return getpass.getpass(f"Wi-Fi password for {network} (empty: an open network): ")
    except (EOFError, KeyboardInterrupt):
        raise CliError("no Wi-Fi password given: nothing was changed") from None


def _reset_line(reset: bool, what: str) -> str:
    return (f"the board was reset: it is starting {what}" if reset else
            f"not reset (--no-reset): the board stays at its REPL and starts {what} only once "
            "reset (EN button, or mpremote reset)")


def cmd_device_flash(args: argparse.Namespace) -> int:
    from .provisioning.flash import Link, flash
    _refuse_wifi_password_argument(args)
    settings = load(args.config)
    password = ""
    if args.link == "mqtt":
        if not args.wifi_ssid:
            raise CliError("a board on Wi-Fi needs --wifi-ssid (its password is asked, or "
                           f"read from {WIFI_ENV} or --wifi-password-file)")
        password = _wifi_password(args, args.wifi_ssid)
    link = Link(args.link, args.wifi_ssid, password,
                args.broker_host, args.broker_port, args.address or 0, args.serial_port)
    registry = _registry(settings)
    try:
        report = flash(args.port, settings, registry, args.role, args.counter, link, args.id,
                       progress=None if args.quiet else _progress, timeout=args.timeout,
                       reset=not args.no_reset)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    finally:
        registry.close()
    dev = report.device
    print(f"flashed {dev.id} ({dev.role}{f', counter {dev.counter}' if dev.counter else ''}, "
          f"{dev.link}) on {args.port}: firmware {report.version}"
          f"{'' if report.swapped else ' (already there)'}; {len(report.sent)} files sent, "
          f"{len(report.unchanged)} unchanged; checked")
    if dev.link == "mqtt" and not password:
        print(f"Wi-Fi: {args.wifi_ssid}, an open network (no password)")
    print("registered in " + settings.devices_path if report.new_device
          else "already registered: same key")
    if dev.link == "mqtt" and report.new_device:
        _print_broker(_follow_registry(settings))
    print(_reset_line(report.reset, "the new firmware"))
    return 0


def cmd_device_config(args: argparse.Namespace) -> int:
    from .provisioning.flash import configure, parse_assignments
    _refuse_wifi_password_argument(args)
    try:
        changes = parse_assignments(args.settings)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    if "wifi.password" in changes:
        raise CliError("wifi.password is not taken on the command line (shell history, "
                       "`ps`): use --new-wifi-password (the prompt, or "
                       f"{WIFI_ENV}) or --wifi-password-file FILE")
    if args.new_wifi_password or args.wifi_password_file:
        changes["wifi.password"] = _wifi_password(args, "the board's network")
    try:
        shown = configure(args.port, changes, timeout=args.timeout, reset=not args.no_reset)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    print(f"config.json written on {args.port}:")
    print(json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=False))
    print(_reset_line(not args.no_reset, "with this config.json"))
    return 0


def cmd_device_info(args: argparse.Namespace) -> int:
    from .provisioning.flash import inspect
    try:
        info = inspect(args.port, timeout=args.timeout)
    except ProvisioningError as exc:
        raise CliError(str(exc)) from None
    print(f"MicroPython {info['micropython']} (mpy {info['mpy'] & 0xFF}.{(info['mpy'] >> 8) & 3}"
          f"{', ' + info['machine'] if info['machine'] else ''})")
    firmware = info["firmware"] or ("none in place" if info["leftovers"] else "not installed")
    print(f"firmware:    {firmware}")
    if info["leftovers"]:
        print(f"             a flash was cut short: {', '.join(info['leftovers'])} on the "
              "board (a reset finishes the swap; the next flash removes them)")
    print(f"free memory: {info['mem_free']} bytes; flash: {info['flash_free'] // 1024} KB free "
          f"of {info['flash_size'] // 1024} KB")
    print("config.json: " + (json.dumps(info["config"], indent=1, sort_keys=True,
                                        ensure_ascii=False) if info["config"] else "none"))
    return 0


def cmd_device_remove(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        dev = registry.get(args.id)
        if dev is None or not registry.remove(args.id):
            raise CliError(f"no device {args.id!r} in {settings.devices_path}")
        broker = _update_broker(settings, registry) if dev.link == "mqtt" else []
    finally:
        registry.close()
    print(f"removed {args.id}: a running bridge refuses its lines within a second")
    _print_broker(broker)
    return 0


def cmd_device_rekey(args: argparse.Namespace) -> int:
    settings = load(args.config)
    registry = _registry(settings)
    try:
        dev = registry.rekey(args.id)
        broker = _update_broker(settings, registry) if dev.link == "mqtt" else []
    except RegistryError as exc:
        raise CliError(f"no new key: {exc} in {settings.devices_path}") from None
    finally:
        registry.close()
    print(f"new key for {dev.id} ({_what(dev)}): a running bridge refuses the old one within "
          "a second")
    _print_secrets(dev)
    print(f"the board needs them: suivant device flash --id {dev.id} ... (or device config "
          "--port PORT key=... broker.password=...)")
    _print_broker(broker)
    return 0


def _follow_registry(settings: Settings) -> list[str]:
    registry = _registry(settings)
    try:
        return _update_broker(settings, registry)
    finally:
        registry.close()


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
        where = BrokerFiles(str(files.conf.parent), None if args.no_reload else args.pid_file)
        registry.set_broker_files(where)  # the device commands keep these files up to date
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        registry.close()
    print(f"wrote {files.passwd}, {files.acl} and {files.conf}")
    print("Mosquitto reads them as the `mosquitto` user: chown root:mosquitto the folder (the "
          "files written later keep its group); the first time, restart Mosquitto "
          "(use_username_as_clientid is not reloaded)")
    _print_broker(_reload_lines(where))
    return 0


def _wifi_password_arguments(parser: argparse.ArgumentParser, file_help: str) -> None:
    parser.add_argument("--wifi-password-file", metavar="FILE", help=file_help)
    # refused with the alternatives (cmd_*), rather than argparse's "unrecognized arguments"
    parser.add_argument("--wifi-password", help=argparse.SUPPRESS)


def add_parsers(sub: argparse._SubParsersAction, port_type) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("device", help="the boards: register (add, list, remove, rekey) and "
                                      "provision (flash, config, info)")
    dsub = d.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    a = dsub.add_parser("add", help="register a device; prints its key and broker password")
    a.add_argument("--config", required=True, help=SITE_HELP)
    a.add_argument("id", help="device id: 1 to 24 of a-z 0-9 -")
    a.add_argument("--role", required=True, choices=("counter", "display", "hall", "feedback"))
    a.add_argument("--counter", type=int, help="the counter (counter terminal, display; "
                                               "optional for feedback)")
    a.add_argument("--link", choices=("mqtt", "serial"), default="mqtt")
    a.add_argument("--serial-port", help="serial: the port on the bridge it is on")
    a.add_argument("--address", type=int, help="serial: 0 point to point, 1-254 on an RS-485 bus")
    a.set_defaults(func=cmd_device_add)
    lst = dsub.add_parser("list", help="the registered devices (with --bridge: their health)")
    lst.add_argument("--config", required=True, help=SITE_HELP)
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
    _wifi_password_arguments(f, "mqtt: its password, read from FILE (- for standard input); "
                                f"else from ${WIFI_ENV}; else asked at the prompt (empty: an "
                                "open network). Never on the command line")
    f.add_argument("--broker-host", help="mqtt: the broker as the board reaches it (default: "
                                         "the site's [mqtt] host)")
    f.add_argument("--broker-port", type=port_type, help="mqtt: its port")
    f.add_argument("--serial-port", help="serial: the bridge's port the board will be on")
    f.add_argument("--address", type=int, help="serial: 0 point to point, 1-254 on a bus")
    f.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the board")
    f.add_argument("--quiet", action="store_true", help="no progress bars")
    f.add_argument("--no-reset", action="store_true",
                   help="leave the board at its REPL (default: reset it, so it starts the "
                        "new firmware)")
    f.set_defaults(func=cmd_device_flash)
    cfg = dsub.add_parser("config", help="change settings in the board's config.json, then "
                                         "reset the board")
    cfg.add_argument("--port", required=True, help="the board's serial port")
    cfg.add_argument("settings", nargs="*", metavar="KEY=VALUE",
                     help="e.g. wifi.ssid=Mairie broker.host=192.168.10.2 counter=4 (not "
                          "wifi.password: see --new-wifi-password)")
    cfg.add_argument("--new-wifi-password", action="store_true",
                     help=f"change the Wi-Fi password: from ${WIFI_ENV}, else asked at the "
                          "prompt")
    _wifi_password_arguments(cfg, "change the Wi-Fi password: read it from FILE (- for "
                                  "standard input)")
    cfg.add_argument("--timeout", type=float, default=5.0)
    cfg.add_argument("--no-reset", action="store_true",
                     help="leave the board at its REPL (default: reset it: a config.json is "
                          "read at boot)")
    cfg.set_defaults(func=cmd_device_config)
    i = dsub.add_parser("info", help="a board's MicroPython, firmware, config (no secrets), "
                                     "free memory and flash")
    i.add_argument("--port", required=True, help="the board's serial port")
    i.add_argument("--timeout", type=float, default=5.0)
    i.set_defaults(func=cmd_device_info)
    r = dsub.add_parser("remove", help="forget a device: its key stops working within a "
                                       "second, its broker account at the broker's reload")
    r.add_argument("--config", required=True, help=SITE_HELP)
    r.add_argument("id")
    r.set_defaults(func=cmd_device_remove)
    k = dsub.add_parser("rekey", help="give a device a new key (and broker password); prints "
                                      "them once; the old ones stop working as for remove")
    k.add_argument("--config", required=True, help=SITE_HELP)
    k.add_argument("id")
    k.set_defaults(func=cmd_device_rekey)
    from .cli_updates import add_update_parser
    add_update_parser(dsub)

    b = sub.add_parser("broker-config", help="write Mosquitto's password file and ACL from the "
                                             "device registry")
    b.add_argument("--config", required=True, help="site TOML file")
    b.add_argument("--out", required=True, help="folder for passwd, acl and mosquitto.conf")
    b.add_argument("--port", type=port_type, default=1883, help="listener port (default 1883)")
    b.add_argument("--pid-file", default=DEBIAN_PID_FILE,
                   help="Mosquitto's pid file: it is sent SIGHUP (reload) now and whenever "
                        f"a device is added, removed or rekeyed (default {DEBIAN_PID_FILE}, "
                        "Debian's)")
    b.add_argument("--no-reload", action="store_true",
                   help="never signal Mosquitto: reload it yourself after each device change")
    b.set_defaults(func=cmd_broker_config)
