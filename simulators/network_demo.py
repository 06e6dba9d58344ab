"""python -m simulators.network_demo (`make network-demo`): a network of sites and its central on
this machine, from nothing but the venv and Debian's postgresql.

    python -m simulators.network_demo [--sites 3] [--port 8100] [--postgres DSN] [--pace 10]

In a temporary folder: a PostgreSQL cluster on a free port (or a fresh database on the server
--postgres names, dropped afterwards), a NATS JetStream server on the configuration
`suivant central nats-config` writes (one user per site), `suivant central serve`, and N site
bridges (`suivant serve`: the example town hall as mairie-nord, mairie-sud,
france-services-est…) with citizens and agents at each. It prints the addresses; Ctrl-C (or
SIGTERM) stops the traffic, the sites, central, NATS and PostgreSQL in that order, and deletes
the folder. A program that stops on its own stops the demo, with the end of its log.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_bridge.arg_types import bounded
from host_bridge.cli import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOKENS
from host_bridge.site_config import ConfigError, load

from .bridge_process import ROOT
from .network_central_accounts import demo_central_accounts
from .network_services import (Child, DemoError, OwnPostgres, ServerDatabase, free_port,
                               nats_server, pg_program, port_or_free)
from .network_sites import MAX_SITES, SITES, central_toml, site_file, staff_accounts
from .network_traffic import SiteTraffic

NETWORK_NAME = "Réseau de démonstration Suivant"
BUSYNESS = (1.0, 0.6, 1.4, 0.8, 1.2)  # the sites' rates of citizens, in turn
START_TIMEOUT_S = 60.0


class Stop(Exception):
    """SIGTERM, handled as Ctrl-C is."""


class NetworkDemo:
    def __init__(self, sites: int, host: str, port: int, postgres: str | None, pace: float):
        self.sites = SITES[:sites]
        self.host, self.wanted_port, self.server_dsn, self.pace = host, port, postgres, pace
        self.folder = Path(tempfile.mkdtemp(prefix="suivant-network-demo-"))
        self.pg: OwnPostgres | None = None
        self.server_db: ServerDatabase | None = None
        self.nats: Child | None = None
        self.central: Child | None = None
        self.bridges: list[Child] = []
        self.site_urls: list[str] = []
        self.traffic: list[SiteTraffic] = []
        self.dsn = ""
        self.nats_url = ""
        self.central_url = ""
        self.central_logins: list[str] = []

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        nats_server()  # every program there, before any is started
        if self.server_dsn is None:
            pg_program("initdb"), pg_program("postgres")
        if os.geteuid() == 0:
            self.folder.chmod(0o711)  # the postgres user goes through it to its cluster
        self._postgres()
        nats_port = free_port()
        self.nats_url = f"nats://127.0.0.1:{nats_port}"
        port = port_or_free(self.host, self.wanted_port, "central's")
        self.central_url = f"http://{self.host}:{port}"
        config = self.folder / "central.toml"
        config.write_text(central_toml(NETWORK_NAME, self.nats_url, self.dsn,
                                       f"{self.host}:{port}", self.sites), encoding="utf-8")
        conf = self._nats_config(config, nats_port)
        self.nats = Child("nats-server", [nats_server(), "-c", str(conf)],
                          self.folder / "nats" / "nats-server.log").start()
        self.nats.wait_port(nats_port)
        self.central = Child("suivant central serve", [
            sys.executable, "-m", "host_bridge.cli", "central", "serve", "--config", str(config),
            "--host", self.host, "--port", str(port)], self.folder / "central.log",
            cwd=ROOT, env=_env()).start()
        self.central.wait_http(f"{self.central_url}/api/central/health", START_TIMEOUT_S)
        self.central_logins = demo_central_accounts(config, self.sites)
        self._sites(self.nats_url, config.parent / "secrets")
        for i, (site, url) in enumerate(zip(self.sites, self.site_urls)):
            settings = load(self.folder / site.id / "site.toml")
            self.traffic.append(SiteTraffic(url, settings.site, self.pace, seed=i + 1,
                                            busyness=BUSYNESS[i % len(BUSYNESS)]).start())

    def _postgres(self) -> None:
        if self.server_dsn is not None:
            self.server_db = ServerDatabase(self.server_dsn)
            self.dsn = self.server_db.create()
            return
        self.pg = OwnPostgres(self.folder / "postgres").start()
        self.dsn = self.pg.database("suivant_central")

    def _nats_config(self, config: Path, port: int) -> Path:
        out = self.folder / "nats"
        made = subprocess.run([sys.executable, "-m", "host_bridge.cli", "central", "nats-config",
                               "--config", str(config), "--out", str(out),
                               "--host", "127.0.0.1", "--port", str(port)],
                              capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120)
        if made.returncode != 0:
            raise DemoError(f"suivant central nats-config failed: {made.stderr.strip()[-1500:]}")
        return out / "nats-server.conf"

    def _sites(self, nats_url: str, secrets: Path) -> None:
        for site in self.sites:
            folder = self.folder / site.id
            folder.mkdir()
            path = site_file(folder, site, nats_url, secrets / f"{site.id}.password",
                             free_port())
            staff_accounts(path)
            port = free_port(self.host)
            self.site_urls.append(f"http://{self.host}:{port}")
            self.bridges.append(Child(f"site {site.id}", [
                sys.executable, "-m", "host_bridge.cli", "serve", "--config", str(path),
                "--host", self.host, "--port", str(port)], folder / "bridge.log",
                cwd=ROOT, env=_env()).start())
        for bridge, url in zip(self.bridges, self.site_urls):  # they start side by side
            bridge.wait_http(f"{url}/api/health", START_TIMEOUT_S)

    # -- while it runs -------------------------------------------------------------------------
    def children(self) -> list[Child]:
        """Every program the demo started."""
        return [c for c in (self.pg.child if self.pg else None, self.nats, self.central,
                            *self.bridges) if c is not None]

    def watch(self) -> None:
        """Until interrupted; raises DemoError when a program stopped by itself."""
        while True:
            for child in self.children():
                if not child.alive():
                    raise child.failed("stopped by itself; the demo stops")
            time.sleep(0.5)

    def banner(self) -> str:
        c = self.central_url
        width = max(len(s.id) for s in self.sites)
        lines = [f"Suivant network demo: {len(self.sites)} sites, central, NATS JetStream, "
                 f"PostgreSQL (files in {self.folder})",
                 f"  central pages:        {c}/central/",
                 f"  central health:       {c}/api/central/health",
                 f"  central logins:       {', '.join(self.central_logins)}   "
                 f"(password {DEMO_PASSWORD})"]
        lines += [f"  PostgreSQL:           psql \"{_shown(self.dsn)}\""
                  + ("   (and your password)" if _shown(self.dsn) != self.dsn else ""),
                  f"  NATS JetStream:       {self.nats_url}   (one user per site; config by "
                  "`suivant central nats-config`)",
                  f"  logs:                 {self.folder}/central.log, <site>/bridge.log, "
                  "nats/ (config, log)",
                  "  sites (each the example town hall; its own SQLite, broker and accounts):"]
        for s, url in zip(self.sites, self.site_urls):
            lines.append(f"    {s.id:<{width}}  {url}/supervision   {s.name} — {s.region}")
        logins = {role: " or ".join(a[0] for a in DEMO_ACCOUNTS if a[2] == role)
                  for role in ("agent", "supervisor", "admin")}
        lines += [f"  site logins (every site): agent {logins['agent']}, supervisor "
                  f"{logins['supervisor']}, admin {logins['admin']}; password {DEMO_PASSWORD}",
                  f"  site pages: /borne#kiosk={DEMO_TOKENS['kiosk']}  /salle  /guichet?guichet=1 "
                  f" /supervision  /admin   (scripts: Bearer {DEMO_TOKENS['agent']})",
                  f"  traffic ({self.pace:g}x life): citizens and agents at every counter but "
                  "guichet 1 of each site, which is yours",
                  "  Ctrl-C stops everything."]
        return "\n".join(lines)

    # -- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Each part in turn, whatever state the start left it in; then the folder."""
        for t in self.traffic:
            t.stopping.set()
        for t in self.traffic:
            t.stop()
        for b in self.bridges:
            b.signal()  # all at once, then each waited for
        for b in self.bridges:
            b.stop()
        for child in (self.central, self.nats):
            if child is not None:
                child.stop()
        if self.pg is not None:
            self.pg.stop()
        if self.server_db is not None:
            self.server_db.drop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _shown(dsn: str) -> str:
    """The connection string without its password (the user typed it; a banner is looked at)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    parts = conninfo_to_dict(dsn)
    if "password" not in parts:
        return dsn
    parts.pop("password")
    return make_conninfo(**{k: str(v) for k, v in parts.items()})


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulators.network_demo",
                                description="A network of Suivant sites and its central on this "
                                            "machine (Ctrl-C stops everything)")
    p.add_argument("--sites", type=bounded(int, 1, MAX_SITES, "sites", "a whole number"),
                   default=3, help=f"how many sites (1 to {MAX_SITES}; default 3)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address of central's and the sites' pages (default 127.0.0.1)")
    p.add_argument("--port", type=bounded(int, 1, 65535, "port", "a port number"), default=8100,
                   help="central's port (default 8100; a free one if taken)")
    p.add_argument("--postgres", metavar="DSN",
                   help="a PostgreSQL server to use instead of a cluster of the demo's own "
                        "(libpq string; the role needs CREATEDB: a fresh database is made "
                        "there and dropped at the end)")
    p.add_argument("--pace", type=bounded(float, 0.1, 1000, "pace"), default=10.0,
                   help="how many times quicker than life citizens and agents are (default 10)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def on_term(*_: object) -> None:
        raise Stop
    signal.signal(signal.SIGTERM, on_term)
    demo = NetworkDemo(args.sites, args.host, args.port, args.postgres, args.pace)
    code = 0
    try:
        demo.start()
        print(demo.banner(), flush=True)
        demo.watch()
    except (KeyboardInterrupt, Stop):
        print("\nstopping the network demo…", flush=True)
    except (DemoError, ConfigError) as e:
        print(f"network demo: {e}", file=sys.stderr, flush=True)
        code = 1
    finally:
        # a second Ctrl-C must not leave half of it running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
