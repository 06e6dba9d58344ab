"""`suivant device flash`, `config` and `info`: the technician's work on one board, over its port.

flash: the board must run MicroPython whose .mpy format is ours; the role's files are compiled
for it and installed as a whole build (swap.py: a new folder beside the old, checked, then two
folder renames; a power loss at any moment leaves the old build or the new, never a mix, and
only files that changed cross the cable), config.json is written whole (temp, rename) with the
device's id and key (registered in the bridge's registry: a new device, or the same one when
re-flashed with --id), everything is read back (hashes), the firmware imported on the board,
and the board reset so it runs it. `config` resets it too (a config.json is read at boot).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suivant_fw import config as fw_config

from ..links.registry import Device, DeviceRegistry, RegistryError
from ..ota.store import flashed_state
from ..site_config import Settings
from .board import Board, ProvisioningError
from .firmware_build import PACKAGE, modules_for, role_files, sha256, version_of
from .swap import NEW, OLD, install

CONFIG = "config.json"
OTA_STATE = "ota.json"  # over-the-air updates' state on the board (suivant_fw/ota.py)
CA_FILE = "ca.pem"  # an mqtts broker's CA, as hal_esp32 reads it
MAX_CA = 16 * 1024

Progress = Callable[[str, int, int], None]


@dataclass
class FlashReport:
    device: Device
    version: str
    sent: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # not sent (copied on the board)
    swapped: bool = False  # False: the board already held this build
    new_device: bool = False
    reset: bool = False


@dataclass(frozen=True)
class Link:
    """How the flashed board will reach the bridge."""
    kind: str = "mqtt"  # or "serial"
    wifi_ssid: str | None = None
    wifi_password: str = ""
    broker_host: str | None = None  # default: the site's [mqtt] host
    broker_port: int | None = None
    serial_address: int = 0
    serial_port: str | None = None  # where the bridge reaches it (registry)


def device_config(dev: Device, site: str, link: Link, settings: Settings) -> dict[str, Any]:
    """The board's config.json, validated by the firmware's own validator."""
    raw: dict[str, Any] = {"schema": 1, "device": dev.id, "role": dev.role, "key": dev.key.hex(),
                           "site": site, "link": link.kind}
    if link.kind == "mqtt":
        if not link.wifi_ssid:
            raise ProvisioningError("a board on Wi-Fi needs its network: --wifi-ssid")
        mqtt = settings.mqtt
        raw["wifi"] = {"ssid": link.wifi_ssid, "password": link.wifi_password}
        raw["broker"] = {"host": link.broker_host or mqtt.host,
                         "port": link.broker_port or mqtt.port, "tls": mqtt.tls,
                         "password": dev.broker_password or ""}
    else:
        raw["serial"] = {"uart": 2, "rs485": True, "address": link.serial_address} \
            if link.serial_address else {}
    if dev.counter is not None and dev.role in ("counter", "display"):
        raw["counter"] = dev.counter
    try:
        return fw_config.validate(raw)
    except fw_config.ConfigError as exc:
        raise ProvisioningError(f"that configuration is not valid for the board: {exc}") from None


def _encode(cfg: dict[str, Any]) -> bytes:
    return (json.dumps(cfg, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _register(registry: DeviceRegistry, role: str, counter: int | None, link: Link,
              device_id: str | None) -> tuple[Device, bool]:
    if device_id is not None:
        known = registry.get(device_id)
        if known is not None:
            if (known.role, known.counter, known.link) != (role, counter, link.kind):
                raise ProvisioningError(
                    f"{device_id} is registered as {known.role}, counter {known.counter}, "
                    f"{known.link}: remove it first (suivant device remove) to change that")
            return known, False
    base = device_id or (f"{role}-{counter}" if counter is not None else role)
    candidate, n = base, 1
    while device_id is None and registry.get(candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    try:
        dev = registry.add(candidate, role, counter, link.kind, link.serial_port if
                           link.kind == "serial" else None,
                           link.serial_address if link.kind == "serial" else None)
    except RegistryError as exc:
        raise ProvisioningError(f"cannot register the device: {exc}") from None
    return dev, True


def flash(port: str, settings: Settings, registry: DeviceRegistry, role: str,
          counter: int | None, link: Link, device_id: str | None = None,
          progress: Progress | None = None, timeout: float = 5.0,
          reset: bool = True) -> FlashReport:
    with Board.connect(port, timeout) as board:
        info = board.info()
        if info.get("name") != "micropython":
            raise ProvisioningError(f"the board on {port} runs {info.get('name')!r}, not "
                                    "MicroPython")
        files = role_files(role, link.kind, info["mpy"])  # refuses another .mpy format
        dev, new = _register(registry, role, counter, link, device_id)
        try:
            report = _write(board, files, dev, settings, link, info, progress)
        except BaseException:
            if new:
                registry.remove(dev.id)  # the board kept its build: the registry its devices
            raise
        report.new_device = new
        if reset:
            board.reset()
            report.reset = True
        return report


def _write(board: Board, files: dict[str, bytes], dev: Device, settings: Settings,
           link: Link, info: dict[str, Any], progress: Progress | None) -> FlashReport:
    config = _encode(device_config(dev, settings.site.id, link, settings))
    ca = _broker_ca(settings, link)  # refused here, before anything is written
    old_config = board.hashes([CONFIG])[CONFIG]
    config_size = 0 if old_config == sha256(config) else len(config)
    # ota.json: the site's latest build number, so no older build can be offered to the board
    # over the air. Written before the swap when an update was under way on the board (its
    # "swap"/"trial" state would, after a power cut in the swap, roll this flash back to the
    # update's suivant_fw.old), else after (a refused flash then changes nothing)
    ota_state = flashed_state(settings.devices_path)
    if _update_under_way(board.read(OTA_STATE)):
        board.write_file(OTA_STATE, ota_state)
    done = install(board, files, info["flash_free"] - config_size, progress)
    if board.hashes([OTA_STATE])[OTA_STATE] != sha256(ota_state):
        board.write_file(OTA_STATE, ota_state)
    report = FlashReport(dev, version_of(files), sent=done.sent, unchanged=done.unchanged,
                         swapped=done.swapped)
    if config_size:
        board.write_file(CONFIG, config, progress)
    (report.sent if config_size else report.unchanged).append(CONFIG)
    expected = {**files, CONFIG: config, OTA_STATE: ota_state}
    if ca is not None:  # the CA the board verifies the broker with (firmware/CONFIG.md, TLS)
        if board.hashes([CA_FILE])[CA_FILE] != sha256(ca):
            board.write_file(CA_FILE, ca)
        expected[CA_FILE] = ca
    after = board.hashes(list(expected))
    wrong = [p for p, data in expected.items() if after.get(p) != sha256(data)]
    if wrong:
        raise ProvisioningError(f"read back differs from what was written: {', '.join(wrong)}")
    board.import_check([f"{PACKAGE}.{m}" for m in modules_for(dev.role, dev.link)
                        if m != "__init__"])
    return report


def _broker_ca(settings: Settings, link: Link) -> bytes | None:
    """The site's broker CA for a board on an mqtts broker (its ca.pem), else None."""
    mqtt = settings.mqtt
    if link.kind != "mqtt" or not mqtt.tls:
        return None
    if not mqtt.ca_file:
        raise ProvisioningError("the broker is mqtts:// but the site file has no [mqtt] ca_file: "
                                "the board needs the CA that signed the broker's certificate")
    try:
        ca = Path(mqtt.ca_file).read_bytes()
    except OSError as exc:
        raise ProvisioningError(f"cannot read [mqtt] ca_file {mqtt.ca_file}: "
                                f"{exc.strerror}") from None
    if b"PRIVATE KEY" in ca:
        raise ProvisioningError(f"{mqtt.ca_file} holds a private key: give the CA's certificate "
                                "(ca.pem), never its key")
    if b"-----BEGIN CERTIFICATE-----" not in ca or len(ca) > MAX_CA:
        raise ProvisioningError(f"{mqtt.ca_file} is not a PEM certificate (of at most "
                                f"{MAX_CA // 1024} KB)")
    return ca


