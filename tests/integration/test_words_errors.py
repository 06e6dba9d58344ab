"""Refusals carry what a page needs to say them in the reader's language: a stable code, the
field's path and a reason code, beside the English message for developers."""
from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from bridge_process import site_config_copy
from host_bridge.bootstrap import build
from host_bridge.site_config import load

from support import ADMIN, SUPERVISOR


@pytest.fixture
def admin(tmp_path, clock):
    path = site_config_copy(tmp_path / "site.toml")
    b = build(load(path), clock)
    with TestClient(b.app) as c:
        yield c
    b.close()


def _with(config, change):
    config = copy.deepcopy(config)
    change(config)
    return config


def _set(path, value):
    def change(c):
        node = c
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return change


@pytest.mark.parametrize("change, field, reason", [
    (_set(["services", 0, "target_wait_minutes"], -5), "services[0].target_wait_minutes", "invalid_value"),
    (_set(["services", 1, "letter"], "c"), "services[1].letter", "invalid_value"),
    (_set(["services", 1, "letter"], "A"), "services[1].letter", "duplicate"),
    (_set(["services", 0, "target_wait_minutes"], "vingt"), "services[0].target_wait_minutes", "wrong_type"),
    (_set(["services", 0, "couleur"], "#ffffff"), "services[0].couleur", "unknown_key"),
    (lambda c: c["services"][0].pop("name"), "services[0].name", "missing"),
    (_set(["counters", 0, "services"], ["piscine"]), "counters[0].services[0]", "unknown_service"),
    (_set(["counters", 0, "services"], []), "counters[0].services", "empty"),
    (_set(["counters", 1, "number"], 1), "counters[1].number", "duplicate"),
    (_set(["hours", "monday"], ["08:30-12:00", "11:00-14:00"]), "hours.monday", "ranges_overlap"),
    (_set(["hours", "monday"], ["12:00-08:30"]), "hours.monday", "range_reversed"),
    (_set(["hours", "monday"], ["8h30"]), "hours.monday", "bad_range"),
    (_set(["services"], []), "services", "empty"),
])
def test_an_administration_refusal_names_the_field_and_the_reason_as_codes(admin, change, field, reason):
    config = admin.get("/api/admin/config", headers=ADMIN).json()
    r = admin.put("/api/admin/config", headers=ADMIN, json=_with(config, change))
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["error"], body["field"], body["reason"]) == ("invalid_config", field, reason), body
    assert body["key"] == field and field in body["message"]  # as before, for developers


def test_a_service_with_tickets_today_is_named_when_its_removal_is_refused(admin):
    config = admin.get("/api/admin/config", headers=ADMIN).json()
    admin.post("/api/tickets", json={"service": "urbanisme"})
    config["services"] = [s for s in config["services"] if s["id"] != "urbanisme"]
    for k in config["counters"]:
        k["services"] = [s for s in k["services"] if s != "urbanisme"]
    r = admin.put("/api/admin/config", headers=ADMIN, json=config)
    assert r.status_code == 409, r.text
    body = r.json()
    assert (body["error"], body["reason"], body["service"]) == \
        ("site_change_refused", "service_in_use", "urbanisme")


@pytest.mark.parametrize("query, reason", [
    ("from=2026-11-27&to=2026-11-26", "ends_before_start"),
    ("from=2025-01-01&to=2026-12-31", "too_long"),
])
def test_a_bad_period_says_why_as_a_code(admin, query, reason):
    r = admin.get(f"/api/indicators?{query}", headers=SUPERVISOR)
    assert r.status_code == 422
    body = r.json()
    assert (body["error"], body["reason"]) == ("invalid_period", reason)
    assert body["max_days"] == 366


def test_a_malformed_request_lists_its_fields(admin):
    r = admin.get("/api/indicators?from=&to=2026-11-26", headers=SUPERVISOR)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request"
    assert [f["field"] for f in body["fields"]] == ["from"]


@pytest.mark.parametrize("address", ["/ticket/<script>", "/ticket/a%20b", "/ticket/" + "x" * 65,
                                     "/ticket/a/b"])
def test_a_malformed_ticket_address_is_the_ticket_page_not_json(admin, address):
    r = admin.get(address)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert 'src="static/ticket.js"' in r.text


def test_an_unknown_page_in_a_browser_is_a_page_with_a_way_back(admin):
    r = admin.get("/guichett", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert 'lang="fr"' in r.text and "Page introuvable" in r.text and 'href="/"' in r.text
    assert "Page not found" in r.text  # the same in English, marked as such
    # the API and programs still get JSON
    assert admin.get("/api/nothing", headers={"Accept": "text/html"}).json()["error"] == "not_found"
    assert admin.get("/guichett").json()["error"] == "not_found"
