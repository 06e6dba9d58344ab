"""A real `suivant serve` in a subprocess: the accelerated day, the benchmarks and the tests
that need a bridge process (a crash is a SIGKILL to it).

    bridge = BridgeProcess(config, folder / "queue.db")     # a free port is chosen
    bridge.start()                                           # returns once /api/health answers
    bridge.kill()                                            # SIGKILL: a crash, nothing flushed
    bridge.start(port=free_port())                           # same db (see start() on ports)
    bridge.stop()                                            # SIGTERM, then SIGKILL if stuck

`extra` adds arguments to `serve` (the accelerated day's --sim-start/--sim-speed/--sim-epoch).
Only the standard library is used here, so any client fits.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class BridgeNotReady(RuntimeError):
    pass


class BridgeProcess:
    """One bridge subprocess on a fixed port and database; start() again after kill() or stop()."""

    def __init__(self, config_path: str | Path, db_path: str | Path, port: int | None = None,
                 host: str = "127.0.0.1", log_path: str | Path | None = None,
                 extra: tuple[str, ...] = ()):
        self.config_path, self.db_path = Path(config_path), Path(db_path)
        self.extra = extra
        self.host, self.port = host, port or free_port(host)
        self.log_path = Path(log_path) if log_path else self.db_path.with_suffix(".bridge.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "host_bridge.cli", "serve", "--config", str(self.config_path),
                "--host", self.host, "--port", str(self.port), "--db", str(self.db_path),
                *self.extra]

    def start(self, timeout: float = 30.0, port: int | None = None) -> dict:
        """Launch the bridge (on `port` if given, else the current one) and return its health
        answer once GET /api/health answers 200. Raises BridgeNotReady, with the end of the
        bridge's log, if it exits first or does not answer in `timeout` seconds.

        After kill() under load, pass a new port (free_port()): `suivant serve` refuses a port
        that sockets of the killed process still hold in TIME_WAIT, for about a minute (see
        test_crash_recovery.py::test_restart_on_the_same_port_right_after_a_kill).
        """
        if self.running:
            raise RuntimeError(f"bridge already running (pid {self.pid})")
        if port is not None:
            self.port = port
        self._launch()
        try:
            return self.wait_healthy(timeout)
        except BridgeNotReady:
            self.kill()
            raise

    def restart(self, timeout: float = 30.0, port: int | None = None) -> dict:
        """kill() if running, then start() on the same database."""
        self.kill()
        return self.start(timeout, port)

    def _launch(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts + 1}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def health(self, timeout: float = 2.0) -> dict | None:
        """The health answer, or None when the bridge does not answer (yet)."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/health", timeout=timeout) as resp:
                if resp.status == 200:
                    return json.loads(resp.read())
        except (OSError, ValueError):  # refused, reset, timed out, half-written answer
            return None
        return None

    def wait_healthy(self, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise BridgeNotReady(f"bridge exited with code {self.proc.returncode} before "
                                     f"answering:\n{self.log_tail()}")
            answer = self.health(timeout=1.0)
            if answer is not None:
                return answer
            if time.monotonic() >= deadline:
                raise BridgeNotReady(f"no answer from {self.url}/api/health in {timeout:.0f} s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut of the process would: no cleanup runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (uvicorn's graceful stop), SIGKILL if it lingers; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> BridgeProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
