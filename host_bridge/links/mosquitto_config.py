"""Mosquitto's password file and ACL for a site, from the device registry (protocol.md §7).

Each MQTT device has its own account (user name = device id, its broker password from the
registry) and may publish only its own `up` and `status` and read only its own `down` and
`show`; the bridge has its own account and reads and writes the site's topics. A device that
publishes under another device's name is dropped by the broker (MQTT 3.1.1 has no error for
it); a wrong password is refused at connect.

Passwords are written as Mosquitto 2 stores them: `$7$<iterations>$<salt>$<hash>`, PBKDF2 with
HMAC-SHA512, a 12-byte random salt, both in base64 — what `mosquitto_passwd` writes, made
here so the bridge needs no Mosquitto tools.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .registry import Device

ITERATIONS = 101  # mosquitto_passwd's default
_FILES = ("passwd", "acl", "mosquitto.conf")


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


def write_broker_config(folder: Path, site_id: str, devices: Iterable[Device],
                        bridge_user: str, bridge_password: str, port: int = 1883) -> BrokerFiles:
    """passwd, acl and a mosquitto.conf that uses them, in `folder` (created; files 0640)."""
    devices = [d for d in devices if d.link == "mqtt"]
    users = [d.id for d in devices]
    if bridge_user in users:
        raise ValueError(f"the bridge's user name {bridge_user!r} is also a device id")
    folder = folder.resolve()  # mosquitto reads relative paths from its own working folder
    folder.mkdir(parents=True, exist_ok=True)
    paths = BrokerFiles(*(folder / name for name in _FILES))
    lines = [password_line(bridge_user, bridge_password)]
    lines += [password_line(d.id, d.broker_password or "") for d in devices]
    texts = {
        paths.passwd: "\n".join(lines) + "\n",
        paths.acl: acl_text(site_id, devices, bridge_user) + "\n",
        paths.conf: (f"# Written by `suivant broker-config`. Include it, or run\n"
                     f"#   mosquitto -c {paths.conf}\n"
                     f"listener {port}\n"
                     f"# without it, small messages wait for the peer's delayed ACK (~40 ms)\n"
                     f"set_tcp_nodelay true\n"
                     f"# a thousand boards saying hello at once must not overflow the bridge's\n"
                     f"# session queue (default 1000 messages: the rest would be dropped)\n"
                     f"max_queued_messages 10000\n"
                     f"allow_anonymous false\n"
                     f"password_file {paths.passwd}\n"
                     f"acl_file {paths.acl}\n"),
    }
    for path, text in texts.items():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o640)  # readable by the mosquitto group, not by everyone
        tmp.replace(path)  # a broker reloading never reads half a file
    return paths
