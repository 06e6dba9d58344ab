"""A real Mosquitto broker for a test: its own config, on a free loopback port, restartable.

    with MosquittoBroker() as broker:              # starts it; stops it and cleans up at the end
        broker.port
        broker.restart()                           # same port, same config: a broker reboot
        broker.stop(); broker.start()

    MosquittoBroker(files={"passwd": text, "acl": text},
                    extra="allow_anonymous false\npassword_file {folder}/passwd\n")

`extra` adds config lines ({folder} is the broker's folder); `files` are written there first.
Started as root, mosquitto drops to the `mosquitto` user, which must be able to read them:
the folder is a fresh one under the system's temp folder (not pytest's, which is private to
root), world-readable. A missing binary fails the test with how to install it: CI has it
(Debian's `mosquitto` package), and a test that needs a broker must not pass without one.

On the files `suivant broker-config` writes, as a site runs them:

    broker = MosquittoBroker()                     # its folder and port, not started
    ... suivant broker-config --out broker.folder / "suivant" --port broker.port
            --pid-file broker.pid_file ...
    broker.use_generated(broker.folder / "suivant" / "mosquitto.conf")
    broker.start(); broker.reload()                # SIGHUP, as the device commands send it
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support import free_port

BINARY = shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                       if os.path.exists("/usr/sbin/mosquitto") else None)


class MosquittoBroker:
    def __init__(self, extra: str = "", files: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        if BINARY is None:
            pytest.fail("no `mosquitto` binary: install Debian's `mosquitto` package "
                        "(apt-get install mosquitto); the MQTT tests need a real broker",
                        pytrace=False)
        folder = self.folder = Path(tempfile.mkdtemp(prefix="suivant-mosquitto-"))
        for name, text in (files or {}).items():
            (folder / name).write_text(text)
        extra = extra.replace("{folder}", str(folder))
        self.port = port or free_port()
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        self.config.write_text(f"listener {self.port} 127.0.0.1\n"
                               f"set_tcp_nodelay true\n"  # as broker-config writes it
                               f"max_queued_messages 10000\n"
                               f"persistence false\n"
                               f"log_dest stdout\n"
                               f"log_type all\n"
                               + (extra if extra else "allow_anonymous true\n"))
        for path in (folder, *folder.iterdir()):
            path.chmod(path.stat().st_mode | 0o755 if path.is_dir() else 0o644)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.folder / "run" / "mosquitto.pid"

    def use_generated(self, conf: Path) -> None:
        """Run on the mosquitto.conf broker-config wrote, with the passwd and acl beside it:
        its lines as they are, but the listener on loopback at this broker's port, and a pid
        file (for the reload the device commands send). Its folder is given to the mosquitto
        group, as operations.md tells the technician."""
        lines = [line for line in conf.read_text().splitlines()
                 if not line.startswith("listener ")]
        self.pid_file.parent.mkdir(exist_ok=True)
        _give_to_broker(self.pid_file.parent, writable=True)
        _give_to_broker(conf.parent)
        self.config.write_text(f"listener {self.port} 127.0.0.1\n"
                               f"persistence false\n"
                               f"log_dest stdout\n"
                               f"log_type all\n"
                               f"pid_file {self.pid_file}\n" + "\n".join(lines) + "\n")

    def reload(self) -> None:
        """SIGHUP: Mosquitto rereads its password file and ACL."""
        assert self.process is not None and self.process.poll() is None
        self.process.send_signal(signal.SIGHUP)

    def start(self, timeout: float = 10.0) -> None:
        log = open(self.log, "ab")
        self.process = subprocess.Popen([BINARY, "-c", str(self.config)], stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited {self.process.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port} in {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _give_to_broker(folder: Path, writable: bool = False) -> None:
    """Run as root, Mosquitto reads its files as the `mosquitto` user: the folder (and what is
    in it) goes to its group (owner too if Mosquitto writes there: its pid file). Run as
    another user, Mosquitto is that user: nothing to do."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam("mosquitto")
    except KeyError:  # Mosquitto runs as nobody then: open the folder to everyone
        folder.chmod(0o777 if writable else 0o755)
        return
    gid = grp.getgrgid(user.pw_gid).gr_gid
    os.chown(folder, user.pw_uid if writable else -1, gid)
    folder.chmod(0o750)
    for path in folder.iterdir():
        os.chown(path, -1, gid)


class EmbeddedStandIn:
    """The bridge's own embedded broker (amqtt) with MosquittoBroker's test interface: the
    link tests run on it where no `mosquitto` binary is installed (never on CI)."""

    def __init__(self) -> None:
        from host_bridge.links.embedded_broker import EmbeddedBroker
        self.port = free_port()
        self._broker = EmbeddedBroker("127.0.0.1", self.port)
        self.process = None

    def start(self) -> None:
        self._broker.start()

    def stop(self) -> None:
        self._broker.stop()

    def restart(self) -> None:
        from host_bridge.links.embedded_broker import EmbeddedBroker
        self.stop()
        self._broker = EmbeddedBroker("127.0.0.1", self.port)
        self.start()

    def __enter__(self) -> EmbeddedStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def any_broker() -> MosquittoBroker | EmbeddedStandIn:
    """Mosquitto where it is installed (always on CI: CI=true makes its absence a failure);
    elsewhere the embedded broker, and a warning that says so. SUIVANT_TEST_BROKER=embedded
    picks the embedded one anyway (to check the bridge's own broker)."""
    forced = os.environ.get("SUIVANT_TEST_BROKER") == "embedded"
    if forced or (BINARY is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes")):
        import warnings
        warnings.warn("these link tests ran on the embedded amqtt broker, not Mosquitto ("
                      + ("SUIVANT_TEST_BROKER=embedded" if forced else "no `mosquitto` binary")
                      + "; CI runs them on Mosquitto)", stacklevel=2)
        return EmbeddedStandIn()
    return MosquittoBroker()
