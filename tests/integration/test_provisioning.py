"""`suivant device flash / config / info` with the real mpremote against the REPL board (real
MicroPython behind a real pty): what a technician does with a laptop and a USB cable, and every
way it can go wrong leaving the board as it was."""
from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import subprocess
import sys
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_bridge.links.registry import DeviceRegistry
from host_bridge.provisioning import firmware_build
from host_bridge.provisioning.board import ProvisioningError
from host_bridge.provisioning.flash import Link, flash
from host_bridge.site_config import load
from simulators.repl_board import ReplBoard
from suivant_fw import config as fw_config
from support import EXAMPLE, ROOT

CLI = [sys.executable, "-m", "host_bridge.cli"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                 os.environ.get("PYTHONPATH")]))}


def suivant(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=ENV)


def flash_state(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(EXAMPLE.read_text())
    return path


@pytest.fixture
def board(tmp_path: Path) -> Iterator[ReplBoard]:
    with ReplBoard(tmp_path / "flash") as b:
        yield b


def flash_counter(site: Path, board: ReplBoard, *extra: str) -> subprocess.CompletedProcess[str]:
    return suivant("device", "flash", "--config", str(site), "--port", board.path, "--role",
                   "counter", "--counter", "3", "--wifi-ssid", "Mairie", "--wifi-password",
                   "mot-de-passe-wifi", *extra)


def test_flash_installs_the_role_registers_it_and_the_board_checks_out(site, board):
    done = flash_counter(site, board)
    assert done.returncode == 0, done.stderr
    assert "flashed counter-3 (counter, counter 3, mqtt)" in done.stdout
    assert "suivant_fw/app.mpy" in done.stderr and "100 %" in done.stderr  # progress bars
    files = sorted(p.name for p in (board.flash / "suivant_fw").iterdir())
    assert "tm1637.mpy" in files and "link_mqtt.mpy" in files
    assert "max7219.mpy" not in files and "link_serial.mpy" not in files  # not this role's
    cfg = fw_config.validate(json.loads((board.flash / "config.json").read_text()))
    registry = DeviceRegistry(str(site.parent / "devices.db"))
    try:
        dev = registry.get("counter-3")
        assert dev is not None and cfg["key"] == dev.key.hex()
        assert cfg["broker"]["password"] == dev.broker_password and cfg["counter"] == 3
    finally:
        registry.close()
    info = suivant("device", "info", "--port", board.path)
    assert info.returncode == 0, info.stderr
    assert "firmware:    0.1.0" in info.stdout and "MicroPython 1.27.0" in info.stdout
    assert cfg["key"] not in info.stdout and "mot-de-passe-wifi" not in info.stdout
    assert '"key": "***"' in info.stdout


def test_flashing_again_writes_only_what_changed(site, board):
    assert flash_counter(site, board).returncode == 0
    again = flash_counter(site, board, "--id", "counter-3")
    assert again.returncode == 0, again.stderr
    assert "0 files written" in again.stdout and "already registered" in again.stdout
    hall = suivant("device", "flash", "--config", str(site), "--port", board.path,
                   "--role", "hall", "--link", "serial", "--serial-port", "/dev/ttyUSB7",
                   "--address", "0")
    assert hall.returncode == 0, hall.stderr
    files = sorted(p.name for p in (board.flash / "suivant_fw").iterdir())
    assert "max7219.mpy" in files and "link_serial.mpy" in files
    assert "tm1637.mpy" not in files and "link_mqtt.mpy" not in files  # stale ones removed
    removed = int(re.search(r"(\d+) removed", hall.stdout).group(1))
    assert removed == 3  # tm1637, mqtt, link_mqtt


def test_config_changes_are_validated_before_anything_is_written(site, board):
    assert flash_counter(site, board).returncode == 0
    changed = suivant("device", "config", "--port", board.path, "wifi.ssid=Mairie-Annexe",
                      "counter=4")
    assert changed.returncode == 0, changed.stderr
    cfg = json.loads((board.flash / "config.json").read_text())
    assert cfg["wifi"]["ssid"] == "Mairie-Annexe" and cfg["counter"] == 4
    before = flash_state(board.flash)
    for bad, message in ((["broker.port=70000"], "C5 broker.port"),
                         (["pasword=x"], "C3 pasword"),
                         (["just-a-word"], "expected key=value"),
                         (["wifi.ssid.deeper=x"], "not a group")):
        done = suivant("device", "config", "--port", board.path, *bad)
        assert done.returncode == 2 and message in done.stderr, (bad, done.stderr)
        assert "Traceback" not in done.stderr
    assert flash_state(board.flash) == before


def test_a_port_that_does_not_exist(site, tmp_path):
    done = suivant("device", "info", "--port", str(tmp_path / "ttyUSB9"))
    assert done.returncode == 2 and "cannot open" in done.stderr


@pytest.mark.parametrize("answer", [b"", b"garbage from another device\r\n"])
def test_no_board_or_not_micropython_is_said_clearly(site, answer: bytes):
    master, slave = pty.openpty()
    tty.setraw(slave)
    stop = threading.Event()

    def talk() -> None:  # the other end: silent, or answering whatever it gets with garbage
        while not stop.is_set():
            try:
                data = os.read(master, 1024)
            except OSError:
                return
            if data and answer:
                os.write(master, answer)
    t = threading.Thread(target=talk, daemon=True)
    t.start()
    try:
        done = suivant("device", "flash", "--config", str(site), "--port", os.ttyname(slave),
                       "--role", "display", "--counter", "1", "--wifi-ssid", "x",
                       "--timeout", "2")
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
    assert done.returncode == 2
    assert "nothing on" in done.stderr and "MicroPython" in done.stderr
    assert not (site.parent / "devices.db").exists() or "display-1" not in suivant(
        "device", "list", "--config", str(site)).stdout


def test_a_full_flash_changes_nothing_on_the_board_or_in_the_registry(site, tmp_path):
    with ReplBoard(tmp_path / "small", capacity=40 * 1024) as small:
        (small.flash / "notes.txt").write_text("à garder\n")
        before = flash_state(small.flash)
        done = flash_counter(site, small)
        assert done.returncode == 2 and "flash is too full" in done.stderr, done.stderr
        assert flash_state(small.flash) == before
    listed = suivant("device", "list", "--config", str(site))
    assert "counter-3" not in listed.stdout


def test_a_board_whose_micropython_cannot_load_our_firmware_is_refused(site, board,
                                                                       monkeypatch):
    monkeypatch.setattr(firmware_build, "MPY_SUB_VERSION", 2)  # as if we were built for 6.2
    settings = load(site)
    registry = DeviceRegistry(str(site.parent / "devices.db"))
    try:
        with pytest.raises(ProvisioningError, match="v6.3; this firmware is built for v6.2"):
            flash(board.path, settings, registry, "counter", 3, Link(wifi_ssid="x"))
        assert registry.all() == []
    finally:
        registry.close()
    assert flash_state(board.flash) == {}


def test_a_role_change_on_a_registered_id_is_refused(site, board):
    assert flash_counter(site, board).returncode == 0
    done = suivant("device", "flash", "--config", str(site), "--port", board.path, "--role",
                   "display", "--counter", "3", "--id", "counter-3", "--wifi-ssid", "x")
    assert done.returncode == 2 and "registered as counter" in done.stderr
