"""The site file's [network] table: where central's NATS server is and who the site is there.

    [network]
    url = "nats://central.reseau.example:4222"   # or tls://… (then ca_file)
    user = "site-mairie-villeneuve"               # default: site-<site id>
    password_file = "/etc/suivant/nats-password"  # the site's password, given by central's IT
    state_seconds = 10                            # how often the site says how it is
    apply_config = false                          # take the site file central publishes
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_URL = re.compile(r"^(nats|tls)://[A-Za-z0-9.-]+(:\d{1,5})?$")


@dataclass(frozen=True)
class NetworkSettings:
    urls: tuple[str, ...]
    user: str
    password: str
    state_seconds: float = 10.0
    apply_config: bool = False
    ca_file: str | None = None


def parse_network(r: Any, site_id: str, folder: Path | None = None) -> NetworkSettings:
    """From a site_config.TomlReader on the [network] table."""
    url = r.get("url", (str, list), check=lambda v: bool(v), why="must not be empty")
    urls = [url] if isinstance(url, str) else url
    for u in urls:
        if not isinstance(u, str) or not _URL.match(u):
            raise r.fail("url", f"expected nats://HOST[:PORT] or tls://HOST[:PORT], got {u!r}")
    user = r.get("user", str, f"site-{site_id}", check=bool, why="must not be empty")
    password = r.get("password", str, None)
    password_file = r.get("password_file", str, None)
    if (password is None) == (password_file is None):
        raise r.fail("password_file", "give the site's NATS password as password_file "
                                      "(or password), exactly one of them")
    if password_file is not None:
        path = Path(password_file)
        if folder is not None and not path.is_absolute():
            path = folder / path
        try:
            password = path.read_text().strip()
        except OSError as e:
            raise r.fail("password_file", f"cannot read {path} ({e.strerror or e})") from None
        if not password:
            raise r.fail("password_file", f"{path} is empty")
    settings = NetworkSettings(
        urls=tuple(urls), user=user, password=password,
        state_seconds=float(r.get("state_seconds", (int, float), 10.0,
                                  check=lambda v: 0.2 <= v <= 600, why="0.2 to 600 seconds")),
        apply_config=r.get("apply_config", bool, False),
        ca_file=r.get("ca_file", str, None, check=bool, why="must not be empty"))
    r.done()
    return settings
