"""`suivant device flash / config / info` with the real mpremote against the REPL board (real
MicroPython behind a real pty): what a technician does with a laptop and a USB cable, and every
way it can go wrong leaving the board as it was."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import re
import select
import shutil
import subprocess
import termios
import time
import sys
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_bridge.links.registry import DeviceRegistry
from host_bridge.provisioning import firmware_build
from host_bridge.provisioning.board import Board, ProvisioningError
from host_bridge.provisioning.flash import Link, flash
from host_bridge.site_config import load
from simulators.repl_board import ReplBoard
from suivant_fw import config as fw_config
from support import EXAMPLE, ROOT

CLI = [sys.executable, "-m", "host_bridge.cli"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                 os.environ.get("PYTHONPATH")]))}


WIFI_PASSWORD = "mot-de-passe-wifi"


def suivant(*args: str, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a technician runs it, the Wi-Fi password in SUIVANT_WIFI_PASSWORD unless
    `env` says otherwise; no terminal (stdin a pipe)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          env={**ENV, "SUIVANT_WIFI_PASSWORD": WIFI_PASSWORD, **(env or {})},
                          input=stdin or "")


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
                   "counter", "--counter", "3", "--wifi-ssid", "Mairie", *extra)


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
    assert "0 files sent" in again.stdout and "(already there)" in again.stdout
    assert "already registered" in again.stdout
    hall = suivant("device", "flash", "--config", str(site), "--port", board.path,
                   "--role", "hall", "--link", "serial", "--serial-port", "/dev/ttyUSB7",
                   "--address", "0")
    assert hall.returncode == 0, hall.stderr
    files = sorted(p.name for p in (board.flash / "suivant_fw").iterdir())
    assert "max7219.mpy" in files and "link_serial.mpy" in files
    assert "tm1637.mpy" not in files and "link_mqtt.mpy" not in files  # the old build's gone
    sent = int(re.search(r"(\d+) files sent", hall.stdout).group(1))
    assert 0 < sent < len(files) - 5  # the common modules were copied on the board, not sent
    root = {p.name for p in board.flash.iterdir()}
    assert {"config.json", "fw_swap.py", "main.py", "suivant_fw"} <= root
    assert not {"suivant_fw.new", "suivant_fw.old"} & root  # the swap left nothing behind


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


# -- the board starts what was written (issue 11, bug 8: it was left at the REPL) --------------

def boots(board: ReplBoard) -> int:
    """How often the board booted: its boot.py (run at power on and every reset) counts
    them."""
    for _ in range(10):  # give a board just reset the time to boot before talking to it
        time.sleep(0.5)
        try:
            with Board.connect(board.path) as b:
                return b.eval("len(open('boots.txt').read().splitlines())")
        except ProvisioningError:
            continue
    raise AssertionError("the board does not answer after its reset")


@pytest.fixture
def counting_board(tmp_path: Path) -> Iterator[ReplBoard]:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "boot.py").write_text("open('boots.txt', 'a').write('boot\\n')\n")
    with ReplBoard(flash) as b:
        yield b


def test_flash_and_config_reset_the_board_so_it_starts_what_was_written(site, counting_board):
    board = counting_board
    done = flash_counter(site, board)
    assert done.returncode == 0, done.stderr
    assert boots(board) == 2 and "the board was reset" in done.stdout
    changed = suivant("device", "config", "--port", board.path, "counter=4")
    assert changed.returncode == 0, changed.stderr
    assert boots(board) == 3 and "the board was reset" in changed.stdout


def test_no_reset_leaves_the_board_at_its_repl_and_says_so(site, counting_board):
    board = counting_board
    done = flash_counter(site, board, "--no-reset")
    assert done.returncode == 0, done.stderr
    assert boots(board) == 1 and "stays at its REPL" in done.stdout
    changed = suivant("device", "config", "--port", board.path, "counter=4", "--no-reset")
    assert changed.returncode == 0 and boots(board) == 1 and "stays at its REPL" in changed.stdout


# -- the version says which build it is (issue 11, bug 8: it was a constant) ------------------

def test_the_board_reports_the_version_of_the_build_it_holds(site, board):
    assert flash_counter(site, board).returncode == 0
    build = firmware_build.role_files("counter", "mqtt", 0x0306)  # the board's mpy: 6.3, bytecode
    version = firmware_build.version_of(build)
    assert re.fullmatch(r"0\.1\.0\+[0-9a-f]{8}", version)
    manifest = (board.flash / "suivant_fw" / "MANIFEST").read_text().splitlines()
    assert manifest[0] == f"version {version}" and len(manifest) == len(
        [p for p in build if p.startswith("suivant_fw/")])  # every file but itself, + version
    info = suivant("device", "info", "--port", board.path)
    assert f"firmware:    {version}\n" in info.stdout
    with Board.connect(board.path) as b:  # the hello the firmware sends names it too
        hello = b.eval("[m.fields for m in d.take_outbox() if m.kind == 'hello'][0]",
                       "from suivant_fw import boot, roles\n"
                       "cfg, key = boot.load_config('config.json')\n"
                       "d = roles.for_config(cfg, '0a1b2c3d', lambda: 0.5)\n"
                       "d.link_up(0)")
    assert tuple(hello) == ("counter", version, "0")


def test_two_builds_that_ship_anything_different_have_different_versions(tmp_path, monkeypatch):
    counter = firmware_build.version_of(firmware_build.role_files("counter", "mqtt", 0x0306))
    assert counter == firmware_build.version_of(
        firmware_build.role_files("counter", "mqtt", 0x0306))  # the same build: the same
    assert counter != firmware_build.version_of(
        firmware_build.role_files("hall", "mqtt", 0x0306))
    copy = tmp_path / "firmware"
    shutil.copytree(firmware_build.FIRMWARE, copy)
    segments = copy / "suivant_fw" / "segments.py"
    text = segments.read_text()
    assert 'IDLE = "----"' in text
    segments.write_text(text.replace('IDLE = "----"', 'IDLE = "-  -"'))
    monkeypatch.setattr(firmware_build, "FIRMWARE", copy)
    assert counter != firmware_build.version_of(
        firmware_build.role_files("counter", "mqtt", 0x0306))


def test_the_source_tree_says_it_is_not_a_build():
    import suivant_fw
    assert suivant_fw.FIRMWARE_VERSION == suivant_fw.RELEASE + "+dev"


# -- the Wi-Fi password never on the command line (issue 11, bug 8) ----------------------------

def board_config(board: ReplBoard) -> dict:
    return json.loads((board.flash / "config.json").read_text())


def test_a_wifi_password_on_the_command_line_is_refused_with_the_alternatives(site, board):
    done = flash_counter(site, board, "--wifi-password", "secret-en-clair")
    assert done.returncode == 2 and "--wifi-password is refused" in done.stderr
    assert "SUIVANT_WIFI_PASSWORD" in done.stderr and "--wifi-password-file" in done.stderr
    assert flash_state(board.flash) == {} and not (site.parent / "devices.db").exists()
    assert flash_counter(site, board).returncode == 0
    before = flash_state(board.flash)
    for args in (["wifi.password=secret-en-clair"], ["--wifi-password=secret", "counter=4"]):
        refused = suivant("device", "config", "--port", board.path, *args)
        assert refused.returncode == 2 and "command line" in refused.stderr, refused.stderr
        assert "--wifi-password-file" in refused.stderr
    assert flash_state(board.flash) == before


def test_without_a_terminal_the_password_must_come_from_the_variable_or_a_file(site, board):
    env = {k: v for k, v in ENV.items() if k != "SUIVANT_WIFI_PASSWORD"}
    done = subprocess.run([*CLI, "device", "flash", "--config", str(site), "--port", board.path,
                           "--role", "counter", "--counter", "3", "--wifi-ssid", "Mairie"],
                          capture_output=True, text=True, timeout=120, env=env, input="")
    assert done.returncode == 2 and "no terminal" in done.stderr
    assert "SUIVANT_WIFI_PASSWORD" in done.stderr and flash_state(board.flash) == {}


def test_the_password_from_the_variable_a_file_or_standard_input(site, board, tmp_path):
    assert flash_counter(site, board).returncode == 0
    assert board_config(board)["wifi"]["password"] == WIFI_PASSWORD
    secret = tmp_path / "wifi.txt"
    secret.write_text("mot de passe du fichier\n")  # the editor's final newline is not in it
    again = flash_counter(site, board, "--id", "counter-3", "--wifi-password-file", str(secret))
    assert again.returncode == 0, again.stderr
    assert board_config(board)["wifi"]["password"] == "mot de passe du fichier"
    piped = suivant("device", "config", "--port", board.path, "--wifi-password-file", "-",
                    stdin="par-l-entree-standard\n")
    assert piped.returncode == 0, piped.stderr
    assert board_config(board)["wifi"]["password"] == "par-l-entree-standard"
    assert "par-l-entree-standard" not in piped.stdout  # shown redacted
    changed = suivant("device", "config", "--port", board.path, "--new-wifi-password",
                      env={"SUIVANT_WIFI_PASSWORD": "nouveau-mot-de-passe"})
    assert changed.returncode == 0, changed.stderr
    assert board_config(board)["wifi"]["password"] == "nouveau-mot-de-passe"


def test_at_a_terminal_the_password_is_asked_without_echo(site, board):
    master, slave = pty.openpty()
    env = {k: v for k, v in ENV.items() if k != "SUIVANT_WIFI_PASSWORD"}
    proc = subprocess.Popen(
        [*CLI, "device", "flash", "--config", str(site), "--port", board.path, "--role",
         "counter", "--counter", "3", "--wifi-ssid", "Mairie", "--quiet"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))  # the pty is its terminal
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"Wi-Fi password for Mairie" not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([master], [], [], 1)[0]:
                seen += os.read(master, 1024)
        os.write(master, b"tape au clavier\n")
        while proc.poll() is None or select.select([master], [], [], 0.2)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
    finally:
        proc.wait(120)
        os.close(master)
    assert proc.returncode == 0, seen.decode(errors="replace")
    assert b"tape au clavier" not in seen  # not echoed
    assert board_config(board)["wifi"]["password"] == "tape au clavier"


def test_flash_gives_the_board_the_sites_latest_build_and_clears_an_update_in_progress(
        site, board):
    """A board flashed over USB must not take an older build over the air afterwards (its
    build number was 0), nor roll this flash back to an update's leftover suivant_fw.old at
    its next boot (ota.json said "trial")."""
    from host_bridge.ota.store import UpdateStore
    store = UpdateStore(str(site.parent / "devices.db"))
    try:
        for _ in range(3):
            store.add_build("counter", "mqtt", "0.1.0+old", [("suivant_fw/app.mpy", b"x")])
    finally:
        store.close()
    (board.flash / "ota.json").write_text(
        json.dumps({"build": 2, "state": "trial", "prev": 1, "boots": 1}))
    done = flash_counter(site, board)
    assert done.returncode == 0, done.stderr
    assert json.loads((board.flash / "ota.json").read_text()) == {"build": 3, "state": "ok"}


def test_a_board_of_an_mqtts_site_gets_the_brokers_ca_and_a_key_is_never_sent(tmp_path, board):
    """A board on a TLS broker verifies it against ca.pem (issue 11, bug 2): the flash puts the
    site's [mqtt] ca_file there; a file holding a private key (ca.key given by mistake) is
    refused before anything is written."""
    ca = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
    (tmp_path / "ca.pem").write_text(ca)
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text() + '\n[mqtt]\nurl = "mqtts://192.168.10.2:8883"\n'
                    'ca_file = "ca.pem"\n')
    done = flash_counter(site, board)
    assert done.returncode == 0, done.stderr
    assert (board.flash / "ca.pem").read_text() == ca
    cfg = json.loads((board.flash / "config.json").read_text())
    assert cfg["broker"]["tls"] is True and cfg["broker"]["port"] == 8883
    before = flash_state(board.flash)
    (tmp_path / "ca.pem").write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    refused = flash_counter(site, board, "--id", "counter-3")
    assert refused.returncode != 0 and "holds a private key" in refused.stderr
    assert flash_state(board.flash) == before
