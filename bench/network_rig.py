"""What the network benchmarks share: a durable PostgreSQL, a network (central.toml, the NATS
server with the generated per-site users), central as its own process, real event bodies, and
the CPU of a process tree.

The servers are the tests' (tests/network_servers.py: a free port and a folder each) and the
network is the tests' (tests/network/network_rig.py), with one difference for PostgreSQL: the
tests run it with fsync=off, a benchmark of commits may not.
"""
from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ._common import ROOT

sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "network")]

import network_servers  # noqa: E402
from network_servers import NatsServer, Postgres  # noqa: E402,F401

TICKS = os.sysconf("SC_CLK_TCK")


class DurablePostgres(Postgres):
    """The tests' cluster with PostgreSQL's durable defaults (fsync, synchronous_commit on,
    full_page_writes): what a central's commits cost on this disk."""

    def start(self) -> DurablePostgres:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
            self._user = "postgres"
        if not self.data.exists():
            subprocess.run([network_servers._pg_bin("initdb"), "-D", str(self.data), "-A",
                            "trust", "-U", "suivant", "-E", "UTF8"],
                           check=True, capture_output=True, cwd=self.folder, **self._owner())
        with open(self.log, "ab") as out:
            if self._user:
                os.chown(self.log, pwd.getpwnam("postgres").pw_uid, -1)
            self.process = subprocess.Popen([
                network_servers._pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "max_connections=100", "-c", "shared_buffers=128MB"],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.folder, **self._owner())
        network_servers._wait_port(self.port, self.process, self.log, "postgres")
        self._wait_ready()
        return self


def network(folder: Path, pg: Postgres, sites: list[str], bcrypt_cost: int) -> Any:
    """The tests' Network (central.toml, NATS started on the generated config) with the site
    users' passwords hashed at `bcrypt_cost` (the server checks one hash per connection; the
    generated config's cost is nats_config.BCRYPT_COST)."""
    from host_bridge.central import nats_config
    from network_rig import Network
    cost = nats_config.BCRYPT_COST
    nats_config.BCRYPT_COST = bcrypt_cost
    try:
        return Network(folder, pg, sites)
    finally:
        nats_config.BCRYPT_COST = cost


class CentralProcess:
    """`suivant central serve` on the network's central.toml, its own process."""

    def __init__(self, config_path: Path, log_path: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "host_bridge.cli", "central", "serve", "--config",
             str(config_path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log,
            text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("Suivant central"):
            self.stop()
            raise RuntimeError(f"central did not start: {line!r}; see {log_path}")

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its live children (PostgreSQL's backends), plus the children it
    has reaped."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid:
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICKS
        elif int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def template_events(folder: Path, tickets: int = 600) -> list[tuple[str, dict[str, Any]]]:
    """A day of the example town hall made through the domain (bench.http_latency.fill_day:
    QueueService.execute, as the API calls it) -> its events as (type, fields), in order."""
    import sqlite3

    from .http_latency import fill_day
    path = folder / "template-day.db"
    fill_day(str(path), tickets, seed=14)
    db = sqlite3.connect(path)
    try:
        return [(kind, json.loads(body)) for kind, body in
                db.execute("SELECT type, body FROM events ORDER BY seq")]
    finally:
        db.close()


def site_day_db(folder: Path, name: str, tickets: int) -> tuple[Path, int]:
    """A site's database holding a day of `tickets` tickets (bench.http_latency.fill_day)
    -> (its path, its last sequence number)."""
    import sqlite3

    from .http_latency import fill_day
    path = folder / f"{name}.db"
    fill_day(str(path), tickets, seed=len(name))
    db = sqlite3.connect(path)
    try:
        return path, db.execute("SELECT max(seq) FROM events").fetchone()[0]
    finally:
        db.close()


def wait_until(check: Any, timeout: float, what: str, step: float = 0.05) -> float:
    """Polls `check()` until true -> seconds waited; raises after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not after {timeout:g} s")
        time.sleep(step)
    return time.monotonic() - start
