"""A site's file published from central (issue 14): `suivant central publish-config` checks it
and keeps it as the next version; a real site bridge with [network] apply_config = true takes
it through the administration page's code, keeps its own [network] and [store], refuses what
its queue or its checks refuse (changing nothing), and central shows published vs applied."""
from __future__ import annotations

import argparse
import asyncio
import re
import time
import tomllib
from pathlib import Path

import httpx
import psycopg
import pytest

from host_bridge.central import cli_site_files, site_files
from host_bridge.central.cli import CentralCliError
from host_bridge.domain.errors import SiteChangeRefused
from host_bridge.network import wire
from host_bridge.network.config_pull import ConfigPull, sections_of
from host_bridge.service.site_admin import SECTIONS, ConfigRefused
from simulators.bridge_process import BridgeProcess
from support import ADMIN, EXAMPLE

SITE = "mairie-p"


def central(*argv: str) -> None:
    p = argparse.ArgumentParser()
    cli_site_files.add_parsers(p.add_subparsers(required=True))
    args = p.parse_args(argv)
    args.func(args)


def versions(net) -> dict[str, tuple]:
    with psycopg.connect(net.dsn) as conn:
        return {v.site: (v.published, v.applied, v.refused) for v in site_files.versions(conn)}


def wait_for(what, timeout: float = 15.0):
    end = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("not in time")
        time.sleep(0.1)


def published_file(own: Path, folder: Path, edit) -> Path:
    """The site's file as central's IT keeps it, edited; its [network] and [store] point
    elsewhere (the site must keep its own)."""
    text = edit(own.read_text(encoding="utf-8"))
    text = re.sub(r'^url = "nats://[^"]+"', 'url = "nats://192.0.2.1:4222"', text, flags=re.M)
    text = re.sub(r'^path = "[^"]+"', 'path = "/elsewhere/queue.db"', text, flags=re.M)
    path = folder / f"published-{time.monotonic_ns()}.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Admin:
    """Stands for the site's SiteAdmin: what it was given, or its refusal."""

    def __init__(self, refusal: Exception | None = None):
        self.refusal, self.changes = refusal, []

    def change(self, sections, by="the administration page"):
        if self.refusal is not None:
            raise self.refusal
        self.changes.append(sections)


class Central:
    """Stands for central's NATS side: answers `config` with a version and a file."""

    def __init__(self, version, text):
        self.answer, self.asked = {"version": version, "toml": text}, 0

    async def request(self, subject, payload, timeout):
        assert subject == wire.request_subject("config", "mairie-villeneuve")
        self.asked += 1
        return type("Msg", (), {"data": wire.encode_answer(self.answer)})()


def test_only_the_administration_sections_are_taken_and_a_missing_one_is_emptied():
    text = EXAMPLE.read_text(encoding="utf-8")
    sections = sections_of("mairie-villeneuve", text + '\n[network]\nurl = "nats://x:1"\n')
    assert set(sections) == set(SECTIONS)  # never [store], [network], [[users]], [mqtt]…
    assert sections["services"][0]["id"] == "accueil"
    lacking = re.sub(r"\[\[priority_categories\]\]\nid = .*?\nname = .*?\n", "", text)
    assert sections_of("mairie-villeneuve", lacking)["priority_categories"] == []
    for site, bad, why in [("mairie-autre", text, "not this site"),
                           ("mairie-villeneuve", "[site", "not valid TOML"),
                           ("mairie-villeneuve", None, "no file"),
                           ("mairie-villeneuve", "x" * 300_000, "at most")]:
        with pytest.raises(ConfigRefused, match=why):
            sections_of(site, bad)


def test_central_checks_the_whole_file_but_names_what_the_site_keeps_its_own():
    text = EXAMPLE.read_text(encoding="utf-8") + (
        '\n[network]\nurl = "nats://x:1"\npassword_file = "/nowhere/on/central"\n')
    checked = site_files.check("mairie-villeneuve", text)
    assert {"network", "store", "users"} <= set(checked.not_applied)
    assert not set(checked.not_applied) & set(SECTIONS)
    with pytest.raises(site_files.PublishRefused, match="rules.max_recalls"):
        site_files.check("mairie-villeneuve", text.replace("max_recalls = 3", "max_recalls = 99"))


