"""The `suivant` command line, run as a user would: `python -m host_bridge.cli ...` in a subprocess."""
from __future__ import annotations

import hashlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bridge_process import site_config_copy
from support import EXAMPLE, ROOT, free_port


CLI = [sys.executable, "-m", "host_bridge.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
STARTUP = 20.0  # seconds a server may take to answer before the test fails


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


class Process:
    """A long-running CLI command whose output lines are collected by two reader threads."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([*CLI, *args], cwd=ROOT, env=ENV, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._new: queue.Queue = queue.Queue()
        self._readers = [threading.Thread(target=self._read, args=(name, getattr(self.proc, name)),
                                          daemon=True) for name in self.lines]
        for t in self._readers:
            t.start()

    def _read(self, name: str, pipe) -> None:
        for line in pipe:
            self.lines[name].append(line.rstrip("\n"))
            self._new.put(None)
        self._new.put(None)

    def output(self, name: str) -> str:
        return "\n".join(self.lines[name])

    def wait_for(self, pattern: str, name: str = "stdout", timeout: float = STARTUP) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.lines[name]):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None and all(not t.is_alive() for t in self._readers):
                pytest.fail(f"exited with {self.proc.returncode} before printing {pattern!r}:\n"
                            f"{self.output('stdout')}\n{self.output('stderr')}")
            if time.monotonic() >= deadline:
                pytest.fail(f"no {pattern!r} on {name} within {timeout} s:\n{self.output(name)}")
            try:
                self._new.get(timeout=0.1)
            except queue.Empty:
                pass

    def wait_healthy(self, base_url: str, timeout: float = STARTUP) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"exited with {self.proc.returncode}:\n{self.output('stderr')}")
            try:
                r = httpx.get(f"{base_url}/api/health", timeout=1.0)
                if r.status_code == 200:
                    return r.json()
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                pytest.fail(f"{base_url}/api/health did not answer within {timeout} s:\n"
                            f"{self.output('stderr')}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Send `sig`; returns the exit code, or None if it had to be SIGKILLed after 10 s."""
        stopped_by_itself = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stopped_by_itself = False
                self.proc.kill()
                self.proc.wait(timeout=10)
        for t in self._readers:
            t.join(timeout=5)
        return self.proc.returncode if stopped_by_itself else None


@pytest.fixture
def spawn() -> Iterator:
    """Start CLI commands in the background; every one is stopped at the end of the test."""
    started: list[Process] = []

    def _spawn(*args: str) -> Process:
        p = Process(*args)
        started.append(p)
        return p

    yield _spawn
    for p in started:
        p.stop()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port somebody else is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


# ----- check-config ----------------------------------------------------------------------------

def test_check_config_on_the_example_exits_0_and_says_valid():
    r = run("check-config", str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout
    assert "Mairie de Villeneuve-sur-Lot" in r.stdout
    assert "4 services, 4 counters, 2 priority categories, 4 staff tokens" in r.stdout
    assert r.stderr == ""


def test_version_says_the_installed_release():
    """Which Suivant runs (§16's upgrade checks it): the package's own version."""
    from importlib.metadata import version
    r = run("--version")
    assert (r.returncode, r.stdout.strip()) == (0, f"suivant {version('suivant')}"), r.stderr


def test_check_config_counts_the_named_accounts_of_the_staff_file_beside_the_database(tmp_path):
    """A site from `suivant init` has its administrator in the staff file, not in [[users]]:
    check-config said "0 staff accounts" there."""
    from host_bridge.cli import demo_accounts
    from host_bridge.site_config import load
    config = tmp_path / "site.toml"
    config.write_text(example_with('path = "mairie.db"', f'path = "{tmp_path / "q.db"}"'),
                      encoding="utf-8")
    assert "named account" not in run("check-config", str(config)).stdout  # no file yet
    demo_accounts(load(config))
    r = run("check-config", str(config))
    assert r.returncode == 0, r.stderr
    assert "4 staff tokens, 4 named accounts" in r.stdout


def example_with(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


BAD_CONFIGS = [
    pytest.param(lambda: example_with("max_recalls = 3", "max_recall = 3"),
                 "rules.max_recall", "unknown key", id="misspelt-key"),
    pytest.param(lambda: example_with("guard_seconds = 2", 'guard_seconds = "two"'),
                 "rules.guard_seconds", "expected int or float, got str", id="wrong-type"),
    pytest.param(lambda: example_with("max_recalls = 3", "max_recalls = 99"),
                 "rules.max_recalls", "0 to 20", id="out-of-range"),
    pytest.param(lambda: example_with('services = ["accueil", "etat-civil"]',
                                      'services = ["accueil", "etat-civile"]'),
                 "counters[0].services[1]", "unknown service 'etat-civile'", id="unknown-service"),
    pytest.param(lambda: example_with('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"'),
                 "site.timezone", "unknown IANA time zone", id="bad-timezone"),
    pytest.param(lambda: example_with('letter = "C"', 'letter = "A"'),
                 "services[1].letter", "used twice", id="duplicate-letter"),
    pytest.param(lambda: example_with('thursday  = ["08:30-12:00", "13:30-19:00"]',
                                      'thursday  = ["08:30-12:00", "19:30-13:00"]'),
                 "hours.thursday", "ends before it starts", id="backwards-hours"),
    pytest.param(lambda: example_with("7a281dacac30cea2f30d7c8f489ab9c046efb0f2215c0e4218c58c182a9c28b4",
                                      "demo-agent"),
                 "users[0].token_sha256", "64 lowercase hex digits", id="clear-text-token"),
    pytest.param(lambda: example_with("[rules]", "[rules"), "-", "not valid TOML", id="toml-syntax"),
    pytest.param(lambda: example_with('answer = "Dans la boîte aux lettres',
                                      'answer = "' + "x" * 2001 + 'Dans la boîte aux lettres'),
                 "services[0].faq[0].answer", "1 to 2000 characters", id="faq-answer-too-long"),
    pytest.param(lambda: example_with('question = "Où déposer', 'question = "' + "x" * 300 + 'Où'),
                 "services[0].faq[0].question", "1 to 300 characters", id="faq-question-too-long"),
    pytest.param(lambda: example_with('  [[services.faq]]\n', '  [[services.faq]]\n  question = '
                                      '"q"\n  answer = "a"\n  [[services.faq]]\n' * 50),
                 "services[0].faq", "50 at most per service", id="faq-too-many"),
    pytest.param(lambda: "[site]\nid = \"mairie\"\nname = \"Mairie\"\n", "services", "missing",
                 id="no-services"),
    pytest.param(lambda: example_with("counters = [1]  ", "counters = [1, 9]"),
                 "questions", "unknown counter 9", id="questions-unknown-counter"),
    pytest.param(lambda: example_with("answer_within_minutes = 10", "answer_within_minutes = 0"),
                 "questions", "1 to 120", id="questions-minutes-out-of-range"),
    pytest.param(lambda: example_with("answer_within_minutes = 10", "answer_within = 10"),
                 "questions", "unknown key 'answer_within'", id="questions-unknown-key"),
]


@pytest.mark.parametrize("make_text, key, reason", BAD_CONFIGS)
def test_check_config_on_a_bad_file_fails_with_one_line_naming_file_key_and_reason(
        tmp_path, make_text, key, reason):
    bad = tmp_path / "site.toml"
    bad.write_text(make_text(), encoding="utf-8")
    r = run("check-config", str(bad))
    assert r.returncode != 0
    assert "valid —" not in r.stdout
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"{bad}: {key}: " in lines[0], lines[0]
    assert reason in lines[0], lines[0]


def test_check_config_on_a_missing_file_fails_with_one_line(tmp_path):
    missing = tmp_path / "nowhere.toml"
    r = run("check-config", str(missing))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "cannot read" in lines[0]


def test_check_config_on_a_file_that_is_not_utf8_fails_with_one_line(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("latin-1", "replace"))
    r = run("check-config", str(bad))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "UTF-8" in lines[0]


# ----- arguments and help ----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["serve", "check-config", "demo", "hash-token"])
def test_every_subcommand_has_a_help(command):
    r = run(command, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: suivant {command}")
    assert "-h, --help" in r.stdout


def test_the_top_level_help_lists_every_subcommand():
    r = run("--help")
    assert r.returncode == 0
    for command in ("serve", "check-config", "demo", "hash-token"):
        assert command in r.stdout


def test_no_subcommand_is_a_usage_error():
    r = run()
    assert r.returncode == 2
    assert "usage: suivant" in r.stderr


@pytest.mark.parametrize("port, reason", [("abc", "not a port number"), ("70000", "0 to 65535"),
                                          ("-1", "0 to 65535"), ("", "not a port number")])
def test_serve_with_a_bad_port_argument_is_an_argparse_error(tmp_path, port, reason):
    r = run("serve", "--config", str(EXAMPLE), "--db", str(tmp_path / "q.db"), "--port", port)
    assert r.returncode == 2
    assert "usage: suivant serve" in r.stderr
    assert "argument --port" in r.stderr and reason in r.stderr
    assert not (tmp_path / "q.db").exists()


@pytest.mark.parametrize("pace, reason", [("fast", "not a number"), ("0", "0.1 to 1000"),
                                          ("5000", "0.1 to 1000"), ("nan", "0.1 to 1000")])
def test_demo_with_a_bad_pace_is_an_argparse_error(pace, reason):
    r = run("demo", "--pace", pace)
    assert r.returncode == 2
    assert "argument --pace" in r.stderr and reason in r.stderr


def test_serve_without_a_config_is_an_argparse_error():
    r = run("serve")
    assert r.returncode == 2
    assert "--config" in r.stderr


def test_serve_on_a_port_already_in_use_says_so_and_exits_non_zero(tmp_path, taken_port):
    db = tmp_path / "q.db"
    r = run("serve", "--config", str(EXAMPLE), "--db", str(db), "--port", str(taken_port))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"cannot listen on 127.0.0.1:{taken_port}" in lines[0]
    assert "in use" in lines[0]
    assert not db.exists(), "serve built its store before finding out it cannot listen"


def test_serve_with_a_bad_config_exits_non_zero_before_listening(tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text(example_with("max_recalls = 3", "max_recall = 3"), encoding="utf-8")
    r = run("serve", "--config", str(bad), "--port", str(free_port()))
    assert r.returncode != 0
    assert "rules.max_recall" in r.stderr and "Traceback" not in r.stderr


# ----- serve and demo --------------------------------------------------------------------------

def test_serve_starts_answers_health_and_stops_gracefully_on_sigterm(spawn, tmp_path):
    port, db = free_port(), tmp_path / "queue.db"
    config = site_config_copy(tmp_path / "site.toml")  # its MQTT broker on a free port
    bridge = spawn("serve", "--config", str(config), "--db", str(db), "--port", str(port))
    health = bridge.wait_healthy(f"http://127.0.0.1:{port}")
    assert health["status"] == "ok"
    assert health["site"] == "mairie-villeneuve"
    assert health["last_seq"] == 1  # the day is started as soon as the bridge is up
    assert f"http://127.0.0.1:{port}/" in bridge.output("stdout")
    assert str(db) in bridge.output("stdout")
    assert db.exists() and (tmp_path / "devices.db").exists()
    assert "embedded broker mqtt://127.0.0.1:" in bridge.output("stdout")
    # uvicorn shuts down gracefully, then lets SIGTERM end the process as it would have
    assert bridge.stop(signal.SIGTERM) == -signal.SIGTERM
    assert "Traceback" not in bridge.output("stderr")


def test_serve_with_db_elsewhere_serves_the_devices_that_device_add_registered(spawn, tmp_path):
    config = site_config_copy(tmp_path / "site.toml")  # registry: devices.db beside it
    added = run("device", "add", "--config", str(config), "term-2", "--role", "counter",
                "--counter", "2")
    assert added.returncode == 0, added.stderr
    db, port = tmp_path / "elsewhere" / "queue.db", free_port()
    db.parent.mkdir()
    bridge = spawn("serve", "--config", str(config), "--db", str(db), "--port", str(port))
    bridge.wait_healthy(f"http://127.0.0.1:{port}")
    assert f"1 registered ({tmp_path / 'devices.db'})" in bridge.output("stdout")
    assert db.exists() and not (db.parent / "devices.db").exists()  # --db moves the queue only


def test_demo_on_a_taken_port_picks_another_says_so_answers_and_stops_on_ctrl_c(spawn, taken_port):
    demo = spawn("demo", "--no-traffic", "--port", str(taken_port))
    demo.wait_for(rf"port {taken_port} .*taken", name="stderr")
    port = int(demo.wait_for(r"http://127\.0\.0\.1:(\d+)/").group(1))
    assert port != taken_port
    base = f"http://127.0.0.1:{port}"
    assert demo.wait_healthy(base)["site"] == "mairie-villeneuve"

    # the demo is open at any hour and takes its advertised tokens
    r = httpx.post(f"{base}/api/counters/2/open", headers={"Authorization": "Bearer demo-agent"})
    assert r.status_code == 200, r.text
    r = httpx.post(f"{base}/api/tickets", json={"service": "etat-civil"})
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["label"] == "C001"
    r = httpx.post(f"{base}/api/counters/2/next", headers={"Authorization": "Bearer demo-agent"})
    assert r.json()["counter"]["ticket"]["label"] == "C001"

    # « Passeports / CNI » by appointment: the example's citizens booked from now on; the
    # visitor's code, given in the banner, checks in at the kiosk
    booked, code, when = demo.wait_for(
        r"appointments: +(\d+) booked.*« J'ai un rendez-vous »\): (\w+) \((\d\d:\d\d)\)").groups()
    assert demo.wait_healthy(base)["appointments"]["feeds"][0]["appointments"] == int(booked) == 12
    r = httpx.post(f"{base}/api/appointments/check-in", json={"key": code},
                   headers={"Authorization": "Bearer demo-borne"})
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert (ticket["label"], ticket["appointment_at"][11:16]) == ("P001", when)

    # « Ctrl-C stops the demo »: by itself (no SIGKILL needed), as a normal stop
    assert demo.stop(signal.SIGINT) in (0, 130)
    assert "Traceback" not in demo.output("stderr")


def test_the_demo_traffic_works_every_counter_but_the_visitors_and_stops_on_ctrl_c(spawn):
    demo = spawn("demo", "--pace", "300", "--port", str(free_port()),
                 "--desk-port", str(free_port()))
    assert demo.wait_for(r"traffic \(300x life\).* but guichet 1, which is yours")
    base = demo.wait_for(r"bridge for .*: (http://[\d.:]+)/").group(1)
    demo.wait_healthy(base)
    headers = {"Authorization": "Bearer demo-superviseur"}

    def counters() -> dict[int, dict]:
        r = httpx.get(f"{base}/api/counters", headers=headers)
        assert r.status_code == 200, r.text
        return {k["number"]: k for k in r.json()["counters"]}
    deadline = time.monotonic() + 60
    served: set[int] = set()
    while time.monotonic() < deadline and served != {2, 3, 4}:
        served |= {n for n, k in counters().items() if k.get("ticket")}
        time.sleep(0.2)
    assert served == {2, 3, 4}, counters()  # the agents opened them and called citizens
    assert counters()[1]["status"] == "closed"  # the visitor's counter: untouched
    assert demo.stop(signal.SIGINT) in (0, 130)
    assert "Traceback" not in demo.output("stderr")


# ----- hash-token ------------------------------------------------------------------------------

def test_hash_token_prints_the_sha256_of_the_given_token():
    r = run("hash-token", "abc")
    assert r.returncode == 0
    assert hashlib.sha256(b"abc").hexdigest() in r.stdout
    assert "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in r.stdout
    assert "token:" not in r.stdout.replace("token_sha256:", "")


def test_hash_token_without_a_token_makes_one_and_prints_its_sha256():
    r = run("hash-token")
    assert r.returncode == 0
    token = re.search(r"^token:\s+(\S+)", r.stdout, re.M).group(1)
    digest = re.search(r"^token_sha256:\s+([0-9a-f]{64})", r.stdout, re.M).group(1)
    assert len(token) >= 24
    assert hashlib.sha256(token.encode()).hexdigest() == digest
    assert run("hash-token").stdout != r.stdout  # a new token every time


def test_the_example_tokens_are_the_hashes_of_the_demo_tokens():
    text = EXAMPLE.read_text(encoding="utf-8")
    for token in ("demo-agent", "demo-superviseur", "demo-admin"):
        digest = re.search(r"[0-9a-f]{64}", run("hash-token", token).stdout).group(0)
        assert digest in text, token
