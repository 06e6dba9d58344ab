"""Administration: the site changed while the bridge runs — validated as the config file is,
checked against today's queue, applied at once, written back to the file with a backup.
Refusals name the key and change nothing, neither the running queue nor the file."""
from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from bridge_process import site_config_copy
from host_bridge.bootstrap import build
from host_bridge.site_config import load

from support import ADMIN, AGENT, SUPERVISOR


@pytest.fixture
def admin(tmp_path, clock):
    path = site_config_copy(tmp_path / "site.toml")
    settings = load(path)
    b = build(settings, clock)
    with TestClient(b.app) as c:
        yield c, path
    b.close()


def test_the_editable_sections_are_read_from_the_file(admin):
    client, _ = admin
    r = client.get("/api/admin/config", headers=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"site", "services", "counters", "priority_categories", "hours", "rules"}
    assert body["services"][0]["id"] == "accueil" and body["services"][0]["faq"]


@pytest.mark.parametrize("headers, status", [({}, 401), (AGENT, 403), (SUPERVISOR, 403)])
def test_only_admins_may(admin, headers, status):
    client, path = admin
    before = path.read_text()
    assert client.get("/api/admin/config", headers=headers).status_code == status
    r = client.put("/api/admin/config", headers=headers, json={"rules": {}})
    assert r.status_code == status and path.read_text() == before


def test_a_new_service_and_counter_are_live_at_once_and_written_back(admin):
    client, path = admin
    config = client.get("/api/admin/config", headers=ADMIN).json()
    config["services"].append({"id": "cantine", "letter": "K", "name": "Cantine scolaire",
                               "target_wait_minutes": 15, "faq": [
                                   {"question": "Quand payer ?", "answer": "Avant le 10."}]})
    config["counters"].append({"number": 5, "name": "Guichet 5 — Cantine",
                               "services": ["cantine", "accueil"]})
    r = client.put("/api/admin/config", headers=ADMIN, json=config)
    assert r.status_code == 200, r.text
    assert (path.parent / r.json()["backup"]).exists()
    # live: no restart
    assert any(s["id"] == "cantine" for s in client.get("/api/site").json()["services"])
    assert client.post("/api/counters/5/open", headers=AGENT).status_code == 200
    ticket = client.post("/api/tickets", json={"service": "cantine"}).json()["ticket"]
    assert ticket["label"] == "K001" and ticket["estimate"] is not None
    assert client.get("/api/services/cantine/faq").json()["faq"][0]["question"] == "Quand payer ?"
    # and in the file, which a restart reads
    again = load(path)
    assert again.site.service("cantine").name == "Cantine scolaire"
    assert again.site.counter(5).services == ("cantine", "accueil")
    assert "Written by the administration page" in path.read_text()
    assert load(path).users == load(path.parent / r.json()["backup"]).users  # accounts untouched


def _refused(client, path, body, status, key=None):
    before_file, before_site = path.read_text(), client.get("/api/site").json()
    r = client.put("/api/admin/config", headers=ADMIN, json=body)
    assert r.status_code == status, r.text
    assert r.json()["message"]
    if key is not None:
        assert r.json()["key"] == key
    assert path.read_text() == before_file and client.get("/api/site").json() == before_site
    assert not list(path.parent.glob("*.bak"))
    return r.json()


def test_an_invalid_change_names_the_key_and_changes_nothing(admin):
    client, path = admin
    config = client.get("/api/admin/config", headers=ADMIN).json()
    bad = copy.deepcopy(config)
    bad["counters"][0]["services"] = ["nulle-part"]
    _refused(client, path, bad, 422, "counters[0].services[0]")
    bad = copy.deepcopy(config)
    bad["services"][1]["letter"] = "a"
    _refused(client, path, bad, 422, "services[1].letter")
    bad = copy.deepcopy(config)
    bad["hours"]["monday"] = ["25:00-26:00"]
    _refused(client, path, bad, 422)
    _refused(client, path, {"users": []}, 422, "users")
    _refused(client, path, {"services": "none"}, 422, "services")


def test_a_service_with_tickets_today_stays_until_tomorrow(admin):
    client, path = admin
    client.post("/api/tickets", json={"service": "urbanisme"})
    config = client.get("/api/admin/config", headers=ADMIN).json()
    config["services"] = [s for s in config["services"] if s["id"] != "urbanisme"]
    for k in config["counters"]:
        k["services"] = [s for s in k["services"] if s != "urbanisme"]
    body = _refused(client, path, config, 409)
    assert "urbanisme" in body["message"] and body["error"] == "site_change_refused"


def test_the_site_id_and_time_zone_need_a_restart(admin):
    client, path = admin
    config = client.get("/api/admin/config", headers=ADMIN).json()
    config["site"]["timezone"] = "Europe/London"
    _refused(client, path, config, 409)


def test_a_site_in_a_network_with_a_relative_password_file_can_be_changed(tmp_path, clock):
    """The page checks the changed file as `suivant serve` reads it: a [network] password_file
    beside the site file is found there (it was looked for in the bridge's working folder, and
    every change refused with "cannot read")."""
    path = site_config_copy(tmp_path / "site.toml")
    (tmp_path / "nats.password").write_text("s3cret\n")
    with open(path, "a", encoding="utf-8") as f:
        f.write('\n[network]\nurl = "nats://127.0.0.1:1"\npassword_file = "nats.password"\n')
    b = build(load(path), clock)  # its links are not started: nothing connects
    try:
        with TestClient(b.app) as client:
            config = client.get("/api/admin/config", headers=ADMIN).json()
            config["rules"]["max_recalls"] = 2
            r = client.put("/api/admin/config", headers=ADMIN, json={"rules": config["rules"]})
            assert r.status_code == 200, r.text
        assert "max_recalls = 2" in path.read_text(encoding="utf-8")
        assert "[network]" in path.read_text(encoding="utf-8")
    finally:
        b.close()
