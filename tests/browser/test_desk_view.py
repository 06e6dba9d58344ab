"""The desk view in real headless Chromium, on the real `suivant demo`: clicking « Suivant » on a
terminal makes its counter display and the hall display show the ticket; the keyboard works
too. A screenshot is kept in test-output/desk-view.png for a reviewer."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from chromium import OUTPUT, browser_page
from support import ROOT, free_port

ENV = {**os.environ, "PYTHONUNBUFFERED": "1",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


class Demo:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "host_bridge.cli", "demo", "--no-traffic",
             "--port", str(free_port()), "--desk-port", str(free_port())], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
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
        while True:  # the banner comes before the HTTP server listens
            try:
                urllib.request.urlopen(self.api + "/api/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def post(self, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(self.api + path, method="POST",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer demo-agent"})
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


def label_of(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => e.getAttribute('aria-label')")


def test_clicking_suivant_on_a_terminal_calls_onto_its_display_and_the_hall(demo: Demo):
    demo.post("/api/counters/1/open")
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]["label"]
    with browser_page() as page:
        page.goto(demo.desk + "/")
        page.wait_for_selector('.board[data-id="guichet-1"] .link.online', timeout=15000)
        page.wait_for_function("() => document.querySelector("
                               "'.board[data-id=\"guichet-1\"] .digits').getAttribute("
                               "'aria-label') === '----'", timeout=15000)
        page.click('.board[data-id="guichet-1"] button.next')
        page.wait_for_function(f"() => document.querySelector('.board[data-id=\"ecran-1\"] "
                               f".digits').getAttribute('aria-label') === '{ticket}'",
                               timeout=15000)
        page.wait_for_function(f"() => document.querySelector('.board[data-id=\"salle\"] "
                               f".matrix').getAttribute('aria-label') === '{ticket}>1'",
                               timeout=15000)
        assert label_of(page, '.board[data-id="guichet-1"] .digits') == ticket
        # drawn segment by segment (it blinks after a call: wait for a lit half-period)
        page.wait_for_function("() => document.querySelectorAll('.board[data-id=\"ecran-1\"] "
                               "svg.seg polygon.on').length > 0", timeout=5000)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "desk-view.png"), full_page=True)
        # the keyboard: 1 picks guichet 1's terminal, p is « Pause »
        page.keyboard.press("1")
        page.keyboard.press("p")
        page.wait_for_function("() => document.querySelector('.board[data-id=\"guichet-1\"] "
                               ".digits').getAttribute('aria-label') === 'PAUS'", timeout=15000)
    assert (OUTPUT / "desk-view.png").stat().st_size > 10000
