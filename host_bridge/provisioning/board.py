"""A MicroPython board on a serial port, through mpremote's transport: what the provisioning
commands need of it, with errors a technician can act on.

    with Board.connect("/dev/ttyUSB0") as board:
        board.info()                       # implementation, version, mpy, free memory and flash
        board.hashes(["main.py", ...])     # path -> sha256 hex, None when missing
        board.write_file("config.json", b"...", progress)   # whole or not at all (temp, rename)
        board.read("config.json")
        board.reset()                      # machine.reset(): it boots the firmware

A firmware package is installed by swap.install (a folder swap, not file by file).

Every refusal is a ProvisioningError whose message says what to do.
"""
from __future__ import annotations

import ast
import errno
from collections.abc import Callable
from typing import Any

import serial
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

CHUNK = 2048  # bytes per raw-REPL write: fewer round trips than mpremote's default 256
TEMP = ".new"  # a file is written as <name>.new, then renamed over the old one
NO_SPACE = (errno.ENOSPC, 51)  # 51: Emscripten's ENOSPC (the simulated board's files)


class ProvisioningError(Exception):
    """A refusal to print for the technician: the board is left as it was."""


class Board:
    def __init__(self, transport: SerialTransport, port: str):
        self.transport = transport
        self.port = port

    @classmethod
    def connect(cls, port: str, timeout: float = 5.0) -> Board:
        try:
            transport = SerialTransport(port, baudrate=115200)
        except (TransportError, serial.SerialException, OSError) as exc:
            raise ProvisioningError(f"cannot open {port}: {_reason(exc)} — is it the board's "
                                    "serial port (ls /dev/serial/by-id/)?") from None
        board = cls(transport, port)
        try:
            transport.enter_raw_repl(soft_reset=False, timeout_overall=timeout)
        except (TransportError, serial.SerialException, OSError):
            board.close()
            raise ProvisioningError(
                f"nothing on {port} answers as a MicroPython board (no raw REPL within "
                f"{timeout:g} s): is the board plugged in and running MicroPython? A board "
                "without MicroPython needs it first (docs/operations.md, esptool)") from None
        return board

    def close(self) -> None:
        try:
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
        except (TransportError, serial.SerialException, OSError):
            pass
        self.transport.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------
    def eval(self, expression: str, setup: str = "") -> Any:
        """The Python literal `expression` evaluates to on the board."""
        try:
            if setup:
                self.transport.exec(setup)
            text = self.transport.eval(f"repr({expression})", parse=False)
        except TransportExecError as exc:
            raise ProvisioningError(f"the board refused: {_last_line(exc)}") from None
        except (TransportError, serial.SerialException, OSError) as exc:
            raise ProvisioningError(f"lost the board on {self.port}: {_reason(exc)}") from None
        try:
            return ast.literal_eval(text.decode() if isinstance(text, bytes) else text)
        except (ValueError, SyntaxError):
            raise ProvisioningError(f"unexpected answer from the board: {text!r}") from None

    def info(self) -> dict[str, Any]:
        return self.eval(
            "{'name': sys.implementation.name, 'version': sys.implementation.version[:3], "
            "'mpy': sys.implementation._mpy, 'machine': getattr(sys.implementation, "
            "'_machine', ''), 'mem_free': gc.mem_free(), 'flash_free': _fs[0] * _fs[3], "
            "'flash_size': _fs[0] * _fs[2]}",
            "import sys, gc, os\ngc.collect()\n_fs = os.statvfs('/')")

    def hashes(self, paths: list[str]) -> dict[str, str | None]:
        """sha256 (hex) of each file on the board, None for a missing one: one round trip."""
        setup = (
            "import hashlib, binascii\n"
            "def _h(p):\n"
            " try:\n"
            "  f = open(p, 'rb')\n"
            " except OSError:\n"
            "  return None\n"
            " h = hashlib.sha256()\n"
            " b = bytearray(512)\n"
            " while True:\n"
            "  n = f.readinto(b)\n"
            "  if not n:\n"
            "   break\n"
            "  h.update(b[:n])\n"
            " f.close()\n"
            " return binascii.hexlify(h.digest()).decode()\n")
        return self.eval("{p: _h(p) for p in %r}" % (paths,), setup)

    def read(self, path: str) -> bytes | None:
        try:
            return self.transport.fs_readfile(path, chunk_size=CHUNK)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise ProvisioningError(f"cannot read {path} on the board: {exc}") from None
        except TransportError as exc:
            raise ProvisioningError(f"cannot read {path} on the board: {_reason(exc)}") from None

    # -- writing -------------------------------------------------------------------------------
    def run(self, code: str, doing: str) -> None:
        """Run `code` on the board; a failure is a ProvisioningError saying what was `doing`."""
        try:
            self.transport.exec(code)
        except (TransportError, serial.SerialException, OSError) as exc:
            if _no_space(exc):
                raise ProvisioningError(f"{doing}: the board's flash is full") from None
            raise ProvisioningError(f"{doing} failed: {_reason(exc)}") from None

    def send(self, path: str, data: bytes,
             progress: Callable[[str, int, int], None] | None = None,
             label: str | None = None) -> None:
        """Write `path` as is (its folder must exist); progress is shown under `label`."""
        name = label or path
        try:
            self.transport.fs_writefile(
                path, data, chunk_size=CHUNK,
                progress_callback=(lambda done, total: progress(name, done, total))
                if progress else None)
        except (OSError, TransportError, serial.SerialException) as exc:
            if _no_space(exc):
                raise ProvisioningError(f"writing {name}: the board's flash is full") from None
            raise ProvisioningError(f"writing {name} failed: {_reason(exc)}") from None
        if progress and not data:
            progress(name, 0, 0)

    def write_file(self, path: str, data: bytes,
                   progress: Callable[[str, int, int], None] | None = None) -> None:
        """One file replaced whole: written as <path>.new, then renamed over the old one (a
        single rename is atomic on LittleFS). A failed write removes the temp file."""
        tmp = path + TEMP
        try:
            self.send(tmp, data, progress, label=path)
        except ProvisioningError:
            self.remove_tree(tmp)
            raise
        self.run(f"import os\nos.rename({tmp!r}, {path!r})", f"renaming {tmp} to {path}")

    def copy(self, source: str, target: str) -> None:
        """Copy a file on the board (nothing crosses the cable)."""
        self.run("b = bytearray(512)\n"
                 f"with open({source!r}, 'rb') as s, open({target!r}, 'wb') as t:\n"
                 " while True:\n"
                 "  n = s.readinto(b)\n"
                 "  if not n:\n"
                 "   break\n"
                 "  t.write(memoryview(b)[:n])\n"
                 "del b", f"copying {source} to {target}")

    def listdir(self, path: str) -> list[str] | None:
        """The names in a folder on the board, None when there is no such folder."""
        return self.eval("_ls(%r)" % path, "import os\n"
                         "def _ls(p):\n"
                         " try:\n"
                         "  return os.listdir(p)\n"
                         " except OSError:\n"
                         "  return None\n")

    def remove_tree(self, path: str) -> None:
        """Remove a file, or a folder and all it holds; nothing when it is not there."""
        self.run("import os\n"
                 "def _rm(p):\n"
                 " try:\n"
                 "  names = os.listdir(p)\n"
                 " except OSError:\n"
                 "  try:\n"
                 "   os.remove(p)\n"
                 "  except OSError:\n"
                 "   pass\n"
                 "  return\n"
                 " for n in names:\n"
                 "  _rm(p + '/' + n)\n"
                 " os.rmdir(p)\n"
                 f"_rm({path!r})", f"removing {path}")

    def reset(self) -> None:
        """Hard reset, as `mpremote reset` does it: the board boots main.py (the firmware).
        The short sleep lets the raw REPL's OK out before the USB link drops."""
        try:
            self.transport.exec_raw_no_follow(
                "import time, machine; time.sleep_ms(100); machine.reset()")
        except (TransportError, serial.SerialException, OSError) as exc:
            raise ProvisioningError(f"resetting the board failed: {_reason(exc)}; press its "
                                    "EN button (or mpremote reset)") from None
        self.transport.in_raw_repl = False  # it reboots: no Ctrl-B for it on close

    def import_check(self, modules: list[str]) -> None:
        """Import the firmware's modules on the board: they load, with its MicroPython."""
        try:
            self.transport.exec("import " + ", ".join(modules))
        except TransportExecError as exc:
            raise ProvisioningError(f"the firmware does not import on the board: "
                                    f"{_last_line(exc)}") from None


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE
    if isinstance(exc, TransportExecError):
        return _last_line(exc) in {f"OSError: {n}" for n in NO_SPACE} | {"OSError: [Errno 28] ENOSPC"}
    return False


def _last_line(exc: TransportExecError) -> str:
    text = exc.error_output.decode() if isinstance(exc.error_output, bytes) else exc.error_output
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "error"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TransportExecError):
        return _last_line(exc)
    return str(exc) or type(exc).__name__
