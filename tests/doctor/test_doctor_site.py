"""`suivant doctor` on a real site: `suivant serve` in its own process, a real Mosquitto on the
files `suivant broker-config` wrote (the bridge on its own account), a board that spoke as the
firmware does (its own account, its last will, a signed hello), a kiosk printer's TCP port.

Healthy first (all OK, exit 0), then each fault made real, one at a time, and undone: the
database made immutable, the printer's port closed, a board registered and never heard, a
board's power cut, the broker stopped, the bridge stopped, a wrong broker password. Every run
stays within doctor's time bound, also with everything dead or hung.

The server's clock: this container has no systemd (timedatectl cannot answer) and no chrony, so
a `timedatectl` standing for the OS's answer goes first on PATH (a site's real one is used the
same way); the clock's own cases are in test_doctor_parts.py.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import secrets
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from host_bridge.cli import main
from host_bridge.doctor.checks import DEADLINE_S
from host_bridge.links.registry import DeviceRegistry
from host_bridge.site_config import load
from mosquitto_broker import MosquittoBroker
from simulators.bridge_process import BridgeProcess
from suivant_fw.message import Message, encode
from suivant_fw.mqtt import connect_packet, publish_packet
from support import EXAMPLE, ROOT, free_port

SITE = "mairie-villeneuve"
TOKEN = "doctor-token-for-the-tests"
BRIDGE_PASSWORD = "bridge-secret-7"
CHECKS = ("config", "bridge", "database", "schema", "disk", "broker", "boards", "printer",
          "clock", "backup")
HEALTHY = {name: "OK" for name in CHECKS}


class PrinterPort:
    """A network ticket printer's port (9100 on a real one): accepts and hangs up."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: socketserver.TCPServer | None = None
        self.open()

    def open(self) -> None:
        socketserver.TCPServer.allow_reuse_address = True
        self.server = socketserver.TCPServer(("127.0.0.1", self.port),
                                             socketserver.BaseRequestHandler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Board:
    """A counter terminal as the firmware connects: its own broker account, its last will
    (status = offline, retained), status = online, then a signed hello on `up`."""

    def __init__(self, port: int, device) -> None:
        base = f"suivant/{SITE}/d/{device.id}"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(connect_packet(device.id, 30, device.id, device.broker_password,
                                         (f"{base}/status", b"offline")))
        assert self.sock.recv(4) == b"\x20\x02\x00\x00", "the broker refused the board"
        hello = Message("hello", device.id, secrets.token_hex(4), 1, ("counter", "0.1.0", "0"))
        self.sock.sendall(publish_packet(f"{base}/status", b"online", retain=True)
                          + publish_packet(f"{base}/up", encode(hello, device.key)))

    def power_cut(self) -> None:
        """Gone without DISCONNECT: the broker publishes the board's will."""
        self.sock.close()


class Site:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.broker = MosquittoBroker()
        self.printer = PrinterPort()
        self.config = folder / "site.toml"
        self.config.write_text(EXAMPLE.read_text(encoding="utf-8") + f"""
[mqtt]
url = "mqtt://127.0.0.1:{self.broker.port}"
username = "suivant-bridge"
password = "{BRIDGE_PASSWORD}"

[printer]
url = "tcp://127.0.0.1:{self.printer.port}"

[[users]]
name = "doctor"
role = "supervisor"
token_sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
""", encoding="utf-8")
        self.settings = load(self.config)
        self.token_file = folder / "doctor.token"
        self.token_file.write_text(TOKEN + "\n")
        registry = DeviceRegistry(self.settings.devices_path)
        self.device = registry.add("board-1", "counter", 1)
        registry.close()
        files = self.broker.folder / "suivant"
        assert main(["broker-config", "--config", str(self.config), "--out", str(files),
                     "--port", str(self.broker.port), "--no-reload"]) == 0
        self.broker.use_generated(files / "mosquitto.conf")
        self.broker.start()
        self.bridge = BridgeProcess(self.config, self.settings.db_path)
        self.bridge.start()
        self.wait_mqtt("connected")
        assert main(["backup", "--config", str(self.config)]) == 0  # as the bridge's nightly
        self.board = Board(self.broker.port, self.device)
        self.wait_board(online=True)
        self.bin = folder / "bin"  # this machine's answer about its clock (module docstring)
        self.bin.mkdir()
        (self.bin / "timedatectl").write_text("#!/bin/sh\necho yes\n")
        (self.bin / "timedatectl").chmod(0o755)

    def wait_mqtt(self, state: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while (self.bridge.health() or {}).get("mqtt") != state:
            assert time.monotonic() < deadline, f"the bridge's MQTT link never {state}"
            time.sleep(0.05)

    def devices(self) -> dict[str, dict]:
        """The boards as the bridge sees them (GET /api/devices)."""
        request = urllib.request.Request(f"{self.bridge.url}/api/devices",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=2) as answer:
            return {d["id"]: d for d in json.loads(answer.read())["devices"]}

    def wait_board(self, online: bool, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            board = self.devices()["board-1"]
            if board["online"] == online and board["last_seen"]:
                return
            assert time.monotonic() < deadline, f"board-1 never {'on' if online else 'off'}line"
            time.sleep(0.05)

    def wait_registered(self, ids: set[str], timeout: float = 5.0) -> None:
        """Until the bridge has seen the registry file change (it looks every 0.25 s)."""
        deadline = time.monotonic() + timeout
        while set(self.devices()) != ids:
            assert time.monotonic() < deadline, f"the bridge never had {ids}"
            time.sleep(0.05)

    def close(self) -> None:
        self.bridge.stop()
        self.broker.__exit__(None, None, None)
        self.printer.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("doctor"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{s.bin}{os.pathsep}{os.environ['PATH']}")
        try:
            yield s
        finally:
            s.close()


def doctor(site: Site, *options: str, config: Path | None = None, token: bool = True,
           url: str | None = None) -> tuple[int, str, dict]:
    """An in-process run: (exit code, what it printed, each check's status), within its bound."""
    out = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out):
        code = main(["doctor", "--config", str(config or site.config),
                     "--url", url or site.bridge.url,
                     *(("--token-file", str(site.token_file)) if token else ()), *options])
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE_S, f"doctor took {elapsed:.1f} s"
    text = out.getvalue()
    return code, text, statuses(text)


def statuses(text: str) -> dict[str, str]:
    return {line.split()[1]: line.split()[0] for line in text.splitlines()
            if line.split() and line.split()[0] in ("OK", "SKIP", "WARN", "FAIL")}


def line_of(text: str, check: str) -> str:
    """The check's line and its advice, if any."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.split()[1:2] == [check]:
            advice = lines[i + 1] if i + 1 < len(lines) and "->" in lines[i + 1] else ""
            return line + "\n" + advice
    raise AssertionError(f"no {check} line in:\n{text}")


def test_a_healthy_site_is_all_ok_and_exits_0(site: Site):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "host_bridge.cli", "doctor", "--config",
                           str(site.config), "--url", site.bridge.url, "--token-file",
                           str(site.token_file)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=30)
    assert time.monotonic() - started < DEADLINE_S + 3  # + the interpreter's start
    assert statuses(done.stdout) == HEALTHY, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 registered, all heard in the last 180 s" in done.stdout
    assert f"tcp://127.0.0.1:{site.printer.port} answers" in done.stdout
    assert "the bridge is connected to the broker" in done.stdout


def test_without_a_token_the_boards_last_heard_is_unknown_and_it_says_how_to_see_it(site: Site):
    code, text, found = doctor(site, token=False)
    assert found == {**HEALTHY, "boards": "WARN"}, text
    assert "1 registered; when each was last heard is unknown: give doctor a supervisor's " \
           "token (--token-file)" in text
    assert code == 1


def test_a_database_that_cannot_be_written_fails_with_what_to_check(site: Site):
    db = site.settings.db_path
    subprocess.run(["chattr", "+i", db], check=True)  # even root cannot write it now
    try:
        code, text, found = doctor(site)
    finally:
        subprocess.run(["chattr", "-i", db], check=True)
    assert found == {**HEALTHY, "database": "FAIL"}, text
    assert "cannot be written (attempt to write a readonly database)" in text
    assert f"lsattr {db}" in line_of(text, "database")
    assert code == 2


def test_a_printer_that_does_not_answer_fails_with_what_to_check(site: Site):
    site.printer.close()
    try:
        code, text, found = doctor(site)
    finally:
        site.printer.open()
    assert found == {**HEALTHY, "printer": "FAIL"}, text
    assert f"tcp://127.0.0.1:{site.printer.port} does not answer (Connection refused)" in text
    assert "switched on, has paper" in line_of(text, "printer")
    assert code == 2


def test_a_board_registered_and_never_heard_is_named(site: Site):
    registry = DeviceRegistry(site.settings.devices_path)  # as `suivant device add` does
    registry.add("board-2", "counter", 2)
    try:
        site.wait_registered({"board-1", "board-2"})
        code, text, found = doctor(site)
    finally:
        registry.remove("board-2")
        registry.close()
        site.wait_registered({"board-1"})
    assert found == {**HEALTHY, "boards": "FAIL"}, text
    assert "1 of 2 quiet: board-2 (counter 2): never heard at all" in text
    assert "suivant device flash" in line_of(text, "boards")
    assert "power" not in line_of(text, "boards")  # board-1 is heard: board-2 needs flashing
    assert code == 2


def test_a_board_whose_power_went_is_named_with_what_to_check(site: Site):
    site.board.power_cut()
    try:
        site.wait_board(online=False)
        code, text, found = doctor(site)
    finally:
        site.board = Board(site.broker.port, site.device)
        site.wait_board(online=True)
    assert found == {**HEALTHY, "boards": "FAIL"}, text
    assert "1 of 1 quiet: board-1 (counter 1): last heard" in text
    assert "check its power and Wi-Fi" in line_of(text, "boards")
    assert code == 2


def test_a_stopped_broker_fails_with_how_to_start_it(site: Site):
    site.broker.stop()
    try:
        site.wait_mqtt("disconnected")
        code, text, found = doctor(site)
    finally:
        site.broker.start()
        site.wait_mqtt("connected")
        site.board = Board(site.broker.port, site.device)  # a board reconnects by itself
        site.wait_board(online=True)
    assert found["broker"] == "FAIL", text
    assert (f"the broker mqtt://127.0.0.1:{site.broker.port} Connection refused"
            in line_of(text, "broker"))
    assert "start Mosquitto (systemctl status mosquitto" in line_of(text, "broker")
    assert code == 2


def test_a_backup_that_stopped_being_taken_fails_with_what_to_do(site: Site):
    from host_bridge.backup.schedule import read_status, write_status
    folder = site.settings.backup.folder_for(site.settings.db_path)
    site_id = site.settings.site.id
    taken = read_status(folder, site_id)
    # the bridge's status file, as the scheduler leaves it, from two days ago
    write_status(folder, site_id, dataclasses.replace(taken, at=(datetime.now(timezone.utc)
                                                                 - timedelta(days=2)).isoformat()))
    try:
        code, text, found = doctor(site)
    finally:
        write_status(folder, site_id, taken)
    assert found == {**HEALTHY, "backup": "FAIL"}, text
    assert "the latest backup is 48 h old (one is due every day at 03:00)" in text
    assert f"suivant backup --config {site.config}" in line_of(text, "backup")
    assert code == 2


def test_a_bridge_listening_elsewhere_is_told_from_a_stopped_one(site: Site):
    elsewhere = f"http://127.0.0.1:{free_port()}"
    code, text, found = doctor(site, url=elsewhere)
    assert found["bridge"] == "FAIL", text
    assert (f"nothing answers at {elsewhere}/api/health (Connection refused), yet a bridge "
            f"(pid {site.bridge.pid}) serves this database" in line_of(text, "bridge"))
    assert "--url" in line_of(text, "bridge")
    assert code == 2


# ----- the bridge stopped from here on ------------------------------------------------------

def test_a_stopped_bridge_fails_and_the_broker_is_tried_with_its_account(site: Site):
    site.bridge.stop()
    code, text, found = doctor(site)
    assert found == {**HEALTHY, "bridge": "FAIL", "boards": "WARN"}, text
    assert (f"nothing answers at {site.bridge.url}/api/health (Connection refused)"
            in line_of(text, "bridge"))
    assert "systemctl start suivant" in line_of(text, "bridge")  # not "listens elsewhere"
    # the bridge gone, doctor connects as it would (its own account): the broker takes it
    assert "takes the bridge's account as suivant-bridge" in line_of(text, "broker")
    assert "the bridge is not answering" in line_of(text, "boards")
    assert code == 2


def test_a_wrong_broker_password_fails_with_how_to_make_them_agree(site: Site):
    assert not site.bridge.running
    wrong = site.folder / "wrong-password.toml"  # beside it: the same database and registry
    wrong.write_text(site.config.read_text().replace(BRIDGE_PASSWORD, "not-the-password"))
    code, text, found = doctor(site, config=wrong)
    assert found["broker"] == "FAIL", text
    assert "refused the bridge's user name or password" in line_of(text, "broker")
    assert "suivant broker-config" in line_of(text, "broker")
    assert code == 2


def test_a_run_with_everything_hung_ends_within_its_bound(site: Site):
    """A bridge address and a broker that accept connections and never answer: each check's
    own timeout ends it (doctor() asserts the whole run's bound: 1.5 s for the bridge, then
    2 s for the broker that waited for it)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    hung = site.folder / "hung.toml"
    hung.write_text(site.config.read_text().replace(f"127.0.0.1:{site.broker.port}",
                                                    f"127.0.0.1:{port}"))
    try:
        code, text, found = doctor(site, config=hung, url=f"http://127.0.0.1:{port}")
    finally:
        silent.close()
    assert found["bridge"] == "FAIL" and "timed out" in line_of(text, "bridge")
    assert "no answer to CONNECT within 2 s" in line_of(text, "broker")
    assert code == 2
