"""`suivant demo` as a subprocess for the page tests: its API and desk view addresses, staff
calls with the demo's agent token (or another: `token=`); stopped with Ctrl-C as a person would."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from support import ROOT, free_port

ENV = {**os.environ, "PYTHONUNBUFFERED": "1",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


class Demo:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "host_bridge.cli", "demo", "--no-traffic",
             "--port", str(free_port()), "--desk-port", str(free_port())],
            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.api = self.desk = ""
        deadline = time.monotonic() + 60
        lines = []
        while not (self.api and self.desk):
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if not line and self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the demo did not start:\n" + "".join(lines))
            if m := re.search(r"bridge for .*: (http://[\d.:]+)/", line):
                self.api = m.group(1)
            if m := re.search(r"desk view .*: (http://[\d.:]+)/", line):
                self.desk = m.group(1)
        self.output = lines  # the rest is read as it comes: a full pipe would stall the demo
        threading.Thread(target=lambda: lines.extend(self.proc.stdout), daemon=True).start()  # type: ignore[arg-type]
        while True:  # the banner comes before the HTTP server listens
            try:
                urllib.request.urlopen(self.api + "/api/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def post(self, path: str, body: dict | None = None, token: str = "demo-agent",
             method: str = "POST") -> dict:
        req = urllib.request.Request(self.api + path, method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def get(self, path: str, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        req = urllib.request.Request(self.api + path, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def demo() -> Iterator[Demo]:
    d = Demo()
    yield d
    d.stop()
