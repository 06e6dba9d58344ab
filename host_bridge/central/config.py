"""central.toml → CentralConfig, with the site file's precise errors (site_config.ConfigError).

    [central]
    name = "Réseau France Services du Lot-et-Garonne"
    nats_url = "nats://127.0.0.1:4222"        # or a list of the cluster's servers
    user = "central"                           # central's NATS user (nats-config writes it)
    password_file = "secrets/central.password"
    postgres = "host=/var/run/postgresql dbname=suivant_central"   # libpq connection string
    listen = "127.0.0.1:8100"                  # the central pages (behind the reverse proxy)
    secrets = "secrets"                        # where nats-config keeps each site's password
    ca_file = "nats-ca.pem"                    # with tls:// URLs, when NATS's CA is private

    [[sites]]
    id = "mairie-villeneuve"                   # the [site] id of that site's own file
    name = "Mairie de Villeneuve-sur-Lot"
    region = "Nouvelle-Aquitaine"
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..network.wire import SITE_ID
from ..site_config import ConfigError, TomlReader, read_toml

_URL = re.compile(r"^(nats|tls)://[A-Za-z0-9.-]+(:\d{1,5})?$")
_LISTEN = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$")
MAX_SITES = 10_000


@dataclass(frozen=True)
class CentralSite:
    id: str
    name: str
    region: str


@dataclass(frozen=True)
class CentralConfig:
    name: str
    nats_urls: tuple[str, ...]
    user: str
    password: str | None  # None: read from password_file when connecting
    password_file: str | None
    postgres: str
    listen_host: str
    listen_port: int
    secrets: str
    sites: tuple[CentralSite, ...]
    source: str = "<memory>"
    stream_max_age_days: int = 30
    stream_max_gb: float = 10.0
    ca_file: str | None = None  # the CA of NATS's certificate, when it is a private one

    def site(self, site_id: str) -> CentralSite | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def nats_password(self) -> str:
        if self.password is not None:
            return self.password
        assert self.password_file is not None
        try:
            return Path(self.password_file).read_text().strip()
        except OSError as e:
            raise ConfigError(self.source, "central.password_file",
                              f"cannot read {self.password_file} ({e.strerror or e}); "
                              "`suivant central nats-config` writes it") from None


def parse(data: dict[str, Any], file: str = "<memory>") -> CentralConfig:
    root = TomlReader(file, data)
    c = root.child("central", root.get("central", dict))
    url = c.get("nats_url", (str, list))
    urls = [url] if isinstance(url, str) else url
    if not urls or not all(isinstance(u, str) and _URL.match(u) for u in urls):
        raise c.fail("nats_url", f"expected nats://HOST[:PORT] (or a list of them), got {url!r}")
    listen = c.get("listen", str, "127.0.0.1:8100", check=lambda v: bool(_LISTEN.match(v)),
                   why="HOST:PORT")
    m = _LISTEN.match(listen)
    assert m is not None
    port = int(m[2])
    if not 0 < port < 65536:
        raise c.fail("listen", f"port {port} is not 1-65535")
    password = c.get("password", str, None)
    password_file = c.get("password_file", str, None)
    if password is not None and password_file is not None:
        raise c.fail("password", "give password or password_file, not both")
    if password is None and password_file is None:
        password_file = "secrets/central.password"
    config = CentralConfig(
        name=c.get("name", str, "Réseau Suivant", check=bool, why="must not be empty"),
        nats_urls=tuple(urls),
        user=c.get("user", str, "central", check=lambda v: bool(SITE_ID.match(v)),
                   why="lowercase letters, digits and dashes"),
        password=password, password_file=password_file,
        postgres=c.get("postgres", str, check=bool, why="a libpq connection string"),
        listen_host=m[1].strip("[]"), listen_port=port,
        secrets=c.get("secrets", str, "secrets", check=bool, why="must not be empty"),
        sites=(), source=file,
        stream_max_age_days=c.get("stream_max_age_days", int, 30, check=lambda v: 1 <= v <= 366,
                                  why="1 to 366 days"),
        stream_max_gb=float(c.get("stream_max_gb", (int, float), 10.0,
                                  check=lambda v: 0.01 <= v <= 10_000, why="0.01 to 10000")),
        ca_file=c.get("ca_file", str, None, check=bool, why="must not be empty"))
    c.done()
    site_rs = root.tables("sites")
    if len(site_rs) > MAX_SITES:
        raise root.fail("sites", f"at most {MAX_SITES} sites")
    sites = []
    seen: set[str] = set()
    for r in site_rs:
        site = CentralSite(
            id=r.get("id", str, check=lambda v: bool(SITE_ID.match(v)),
                     why="lowercase letters, digits and dashes (the site file's [site] id)"),
            name=r.get("name", str, check=bool, why="must not be empty"),
            region=r.get("region", str, "", check=lambda v: len(v) <= 80,
                         why="at most 80 characters"))
        if site.id in seen:
            raise r.fail("id", f"site {site.id!r} is listed twice")
        seen.add(site.id)
        sites.append(site)
        r.done()
    root.done()
    return replace(config, sites=tuple(sites))


def load(path: str | Path) -> CentralConfig:
    file = str(path)
    config = parse(read_toml(path), file)
    folder = Path(path).resolve().parent  # relative paths from the file's folder

    def resolved(p: str | None) -> str | None:
        return None if p is None else str(Path(p) if Path(p).is_absolute() else folder / p)
    return replace(config, password_file=resolved(config.password_file),
                   secrets=resolved(config.secrets) or config.secrets,
                   ca_file=resolved(config.ca_file))
