"""Mosquitto's password file and ACL for a site, from the device registry (protocol.md §7).

Each MQTT device has its own account (user name = device id, its broker password from the
registry) and may publish only its own `up` and `status` and read only its own `down` and
`show`; the bridge has its own account and reads and writes the site's topics. A device that
publishes under another device's name is dropped by the broker (MQTT 3.1.1 has no error for
it); a wrong password is refused at connect.

Passwords are written as Mosquitto 2 stores them: `$7$<iterations>$<salt>$<hash>`, PBKDF2 with
HMAC-SHA512, a 12-byte random salt, both in base64 — what `mosquitto_passwd` writes, made
here so the bridge needs no Mosquitto tools.

The broker's own rules (mosquitto.conf): the client id is the user name
(`use_username_as_clientid`), so no account can take over the bridge's session or a board's by
connecting with its client id; and no packet above MAX_PACKET_BYTES, so no client can make the
broker or the bridge hold a huge message.

When a device is added, removed or rekeyed, `write_accounts` rewrites passwd and acl and
`reload_mosquitto` sends Mosquitto SIGHUP (the pid from its pid file): it rereads them, and
drops the connected clients whose account went or whose password changed (seen with 2.0.11).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..atomic_file import write_atomic
from .registry import Device

ITERATIONS = 101  # mosquitto_passwd's default
_FILES = ("passwd", "acl", "mosquitto.conf")
HEADER = "# Written by `suivant broker-config`."
# A device line is at most 240 bytes (protocol.md §1) and a topic under 100: an MQTT packet
# above this is no device's. Both brokers (Mosquitto's config, the embedded one) refuse it.
MAX_PACKET_BYTES = 1024
DEBIAN_PID_FILE = "/run/mosquitto/mosquitto.pid"  # Debian's mosquitto.conf sets it


def password_line(user: str, password: str, salt: bytes | None = None,
                  iterations: int = ITERATIONS) -> str:
    if ":" in user or not user:
        raise ValueError("a Mosquitto user name is not empty and has no ':'")
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return (f"{user}:$7${iterations}${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(digest).decode()}")


def acl_text(site_id: str, devices: Iterable[Device], bridge_user: str) -> str:
    base = f"suivant/{site_id}"
    out = ["# Written by `suivant broker-config`: one account per device (protocol.md §7).",
           f"user {bridge_user}", f"topic readwrite {base}/#", ""]
    for dev in devices:
        if dev.link != "mqtt":
            continue
        d = f"{base}/d/{dev.id}"
        out += [f"user {dev.id}", f"topic write {d}/up", f"topic write {d}/status",
                f"topic read {d}/down", f"topic read {d}/show", ""]
    return "\n".join(out)


@dataclass(frozen=True)
class BrokerFiles:
    passwd: Path
    acl: Path
    conf: Path


def _conf_text(conf: Path, port: int) -> str:
    return (f"{HEADER} Include it, or run\n"
            f"#   mosquitto -c {conf}\n"
            f"listener {port}\n"
            f"# without it, small messages wait for the peer's delayed ACK (~40 ms)\n"
            f"set_tcp_nodelay true\n"
            f"# a thousand boards saying hello at once must not overflow the bridge's\n"
            f"# session queue (default 1000 messages: the rest would be dropped)\n"
            f"max_queued_messages 10000\n"
            f"# the client id is the account's user name: an account connecting with the\n"
            f"# bridge's or another board's client id cannot take over its session\n"
            f"# (a restart is needed for this one: a reload does not apply it)\n"
            f"use_username_as_clientid true\n"
            f"# a device line is at most 240 bytes: a bigger packet is dropped, with its\n"
            f"# connection, before anyone holds it in memory\n"
            f"max_packet_size {MAX_PACKET_BYTES}\n"
            f"allow_anonymous false\n"
            f"password_file {conf.with_name('passwd')}\n"
            f"acl_file {conf.with_name('acl')}\n")


def write_broker_config(folder: Path, site_id: str, devices: Iterable[Device],
                        bridge_user: str, bridge_password: str, port: int = 1883) -> BrokerFiles:
    """passwd, acl and a mosquitto.conf that uses them, in `folder` (created; files 0640)."""
    devices = _accounts(devices, bridge_user)  # refused before anything is written
    folder = folder.resolve()  # mosquitto reads relative paths from its own working folder
    folder.mkdir(parents=True, exist_ok=True)
    paths = write_accounts(folder, site_id, devices, bridge_user, bridge_password)
    _write(paths.conf, _conf_text(paths.conf, port))
    return paths


def write_accounts(folder: Path, site_id: str, devices: Iterable[Device], bridge_user: str,
                   bridge_password: str) -> BrokerFiles:
    """passwd and acl again in `folder` (a device added, removed or rekeyed); mosquitto.conf
    is left as it is."""
    devices = _accounts(devices, bridge_user)
    paths = BrokerFiles(*(folder / name for name in _FILES))
    lines = [password_line(bridge_user, bridge_password)]
    lines += [password_line(d.id, d.broker_password or "") for d in devices]
    _write(paths.passwd, "\n".join(lines) + "\n")
    _write(paths.acl, acl_text(site_id, devices, bridge_user) + "\n")
    return paths


def _accounts(devices: Iterable[Device], bridge_user: str) -> list[Device]:
    """The devices that get a broker account: the MQTT ones; none named as the bridge."""
    devices = [d for d in devices if d.link == "mqtt"]
    if bridge_user in (d.id for d in devices):
        raise ValueError(f"the bridge's user name {bridge_user!r} is also a device id")
    return devices


def written_by_broker_config(folder: Path) -> bool:
    """Whether `folder` holds a mosquitto.conf that broker-config wrote. The device commands
    rewrite only such a folder: its name comes from the registry file, which the bridge's
    user can write, and the commands may run as root."""
    try:
        with open(folder / "mosquitto.conf", encoding="utf-8") as conf:
            return conf.readline().startswith(HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def _write(path: Path, text: str) -> None:
    """All or nothing (a broker reloading never reads half a file), 0640 (readable by the
    broker's group, not by everyone), in the folder's group: chown root:mosquitto the folder
    once and the files written later stay readable by Mosquitto."""
    def folder_group(fd: int) -> None:
        with contextlib.suppress(PermissionError):  # not root nor in it: our group stays
            os.fchown(fd, -1, path.parent.stat().st_gid)
    write_atomic(path, text, 0o640, folder_group)


def reload_mosquitto(pid_file: str) -> str | None:
    """SIGHUP to the Mosquitto whose pid `pid_file` holds, so that it rereads passwd and acl.
    None when sent; else why not, to tell the technician."""
    try:
        pid = int(Path(pid_file).read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return f"no Mosquitto pid in {pid_file} (is Mosquitto running with that pid_file?)"
    if _process_name(pid) != "mosquitto":  # a stale pid file: the pid may be anyone's now
        return f"process {pid} (from {pid_file}) is not Mosquitto"
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return f"Mosquitto (pid {pid}, from {pid_file}) is not running"
    except PermissionError:
        return f"not allowed to signal Mosquitto (pid {pid}): run this as root"
    return None


def _process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return None
