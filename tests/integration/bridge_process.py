"""A real `suivant serve` in a subprocess, for tests and benchmarks that need a bridge process.

    config = site_config_copy(tmp_path / "site.toml")       # example site, open at any hour
    bridge = BridgeProcess(config, tmp_path / "queue.db")     # a free port is chosen
    bridge.start()                                            # returns once /api/health answers
    httpx.post(f"{bridge.url}/api/tickets", json={"service": "accueil"})
    bridge.kill()                                             # SIGKILL: a crash, nothing flushed
    bridge.start()                                            # same db, same port
    bridge.stop()                                             # SIGTERM, then SIGKILL if stuck

Only the standard library is used here, so any client (httpx, urllib, a load tool) fits.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mairie.toml"

#: rules that make the example site usable by automated runs at any hour and any weekday
ANY_HOUR_RULES = {"refuse_outside_hours": False}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def site_config_copy(dest: str | Path, rules: dict | None = None, source: str | Path = EXAMPLE,
                     store_path: str | None = None) -> Path:
    """Write a copy of `source` to `dest` with keys of its [rules] table replaced (or added).

    `rules` defaults to ANY_HOUR_RULES; pass e.g. {**ANY_HOUR_RULES, "guard_seconds": 0}.
    """
    rules = dict(ANY_HOUR_RULES if rules is None else rules)
    text = Path(source).read_text(encoding="utf-8")
    start = text.index("[rules]")
    following = re.search(r"^\[", text[start + 1:], re.M)
    end = start + 1 + following.start() if following else len(text)
    section = text[start:end]
    for key, value in rules.items():
        line = f"{key} = {_toml_value(value)}"
        section, n = re.subn(rf"^{re.escape(key)}\s*=.*$", line, section, flags=re.M)
        if n == 0:
            section = section.replace("[rules]\n", f"[rules]\n{line}\n", 1)
    text = text[:start] + section + text[end:]
    if store_path is not None:
        text = re.sub(r'^path\s*=.*$', f"path = {json.dumps(store_path)}", text, count=1, flags=re.M)
    dest = Path(dest)
    dest.write_text(text, encoding="utf-8")
    return dest


class BridgeNotReady(RuntimeError):
    pass


class BridgeProcess:
    """One bridge subprocess on a fixed port and database; start() again after kill() or stop()."""

    def __init__(self, config_path: str | Path, db_path: str | Path, port: int | None = None,
                 host: str = "127.0.0.1", log_path: str | Path | None = None):
        self.config_path, self.db_path = Path(config_path), Path(db_path)
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
                "--host", self.host, "--port", str(self.port), "--db", str(self.db_path)]

    def start(self, timeout: float = 30.0) -> None:
        """Launch the bridge and return once GET /api/health answers 200.

        The port may still be held for a moment by the previous process's sockets, so a launch
        that exits at once is retried until `timeout`.
        """
        if self.running:
            raise RuntimeError(f"bridge already running (pid {self.pid})")
        deadline = time.monotonic() + timeout
        while True:
            self._launch()
            try:
                self.wait_healthy(deadline - time.monotonic())
                return
            except BridgeNotReady:
                if self.running or time.monotonic() >= deadline:
                    self.kill()
                    raise
                time.sleep(0.1)  # it exited: most often the port was not released yet

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
