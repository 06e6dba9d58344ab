"""The network demo's sites: the example town hall under other names, in a network.

    SITES[:n]                                  # (id, name, region) of the demo's first n sites
    central_toml(name, nats_url, dsn, listen, SITES[:n])   # central.toml's text
    path = site_file(folder, site, nats_url, password_file, mqtt_port)   # checked by load()
    staff_accounts(path, db)                   # the single-site demo's named accounts there

Each site is a whole site as a town hall would run it (its own SQLite, its embedded MQTT
broker, its staff accounts), open at any hour, saying how it is to central every few seconds
(a demo is looked at for minutes, not for the production's 10 s).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from host_bridge import bundled
from host_bridge.cli import demo_accounts
from host_bridge.site_config import load, read_toml
from host_bridge.toml_writer import dumps

STATE_SECONDS = 2.0


class DemoSite(NamedTuple):
    id: str
    name: str
    region: str


# Two regions and a third, so a regional account sees a part of the network and not the rest.
SITES = (
    DemoSite("mairie-nord", "Mairie annexe Nord", "Nouvelle-Aquitaine"),
    DemoSite("mairie-sud", "Mairie annexe Sud", "Occitanie"),
    DemoSite("france-services-est", "France Services Est", "Nouvelle-Aquitaine"),
    DemoSite("mairie-ouest", "Mairie annexe Ouest", "Occitanie"),
    DemoSite("france-services-centre", "France Services Centre", "Nouvelle-Aquitaine"),
    DemoSite("mairie-des-coteaux", "Mairie des Coteaux", "Occitanie"),
    DemoSite("france-services-vallee", "France Services de la Vallée", "Auvergne-Rhône-Alpes"),
    DemoSite("mairie-du-port", "Mairie du Port", "Nouvelle-Aquitaine"),
    DemoSite("france-services-plateau", "France Services du Plateau", "Auvergne-Rhône-Alpes"),
    DemoSite("mairie-des-bastides", "Mairie des Bastides", "Occitanie"),
)
MAX_SITES = len(SITES)


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string


def central_toml(name: str, nats_url: str, dsn: str, listen: str,
                 sites: tuple[DemoSite, ...]) -> str:
    lines = ["# the network demo's central (python -m simulators.network_demo)", "[central]",
             f"name = {_q(name)}", f"nats_url = {_q(nats_url)}", f"postgres = {_q(dsn)}",
             f"listen = {_q(listen)}", 'password_file = "secrets/central.password"',
             'secrets = "secrets"', ""]
    for s in sites:
        lines += ["[[sites]]", f"id = {_q(s.id)}", f"name = {_q(s.name)}",
                  f"region = {_q(s.region)}", ""]
    return "\n".join(lines)


def site_file(folder: Path, site: DemoSite, nats_url: str, password_file: Path,
              mqtt_port: int) -> Path:
    """`folder/site.toml`: the example town hall as `site`, its store in `folder`."""
    doc = read_toml(bundled.example_site())
    doc["site"].update(id=site.id, name=site.name)
    doc.setdefault("rules", {})["refuse_outside_hours"] = False
    doc["store"].update(path=str(folder / "queue.db"), devices_path=str(folder / "devices.db"))
    doc["mqtt"] = {"embedded_port": mqtt_port}
    doc["network"] = {"url": nats_url, "password_file": str(password_file),
                      "state_seconds": STATE_SECONDS}
    path = folder / "site.toml"
    path.write_text(dumps(doc, f"{bundled.EXAMPLE_SITE} as {site.id}, for the network demo"),
                    encoding="utf-8")
    load(path)  # a ConfigError here names the file, the key and the reason
    return path


def staff_accounts(path: Path) -> None:
    """The single-site demo's named accounts (DEMO_ACCOUNTS, DEMO_PASSWORD) in the site's staff
    file, as `suivant demo` makes them."""
    demo_accounts(load(path), actor="network-demo")