def test_a_newer_version_is_applied_once_a_refusal_is_said_and_tried_again(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    db = str(tmp_path / "queue.db")
    admin = Admin(SiteChangeRefused("service 'urbanisme' has tickets today"))
    pull = ConfigPull("mairie-villeneuve", db, admin)
    asyncio.run(pull.check(Central(2, text)))
    assert pull.status() == {"config_version": None, "config_refused": {
        "version": 2, "reason": "service 'urbanisme' has tickets today"}}
    admin.refusal = None  # tomorrow: the same version goes through
    pull.reconnected()
    asyncio.run(pull.check(Central(2, text)))
    assert pull.status() == {"config_version": 2, "config_refused": None}
    assert len(admin.changes) == 1
    again = ConfigPull("mairie-villeneuve", db, admin)  # after a restart: kept beside the db
    assert again.applied == 2
    for version in (2, 1, None, "3", True):  # not newer, or not a version: nothing applied
        asyncio.run(again.check(Central(version, text)))
    assert len(admin.changes) == 1 and again.status()["config_version"] == 2


@pytest.mark.slow
def test_a_published_file_is_applied_and_a_refused_one_changes_nothing(make_network, tmp_path,
                                                                       capsys):
    net = make_network([SITE, "mairie-q"])
    net.central()
    own = net.site_file(SITE)
    own.write_text(own.read_text(encoding="utf-8") + "apply_config = true\n", encoding="utf-8")
    own_doc = tomllib.loads(own.read_text(encoding="utf-8"))
    db = tmp_path / SITE / "queue.db"

    # refused at central: another site's file, a wrong file; nothing is kept
    other = published_file(own, tmp_path, lambda t: t.replace(f'id = "{SITE}"', 'id = "mairie-q"'))
    with pytest.raises(CentralCliError, match="not 'mairie-p'"):
        central("publish-config", "--config", str(net.config_path), "--site", SITE, str(other))
    bad = published_file(own, tmp_path, lambda t: t.replace("target_wait_minutes = 10",
                                                            "target_wait_minutes = -3"))
    with pytest.raises(CentralCliError, match="target_wait_minutes"):
        central("publish-config", "--config", str(net.config_path), "--site", SITE, str(bad))
    with pytest.raises(CentralCliError, match="no site 'mairie-zz'"):
        central("publish-config", "--config", str(net.config_path), "--site", "mairie-zz",
                str(other))
    assert net.query("SELECT count(*) FROM site_configs") == [(0,)]

    v1 = published_file(own, tmp_path, lambda t: t.replace(
        'name = "Accueil et renseignements"', 'name = "Accueil, renseignements et France Services"'))
    central("publish-config", "--config", str(net.config_path), "--site", SITE, str(v1))
    bridge = BridgeProcess(own, db)
    bridge.start()
    try:
        assert "config_version" in bridge.health()["network"], \
            "the bridge gives its publisher no SiteAdmin (bootstrap: Publisher(..., admin=...))"

        def accueil() -> str:
            site = httpx.get(f"{bridge.url}/api/site").json()
            return next(s["name"] for s in site["services"] if s["id"] == "accueil")
        wait_for(lambda: accueil() == "Accueil, renseignements et France Services")
        # written to the site file as the administration page does, its own tables kept
        doc = tomllib.loads(own.read_text(encoding="utf-8"))
        assert doc["services"][0]["name"] == "Accueil, renseignements et France Services"
        assert doc["network"] == own_doc["network"] and doc["store"] == own_doc["store"]
        assert list(own.parent.glob("site.toml.*.bak"))
        wait_for(lambda: versions(net)[SITE][:2] == (1, 1))  # central sees it applied
        assert bridge.health()["network"]["connected"]  # still in the network
        assert bridge.health()["network"]["config_version"] == 1
        audit = httpx.get(f"{bridge.url}/api/staff/audit", headers=ADMIN,
                          params={"actor": "central"}).json()["entries"]
        assert [(e["action"], e["detail"].split(":")[0]) for e in audit] == \
            [("site_changed", "version 1")]

        # version 2 removes a service that has a ticket today: the site refuses it (as its
        # administration page would), changes nothing, and says so; taken on reconnection
        with httpx.Client(base_url=bridge.url) as http:
            http.post("/api/tickets", json={"service": "urbanisme"}).raise_for_status()
        before = own.read_text(encoding="utf-8")
        v2 = published_file(own, tmp_path, lambda t: re.sub(
            r'\[\[services\]\]\nid = "urbanisme".*?(?=\n\[\[)', "", t, flags=re.S).replace(
            'services = ["urbanisme", "accueil"]', 'services = ["accueil"]'))
        assert "urbanisme" not in tomllib.loads(v2.read_text())["services"].__repr__()
        central("publish-config", "--config", str(net.config_path), "--site", SITE, str(v2))
        bridge.stop()
        bridge.start()
        published, applied, refused = wait_for(
            lambda: versions(net)[SITE][2] is not None and versions(net)[SITE])
        assert (published, applied, refused["version"]) == (2, 1, 2)
        assert "urbanisme" in refused["reason"]
        assert own.read_text(encoding="utf-8") == before
        assert any(s["id"] == "urbanisme" for s in
                   httpx.get(f"{bridge.url}/api/site").json()["services"])

        # a file central should never have kept (not TOML): refused by the site's own checks
        net.query("INSERT INTO site_configs (site, version, toml) VALUES (%s, 3, 'not = [toml') "
                  "RETURNING version", SITE)
        bridge.stop()
        bridge.start()
        wait_for(lambda: (versions(net)[SITE][2] or {}).get("version") == 3)
        assert "not valid TOML" in versions(net)[SITE][2]["reason"]
        assert versions(net)[SITE][:2] == (3, 1)
        assert own.read_text(encoding="utf-8") == before
    finally:
        bridge.stop()
    assert versions(net)["mairie-q"] == (None, None, None)
    capsys.readouterr()
    central("config-versions", "--config", str(net.config_path))
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].split()[:3] == [SITE, "3", "1"] and "not valid TOML" in listed[1]
    assert listed[2].split() == ["mairie-q", "-", "-"]