def _update_under_way(raw: bytes | None) -> bool:
    try:
        return json.loads(raw or b"{}").get("state", "ok") != "ok"
    except (ValueError, AttributeError):
        return True  # unreadable: as good as gone, written first


# -- suivant device config ------------------------------------------------------------------

def parse_assignments(items: list[str]) -> dict[str, Any]:
    """["wifi.ssid=Mairie", "counter=4", "broker.tls=true"] -> {"wifi.ssid": "Mairie", ...};
    numbers and true/false as JSON reads them, anything else as text."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key or any(not part for part in key.split(".")):
            raise ProvisioningError(f"expected key=value (e.g. wifi.ssid=Mairie), got {item!r}")
        try:
            value = json.loads(text)
            if not isinstance(value, (int, bool, float)):
                value = text
        except ValueError:
            value = text
        out[key] = value
    return out


def apply_assignments(cfg: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    new = json.loads(json.dumps(cfg))
    for key, value in changes.items():
        target = new
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(target.get(part, {}), dict):
                raise ProvisioningError(f"{key}: {part} is not a group of settings")
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    try:
        return fw_config.validate(new)
    except fw_config.ConfigError as exc:
        raise ProvisioningError(f"not written: {exc}") from None


def configure(port: str, changes: dict[str, Any], timeout: float = 5.0,
              reset: bool = True) -> dict[str, Any]:
    """Change config.json on the board: validated first, written whole (temp, rename), then
    the board reset (a config.json is read at boot only)."""
    if not changes:
        raise ProvisioningError("nothing to change: give key=value pairs")
    with Board.connect(port, timeout) as board:
        current = _read_config(board)
        new = apply_assignments(current, changes)
        board.write_file(CONFIG, _encode(new))
        if reset:
            board.reset()
        return fw_config.redacted(new)


def _read_config(board: Board) -> dict[str, Any]:
    raw = board.read(CONFIG)
    if raw is None:
        raise ProvisioningError("the board has no config.json: flash it first "
                                "(suivant device flash)")
    try:
        return json.loads(raw)
    except ValueError:
        raise ProvisioningError("the board's config.json is not JSON: flash it again") from None


def inspect(port: str, timeout: float = 5.0) -> dict[str, Any]:
    """What `suivant device info` shows: never a key or a password."""
    with Board.connect(port, timeout) as board:
        info = board.info()
        firmware = board.eval("getattr(suivant_fw, 'FIRMWARE_VERSION', None)",
                              "try:\n import suivant_fw\nexcept ImportError:\n suivant_fw = None")
        raw = board.read(CONFIG)
        leftovers = sorted(set(board.listdir("/") or []) & {NEW, OLD})
    cfg: Any = None
    if raw is not None:
        try:
            cfg = fw_config.redacted(json.loads(raw))
        except ValueError:
            cfg = "(not JSON)"
    return {"micropython": ".".join(map(str, info["version"])), "mpy": info["mpy"],
            "machine": info["machine"], "firmware": firmware, "config": cfg,
            "mem_free": info["mem_free"], "flash_free": info["flash_free"],
            "flash_size": info["flash_size"], "leftovers": leftovers}
