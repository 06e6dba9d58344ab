"""The simulated board that mpremote talks to (simulators/repl_board.py): real MicroPython (the
webassembly port) behind a real pty, driven by the real mpremote — its command line and its
transport — as a technician's laptop would drive an ESP32."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mpremote.transport_serial import SerialTransport

from simulators.repl_board import ReplBoard

MPREMOTE = [sys.executable, "-m", "mpremote"]


def mpremote(board: ReplBoard, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MPREMOTE, "connect", board.path, *args], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def board(tmp_path: Path) -> Iterator[ReplBoard]:
    with ReplBoard(tmp_path / "flash") as b:
        yield b


def test_mpremote_copies_lists_runs_and_removes_files(board: ReplBoard, tmp_path: Path):
    (tmp_path / "hello.py").write_text("print('bonjour depuis la carte')\n")
    done = mpremote(board, "fs", "cp", str(tmp_path / "hello.py"), ":hello.py", "+",
                    "fs", "mkdir", ":lib", "+", "fs", "cp", str(tmp_path / "hello.py"),
                    ":lib/h.py", "+", "fs", "ls", "+", "exec", "import hello")
    assert done.returncode == 0, done.stderr
    assert "hello.py" in done.stdout and "lib/" in done.stdout
    assert "bonjour depuis la carte" in done.stdout
    assert (board.flash / "hello.py").read_text() == "print('bonjour depuis la carte')\n"
    assert (board.flash / "lib" / "h.py").exists()
    listing = mpremote(board, "fs", "ls", ":lib")
    size = (tmp_path / "hello.py").stat().st_size
    assert f"{size} h.py" in " ".join(listing.stdout.split())  # sizes, as a board lists them
    gone = mpremote(board, "fs", "rm", ":hello.py", "+", "fs", "ls")
    assert gone.returncode == 0 and gone.stdout.split("ls :")[1].split() == ["0", "lib/"]
    assert not (board.flash / "hello.py").exists()


def test_the_flash_survives_a_soft_reset_and_a_power_cycle(tmp_path: Path):
    flash = tmp_path / "flash"
    with ReplBoard(flash) as board:
        assert mpremote(board, "exec", "open('data.txt', 'w').write('gardé')").returncode == 0
        assert mpremote(board, "soft-reset").returncode == 0
        again = mpremote(board, "exec", "print(open('data.txt').read())")
        assert "gardé" in again.stdout
    with ReplBoard(flash) as board:  # unplugged and plugged in again
        assert "gardé" in mpremote(board, "exec", "print(open('data.txt').read())").stdout


def test_soft_reset_restarts_the_interpreter_and_runs_boot_py(board: ReplBoard):
    (board.flash / "boot.py").write_text("print('boot.py ici')\n")
    transport = SerialTransport(board.path)
    try:
        transport.enter_raw_repl(soft_reset=False)
        transport.exec("x = 42")
        assert transport.eval("x") == 42
        seen = []
        transport.serial.write(b"\x04")  # Ctrl-D in the raw REPL: a soft reset
        seen.append(transport.read_until(1, b"soft reboot\r\n", timeout_overall=10))
        seen.append(transport.read_until(1, b"raw REPL; CTRL-B to exit\r\n", timeout_overall=10))
        assert seen[0].endswith(b"soft reboot\r\n")
        assert b"boot.py ici" in seen[1]
        assert transport.eval("'x' in globals()") is False  # a new interpreter
    finally:
        transport.close()


def test_raw_paste_is_refused_so_mpremote_uses_the_plain_raw_repl(board: ReplBoard):
    transport = SerialTransport(board.path)
    try:
        transport.enter_raw_repl(soft_reset=False)
        assert transport.use_raw_paste
        transport.exec("y = 1 + 1")
        assert transport.use_raw_paste is False  # the board answered R\x00: fallback taken
        assert transport.eval("y") == 2
    finally:
        transport.close()


def test_a_full_flash_refuses_a_file_as_a_board_does(tmp_path: Path):
    with ReplBoard(tmp_path / "flash", capacity=8192) as board:
        big = tmp_path / "big.bin"
        big.write_bytes(b"x" * 20000)
        done = mpremote(board, "fs", "cp", str(big), ":big.bin")
        assert done.returncode != 0
        stat = mpremote(board, "exec", "import os; s = os.statvfs('/'); print(s[0] * s[2])")
        assert stat.stdout.strip() == "8192"
    assert (tmp_path / "flash" / "big.bin").stat().st_size < 20000


def test_the_esp32_modules_are_there_without_files(board: ReplBoard):
    done = mpremote(board, "exec", "import machine, network, os; "
                    "print(machine.Pin(2).value(), network.STA_IF, os.listdir())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0", "[]"]  # nothing on the flash but what we put
