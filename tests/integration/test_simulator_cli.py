"""`python -m simulators` against a running `suivant serve`: it registers boards, runs them on
the bridge's embedded broker, and an agent's call over HTTP reaches their displays; bad
arguments are refused with a clear message."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

from bridge_process import BridgeProcess, site_config_copy
from support import ROOT

SIM = [sys.executable, "-m", "simulators"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def post(url: str, token: str = "demo-agent") -> dict:
    req = urllib.request.Request(url, method="POST", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_simulated_boards_join_a_running_bridge_and_show_its_calls(tmp_path):
    config = site_config_copy(tmp_path / "site.toml")
    bridge = BridgeProcess(config, tmp_path / "queue.db")
    bridge.start()
    sim = subprocess.Popen([*SIM, "--config", str(config), "--add", "counter:2",
                            "--add", "display:2", "--add", "hall", "--every", "0.5",
                            "--seconds", "8"], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)  # the boards connect and say hello
        post(f"{bridge.url}/api/counters/2/open")
        ticket = urllib.request.Request(f"{bridge.url}/api/tickets", method="POST",
                                        data=b'{"service": "etat-civil"}',
                                        headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(ticket, timeout=10) as r:
            label = json.loads(r.read())["ticket"]["label"]
        post(f"{bridge.url}/api/counters/2/next")
        out, err = sim.communicate(timeout=60)
    finally:
        if sim.poll() is None:
            sim.kill()
        bridge.stop()
    assert sim.returncode == 0, err
    assert "registered sim-counter-2" in out and "3 virtual boards" in out
    last = out.strip().split("\n\n")[-1]
    assert f"sim-display-2    display  [    {label}] link=online" in last, last
    assert f"{label}>2" in last  # the hall's newest line
    assert "sim-counter-2    counter  [" in last and "led=online" in last


def test_bad_arguments_are_refused_clearly(tmp_path):
    config = site_config_copy(tmp_path / "site.toml")
    for args, message in ((["--add", "printer"], "role is one of"),
                          (["--add", "counter:x"], "counter must be a number"),
                          (["--broker", "nowhere"], "HOST:PORT"),
                          (["--only", "nobody"], "not registered: nobody"),
                          ([], "no device to run")):
        done = subprocess.run([*SIM, "--config", str(config), *args], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    done = subprocess.run([*SIM, "--config", str(config), "--add", "counter:99"], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no counter 99" in done.stderr
