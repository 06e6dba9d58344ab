"""The NATS server's configuration for a network (`suivant central nats-config`), as
`broker-config` writes Mosquitto's for a site: one user per site, allowed to publish only its
own subjects and to read only its own inboxes; central's user, allowed everything; JetStream
with its store folder. Passwords are generated once per site (kept in the secrets folder, 0600,
to hand to each site's IT) and written in the server's file as bcrypt hashes.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from ..network import wire
from .config import CentralConfig

# bcrypt's cost slows the guessing of a human's password from its hash; these are 192-bit random
# tokens (token_urlsafe(24)), which no cost makes guessable or not. What the cost does change is
# the server's work per connection: at 10, 2,840 sites reconnecting at once (central's server
# restarted) took 4 minutes and 14,562 refused attempts, and writing the file 4 minutes
# (performance.md, "Network of sites"); at 4, the least bcrypt allows, about 1 ms a check.
BCRYPT_COST = 4


def site_user(site_id: str) -> str:
    return f"site-{site_id}"


def site_permissions(site_id: str) -> dict:
    return {"publish": {"allow": [wire.events_subject(site_id), wire.state_subject(site_id),
                                  *(wire.request_subject(v, site_id) for v in wire.VERBS)]},
            "subscribe": {"allow": [wire.inbox_prefix(site_id) + ".>"]}}


def _password(folder: Path, name: str, rotate: bool) -> str:
    path = folder / f"{name}.password"
    if path.exists() and not rotate:
        text = path.read_text().strip()
        if text:
            return text
    text = secrets.token_urlsafe(24)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
    return text


def _hash(password: str) -> str:
    import bcrypt
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST, prefix=b"2a")).decode()


def write(config: CentralConfig, out: Path, host: str = "127.0.0.1", port: int = 4222,
          store_dir: Path | None = None, rotate: bool = False,
          central_password_file: Path | None = None, tls_cert: Path | None = None,
          tls_key: Path | None = None) -> Path:
    """-> the server's config file, `out/nats-server.conf`. Site passwords go to the secrets
    folder as `<site id>.password`, central's to its password_file. With tls_cert and tls_key
    the server accepts TLS only (the sites' passwords cross the WAN)."""
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("TLS needs both the certificate and its key")
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(config.secrets)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    central_file = central_password_file or Path(config.password_file or folder / "central")
    if config.password is not None:
        central_password = config.password
    else:
        central_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        central_password = _password(central_file.parent,
                                     central_file.name.removesuffix(".password"), rotate)
    users = [{"user": config.user, "password": _hash(central_password),
              "permissions": {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}}]
    for site in config.sites:
        users.append({"user": site_user(site.id), "password": _hash(_password(folder, site.id, rotate)),
                      "permissions": site_permissions(site.id)})
    store = store_dir or out / "jetstream"
    text = "\n".join([
        "# written by `suivant central nats-config`: the network's NATS server (docs/network.md)",
        f"listen: {json.dumps(f'{host}:{port}')}",
        "server_name: suivant-central",
        "max_payload: 1MB",
        "max_connections: 20000",
        "write_deadline: \"5s\"",
        "jetstream {",
        f"  store_dir: {json.dumps(str(store))}",
        f"  max_file_store: {int(config.stream_max_gb * 2 * 1024 ** 3)}",
        "}",
        *([] if tls_cert is None else [
            "tls {",
            f"  cert_file: {json.dumps(str(Path(tls_cert).resolve()))}",
            f"  key_file: {json.dumps(str(Path(tls_key).resolve()))}",
            "  timeout: 5",
            "}"]),
        "authorization {",
        "  users: " + json.dumps(users, indent=2).replace("\n", "\n  "),
        "}",
        ""])
    path = out / "nats-server.conf"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
