"""Virtual boards: the real firmware (suivant_fw.app.App) on the simulator's HAL, many of them in
one asyncio loop on a background thread, over real sockets to a real broker or over real ptys.

    farm = BoardFarm()
    farm.start()
    board = farm.add(config, key)                 # config: a device's config.json (a dict)
    farm.press("counter-03", "next")              # press and release, as a finger would
    farm.wait(lambda: board.hal.digits == "C017")
    farm.stop()

`board_config(device, ...)` writes the config.json a provisioned device would carry. Nothing
here re-implements firmware behaviour: a board is `App(cfg, key, SimHal(...))`.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suivant_fw import config as fw_config
from suivant_fw.app import App

from .pty_port import PtyPort
from .rs485_bus import Rs485Bus
from .sim_hal import SimHal

PRESS_MS = 120  # a finger on a button: longer than the 30 ms debounce, shorter than a long press


def board_config(device_id: str, role: str, key: bytes, site: str, counter: int | None = None,
                 broker: tuple[str, int, str] | None = None, serial_address: int | None = None,
                 status_s: int = 60) -> dict[str, Any]:
    """A validated config.json: over MQTT with broker=(host, port, password), else serial."""
    raw: dict[str, Any] = {"schema": 1, "device": device_id, "role": role, "key": key.hex(),
                           "site": site, "timing": {"status_s": status_s}}
    if broker is not None:
        host, port, password = broker
        raw.update(link="mqtt", wifi={"ssid": "simulateur", "password": ""},
                   broker={"host": host, "port": port, "password": password})
    else:
        raw["link"] = "serial"
        raw["serial"] = {"uart": 2, "rs485": True, "address": serial_address} \
            if serial_address else {}
    if counter is not None and role in ("counter", "display"):
        raw["counter"] = counter
    return fw_config.validate(raw)


class VirtualBoard:
    def __init__(self, cfg: dict[str, Any], key: bytes, port: Any = None):
        self.id = cfg["device"]
        self.cfg, self.key = cfg, key  # to power it up again (a reboot: a new boot nonce)
        self.counter = cfg.get("counter")
        self.port = port  # a PtyPort, or a BusTap on an Rs485Bus
        self.hal = SimHal(serial=(port, port) if port is not None else None)
        self.app = App(cfg, key, self.hal)
        self.app.link.log = lambda text: None
        self.task: asyncio.Task[None] | None = None
        # what the board did and heard, for the invariant checks: (boot, seq, kind, fields)
        # of each press or vote it sent, and (boot, seq, result, text) of each ack it took
        self.sent: list[tuple[str, int, str, tuple[str, ...]]] = []
        self.acked: list[tuple[str, int, str, str]] = []
        self.heard: list[tuple[str, int, str, str]] = []  # every ack received, awaited or not
        self._journal()

    def _journal(self) -> None:
        dev = self.app.dev
        add, receive = dev.pending.add, dev.receive

        def add_and_note(now: int, kind: str, fields: tuple[str, ...]) -> Any:
            msg = add(now, kind, fields)
            if msg is not None:
                self.sent.append((msg.boot, msg.seq, kind, tuple(fields)))
            return msg

        def receive_and_note(msg: Any, now: int) -> None:
            awaited = msg.kind == "ack" and any(
                m.boot == msg.boot and m.seq == msg.seq for m in dev.pending.messages())
            receive(msg, now)
            if msg.kind == "ack":
                self.heard.append((msg.boot, msg.seq, msg.fields[0], msg.fields[1]))
            if awaited:
                self.acked.append((msg.boot, msg.seq, msg.fields[0], msg.fields[1]))
        dev.pending.add = add_and_note  # type: ignore[method-assign]
        dev.receive = receive_and_note  # type: ignore[method-assign]

    @property
    def dev(self) -> Any:
        return self.app.dev


class BoardFarm:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.boards: dict[str, VirtualBoard] = {}
        self._thread = threading.Thread(target=self.loop.run_forever, name="boards", daemon=True)

    def start(self) -> BoardFarm:
        self._thread.start()
        return self

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """fn() in the boards' loop (where the boards may be touched), its result here."""
        async def run() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def add(self, cfg: dict[str, Any], key: bytes, serial: bool = False,
            link: Path | None = None, bus: Rs485Bus | None = None) -> VirtualBoard:
        """A board started in the loop. serial=True: on its own pty (board.port.path, and
        `link` a symlink to it); bus: on that RS-485 bus."""
        def make() -> VirtualBoard:
            port = bus.tap() if bus is not None else PtyPort(link) if serial else None
            board = VirtualBoard(cfg, key, port)
            board.task = self.loop.create_task(board.app.run())
            self.boards[board.id] = board
            return board
        return self.call(make)

    def bus(self, link: Path | None = None) -> Rs485Bus:
        """A new RS-485 line (its pump runs in the boards' loop)."""
        return self.call(lambda: Rs485Bus(link))

    def remove(self, device_id: str) -> None:
        """The board loses power: its tasks stop, its sockets close without a goodbye."""
        def kill() -> None:
            board = self.boards.pop(device_id)
            if board.task is not None:
                board.task.cancel()  # App.run cancels its link task, which cancels its reader
            if isinstance(board.port, PtyPort):
                board.port.close()
        self.call(kill)

    def press(self, device_id: str, button: str, hold_ms: int = PRESS_MS) -> None:
        board = self.boards[device_id]
        self.call(lambda: board.hal.press(button))
        time.sleep(hold_ms / 1000)
        self.call(lambda: board.hal.release(button))

    def wait(self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not self.call(condition):
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what or condition}")
            time.sleep(0.01)

    def stop(self) -> None:
        def cancel_all() -> None:
            for task in asyncio.all_tasks(self.loop):
                if task is not asyncio.current_task(self.loop):
                    task.cancel()
        if self._thread.is_alive():
            self.call(cancel_all)
            time.sleep(0.05)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        for board in self.boards.values():
            if isinstance(board.port, PtyPort):
                board.port.close()

