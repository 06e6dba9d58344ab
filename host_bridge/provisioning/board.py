"""A MicroPython board on a serial port, through mpremote's transport: what the provisioning
commands need of it, with errors a technician can act on.

    with Board.connect("/dev/ttyUSB0") as board:
        board.info()                       # implementation, version, mpy, free memory and flash
        board.hashes(["main.py", ...])     # path -> sha256 hex, None when missing
        board.write_all({"main.py": b"..."}, progress)   # every file or none (temp, rename)
        board.read("config.json")

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
TEMP = ".new"  # files are written as <name>.new, then renamed over the old one
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
    def write_all(self, files: dict[str, bytes],
                  progress: Callable[[str, int, int], None] | None = None) -> None:
        """Write every file as <path>.new, then rename them all into place. If a write fails
        (a full flash) the .new files are removed: the board keeps what it had."""
        written: list[str] = []
        try:
            for path, data in files.items():
                self._mkdirs(path)
                tmp = path + TEMP
                written.append(tmp)
                self.transport.fs_writefile(
                    tmp, data, chunk_size=CHUNK,
                    progress_callback=(lambda done, total, p=path: progress(p, done, total))
                    if progress else None)
                if progress and not data:
                    progress(path, 0, 0)
        except (OSError, TransportError) as exc:
            self._remove_quietly(written)
            if _no_space(exc):
                raise ProvisioningError("the board's flash is full: nothing was changed "
                                        "(free some space, or erase it with mpremote)") from None
            raise ProvisioningError(f"writing to the board failed, nothing was changed: "
                                    f"{_reason(exc)}") from None
        try:
            self.transport.exec("import os\n" + "".join(
                f"os.rename({p + TEMP!r}, {p!r})\n" for p in files))
        except TransportError as exc:
            raise ProvisioningError(f"renaming the new files into place failed: "
                                    f"{_reason(exc)}") from None

    def remove(self, paths: list[str]) -> None:
        if paths:
            self._remove_quietly(paths)

    def _remove_quietly(self, paths: list[str]) -> None:
        try:
            self.transport.exec("import os\n" + "".join(
                f"try:\n os.remove({p!r})\nexcept OSError:\n pass\n" for p in paths))
        except (TransportError, serial.SerialException, OSError):
            pass

    def _mkdirs(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            self.transport.exec(f"import os\ntry:\n os.mkdir({folder!r})\nexcept OSError:\n pass")

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
