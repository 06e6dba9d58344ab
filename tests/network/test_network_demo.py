"""python -m simulators.network_demo as a user runs it: PostgreSQL, NATS, central and the sites
started from nothing, each site's events and state reaching central, and Ctrl-C leaving no
process and no folder behind."""
from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from support import ROOT, free_port

START_S = 60  # two cores shared with other tests: the demo itself starts in about 10 s


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time): the start time tells a pid reused from the one seen."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] != "Z":  # a zombie is gone but for its exit status
            out[int(entry)] = (int(fields[1]), fields[19])
    return out


def _descendants(pid: int) -> dict[int, str]:
    table = _processes()
    found: dict[int, str] = {}
    parents = {pid}
    while True:
        children = {p: start for p, (ppid, start) in table.items()
                    if ppid in parents and p not in found}
        if not children:
            return found
        found.update(children)
        parents = set(children)


def _run(*args: str, session: bool = False) -> subprocess.Popen[str]:
    """session: in a process group of its own, as a terminal's foreground job is."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "simulators.network_demo", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=session)


def _left(running: dict[int, str], timeout: float = 0.0) -> dict[int, str]:
    """Those of `running` still running (after up to `timeout` seconds)."""
    end = time.monotonic() + timeout
    while True:
        left = {p: s for p, (_, s) in _processes().items() if running.get(p) == s}
        if not left or time.monotonic() >= end:
            return left
        time.sleep(0.1)


def _databases(pg) -> set[str]:
    with psycopg.connect(pg.dsn) as conn:
        return {name for name, in conn.execute("SELECT datname FROM pg_database").fetchall()}


def _banner(demo: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    seen = []
    end = time.monotonic() + START_S
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if "Ctrl-C stops everything" in line:
            return "".join(seen)
    raise AssertionError(f"no banner from the demo:\n{''.join(seen)}")


@pytest.mark.slow
def test_two_sites_reach_central_and_ctrl_c_stops_every_process(tmp_path):
    demo = _run("--sites", "2", "--port", str(free_port()), "--pace", "30")
    try:
        banner = _banner(demo)
        dsn = re.search(r'psql "([^"]+)"', banner)[1]
        folder = Path(re.search(r"files in (\S+)\)", banner)[1])
        assert "/central/" in banner and "/api/central/health" in banner
        assert "mairie-nord" in banner and "mairie-sud" in banner
        assert "france-services-est" not in banner  # --sites 2
        # each site's events and its state (3 counters opened by the agents) reach central
        end = time.monotonic() + 30
        while True:
            with psycopg.connect(dsn, connect_timeout=5) as conn:
                events = dict(conn.execute(
                    "SELECT site, count(*) FROM events GROUP BY site").fetchall())
                states = dict(conn.execute(
                    "SELECT site, (state->'now'->>'open_counters')::int FROM states").fetchall())
            if set(events) == set(states) == {"mairie-nord", "mairie-sud"} and \
                    min(events.values()) >= 5 and min(states.values()) >= 1:
                break
            assert time.monotonic() < end, (events, states)
            time.sleep(0.3)
        running = _descendants(demo.pid)
        # PostgreSQL (and its workers), NATS, central and the two bridges at least
        assert len(running) >= 5, running
    except BaseException:
        demo.kill()
        raise
    demo.send_signal(signal.SIGINT)  # to the demo alone: it stops each of its programs
    assert demo.wait(30) == 0
    assert _left(running) == {}, "still running after SIGINT"
    assert not folder.exists()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "kill-9"])
def test_a_terminal_ctrl_c_or_a_kill_9_of_the_demo_leaves_no_process(how, pg):
    """Ctrl-C in a terminal reaches the whole foreground group, the demo's programs too, at
    the same time; kill -9 reaches the demo alone, which cannot clean up: the kernel then gives
    each of its programs its stop signal. The Ctrl-C run is on a PostgreSQL server of the
    test's (--postgres): the demo's database is made there, and dropped when it stops."""
    server = ("--postgres", pg.dsn) if how == "ctrl-c" else ()
    demo = _run("--sites", "1", "--port", str(free_port()), *server, session=True)
    try:
        banner = _banner(demo)
        folder = Path(re.search(r"files in (\S+)\)", banner)[1])
        database = re.search(r"dbname=(\w+)", banner)[1]
        running = _descendants(demo.pid)
        assert len(running) >= (3 if server else 4), running  # (PostgreSQL), NATS, central, site
    except BaseException:
        os.killpg(demo.pid, signal.SIGKILL)
        raise
    if how == "ctrl-c":
        assert database.startswith("suivant_demo_") and database in _databases(pg)
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(30) == 0
        assert _left(running) == {}
        assert not folder.exists()
        assert database not in _databases(pg)
    else:
        demo.kill()
        demo.wait(10)
        try:
            assert _left(running, timeout=20) == {}
        finally:
            for pid in _left(running):
                os.kill(pid, signal.SIGKILL)
            shutil.rmtree(folder, ignore_errors=True)


def test_bad_arguments_are_refused_before_anything_starts(capsys):
    from simulators.network_demo import main
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("suivant-network-demo-*"))
    for args, said in ((["--sites", "11"], "sites must be 1 to 10"),
                       (["--sites", "0"], "sites must be 1 to 10"),
                       (["--sites", "two"], "not a whole number"),
                       (["--port", "70000"], "port must be 1 to 65535"),
                       (["--pace", "0"], "pace must be 0.1 to 1000")):
        with pytest.raises(SystemExit) as exit:
            main(args)
        assert exit.value.code == 2 and said in capsys.readouterr().err, args
    assert set(temp.glob("suivant-network-demo-*")) == before


def test_an_unreachable_postgres_server_is_said_and_nothing_is_left(tmp_path):
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("suivant-network-demo-*"))
    demo = _run("--sites", "1", "--postgres",
                f"host=127.0.0.1 port={free_port()} user=nobody dbname=x connect_timeout=3")
    out, _ = demo.communicate(timeout=60)
    assert demo.returncode == 1
    assert "--postgres: cannot create a demo database on that server" in out, out
    assert set(temp.glob("suivant-network-demo-*")) == before
