"""A simulated MicroPython board that mpremote can talk to: real MicroPython (the webassembly
port, under node) behind a real pty, its flash a folder on disk.

    board = ReplBoard(Path("/tmp/board-1"))      # the folder is the board's flash (kept)
    board.start()
    subprocess.run(["mpremote", "connect", board.path, "fs", "ls"])
    board.stop()

    python -m simulators.repl_board /tmp/board-1   # one by hand: prints the port to use

What a technician's tools see is a board: the REPL and raw REPL, Ctrl-D soft reboot (the
interpreter restarts, the flash stays, `MPY: soft reboot`, boot.py runs), files that stay
across reboots and restarts, a flash that fills up (ENOSPC, and os.statvfs says so), the
ESP32's `machine` and `network` as built-in modules (stand-ins: simulators/board_stubs).
What it cannot do is in repl_board.mjs (no raw-paste: mpremote falls back by itself; main.py
does not run at boot; a running command cannot be interrupted).
"""
from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tempfile
import threading
import tty
from pathlib import Path

from .micropython_port import ensure_micropython, find_node

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "repl_board.mjs"
STUBS = HERE / "board_stubs"
CAPACITY = 1_441_792  # bytes: an ESP32 with 4 MB of flash leaves about 1.4 MB to its files


class ReplBoard:
    def __init__(self, flash: Path, capacity: int = CAPACITY, stubs: Path = STUBS,
                 link: Path | None = None):
        self.flash = Path(flash)
        self.flash.mkdir(parents=True, exist_ok=True)
        self.capacity = capacity
        self.stubs = stubs
        self.link = link
        self.path = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._master = self._slave = -1
        self._spec: Path | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> ReplBoard:
        node = find_node()
        self._spec = Path(tempfile.mkstemp(prefix="suivant-repl-board-", suffix=".json")[1])
        self._spec.write_text(json.dumps({
            "module": str(ensure_micropython()), "flash": str(self.flash.resolve()),
            "board": str(self.stubs.resolve()), "capacity": self.capacity}))
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(self.path)
        self._proc = subprocess.Popen([str(node.node), str(DRIVER), str(self._spec)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
        self._threads = [threading.Thread(target=self._to_board, daemon=True),
                         threading.Thread(target=self._from_board, daemon=True)]
        for t in self._threads:
            t.start()
        return self

    def _to_board(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        while True:
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if not data:
                return
            try:
                self._proc.stdin.write(data)
                self._proc.stdin.flush()
            except (OSError, ValueError):
                return

    def _from_board(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            data = self._proc.stdout.read1(4096)
            if not data:
                return
            try:
                os.write(self._master, data)
            except OSError:
                return

    def stop(self) -> None:
        """Power off: the flash is written back first (the driver syncs it on SIGTERM)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        if self._spec is not None:
            self._spec.unlink(missing_ok=True)

    def __enter__(self) -> ReplBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m simulators.repl_board FLASH_FOLDER", file=sys.stderr)
        return 2
    with ReplBoard(Path(args[0])) as board:
        print(f"a MicroPython board on {board.path} (flash: {args[0]}); Ctrl-C stops it")
        print(f"  try: mpremote connect {board.path} fs ls")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())


