"""The appointments' HTTP API on the real app (FastAPI's TestClient, real SQLite): a booking
tool's list in, reception's view out, check-in answered like POST /api/tickets; roles, bounds
and refusals that change nothing."""
from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from host_bridge.appointments import runtime
from host_bridge.bootstrap import build
from host_bridge.service.clock import ManualClock
from support import ADMIN, AGENT, PARIS, SUPERVISOR, example_settings

from appointment_support import at

KIOSK = {"Authorization": "Bearer demo-borne"}
DAY_LIST = {"appointments": [
    {"id": "rdv-1", "at": "10:30", "code": "p7k2qx", "ants": "AB12CD34EF", "initials": "dj"},
    {"id": "rdv-2", "at": "2026-11-26T11:00:00+01:00", "code": "H4M9TR"},
    {"id": "rdv-3", "at": "2026-11-26T09:42", "initials": "MP"}]}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One bridge for the module (Thursday 26 November 2026, 10:00, its clock still): each
    test starts from an empty list of appointments; the queue's tickets add up."""
    folder = tmp_path_factory.mktemp("appointments-api")
    settings = example_settings(folder)
    bridge = build(settings, ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    appointments = runtime.build(settings, bridge.service, bridge.app)
    with TestClient(bridge.app) as c:
        yield c, appointments
    appointments.stop()
    bridge.close()


@pytest.fixture
def client(served):
    client, appointments = served
    with appointments.store._transaction() as db:
        db.execute("DELETE FROM appointments")
    return client


@pytest.fixture
def listed(client):
    r = client.put("/api/appointments/passeports-cni", json=DAY_LIST, headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    assert r.json() == {"service": "passeports-cni", "day": "2026-11-26", "added": 3,
                        "updated": 0, "cancelled": 0}
    return client


def reception(client, **params):
    r = client.get("/api/appointments", params=params, headers=AGENT)
    assert r.status_code == 200, r.text
    return {a["id"]: a for a in r.json()["appointments"]}


def test_reception_sees_todays_list(listed):
    rows = reception(listed)
    assert list(rows) == ["rdv-3", "rdv-1", "rdv-2"]  # by time
    assert rows["rdv-1"] == {"service": "passeports-cni", "at": at("10:30").isoformat(),
                             "time": "10:30", "initials": "DJ", "code": "P7K2QX",
                             "status": "booked", "source": "api", "id": "rdv-1",
                             "ants": "AB12CD34EF", "ticket": None}
    assert reception(listed, service="etat-civil") == {}


def test_a_check_in_answers_like_taking_a_ticket(listed):
    r = listed.post("/api/appointments/check-in", json={"key": "P7K-2QX"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ticket"]["label"].startswith("P") and body["printed"] is False
    assert body["ticket"]["appointment_at"] == at("10:30").isoformat()
    assert body["appointment"]["status"] == "checked_in"
    # the ticket's page knows it
    page = listed.get(f"/api/tickets/{body['ticket']['id']}").json()["ticket"]
    assert page["appointment_at"] == at("10:30").isoformat()
    # again: the same ticket (200), and reception sees its label
    again = listed.post("/api/appointments/check-in", json={"key": "AB12CD34EF"}, headers=KIOSK)
    assert again.status_code == 200 and again.json()["ticket"]["id"] == body["ticket"]["id"]
    assert reception(listed)["rdv-1"]["ticket"] == body["ticket"]["label"]


@pytest.mark.parametrize("key, status, code", [
    ("NOPE42", 404, "unknown_appointment"),
    ("MP 09:42", 201, None),  # 18 min late: a walk-in ticket
])
def test_check_in_answers(listed, key, status, code):
    r = listed.post("/api/appointments/check-in", json={"key": key}, headers=KIOSK)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"] == code
    else:
        assert r.json()["ticket"]["appointment_at"] is None
        assert r.json()["appointment"]["status"] == "late_walk_in"


@pytest.mark.parametrize("key", ["MP 09:42", "09:42 MP", "184213"])  # the last: an rdv id
def test_guessable_keys_are_for_the_kiosk_and_reception_not_anonymous_clients(listed, key):
    """Initials and time, a short number: anyone could guess them, check the citizen in and get
    their ticket's id (and cancel it)."""
    r = listed.post("/api/appointments/check-in", json={"key": key})
    assert (r.status_code, r.json()["error"]) == (403, "appointment_key_not_here"), r.text
    assert "booking code" in r.json()["message"]
    assert reception(listed)["rdv-3"]["status"] == "booked"  # nothing changed
    # and the API's document says it can happen (a client written from it expects it)
    documented = listed.get("/openapi.json").json()["paths"]["/api/appointments/check-in"]
    assert "403" in documented["post"]["responses"]


def test_past_the_no_show_window_a_check_in_is_refused(listed):
    one = {"service": "passeports-cni", "id": "rdv-8", "at": "09:00", "code": "Y8"}
    assert listed.post("/api/appointments", json=one, headers=ADMIN).status_code == 201
    r = listed.post("/api/appointments/check-in", json={"key": "Y8"})
    assert (r.status_code, r.json()["error"]) == (409, "appointment_noshow")


def test_a_cancelled_appointment_is_refused_at_check_in(listed):
    r = listed.delete("/api/appointments/api/rdv-2", headers=ADMIN)
    assert r.status_code == 200 and r.json()["appointment"]["status"] == "cancelled"
    r = listed.post("/api/appointments/check-in", json={"key": "H4M9TR"})
    assert (r.status_code, r.json()["error"]) == (409, "appointment_cancelled")
    assert listed.delete("/api/appointments/api/nope", headers=ADMIN).status_code == 404


def test_one_appointment_added_then_changed(listed):
    one = {"service": "passeports-cni", "id": "rdv-9", "at": "11:30", "code": "Z9"}
    r = listed.post("/api/appointments", json=one, headers=ADMIN)
    assert r.status_code == 201 and r.json()["appointment"]["time"] == "11:30"
    r = listed.post("/api/appointments", json={**one, "at": "11:45"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["appointment"]["time"] == "11:45"


def test_a_new_list_cancels_what_left_it(listed):
    r = listed.put("/api/appointments/passeports-cni", headers=ADMIN,
                   json={"appointments": DAY_LIST["appointments"][:1]})
    assert r.json()["cancelled"] == 2
    assert {k: v["status"] for k, v in reception(listed).items()} == {
        "rdv-1": "booked", "rdv-2": "cancelled", "rdv-3": "cancelled"}


@pytest.mark.parametrize("body, fragment", [
    ({"appointments": [{"id": "x", "at": "25:00", "code": "A"}]}, "neither HH:MM nor ISO"),
    ({"appointments": [{"id": "x", "at": "2026-11-27T10:00", "code": "A"}]}, "is not today"),
    ({"appointments": [{"id": "x", "at": "10:00"}]}, "no code, ants nor initials"),
    ({"appointments": [{"id": "x", "at": "10:00", "ants": "123"}]}, "10-character"),
    ({"appointments": [{"id": "x", "at": "10:00", "code": "A"},
                       {"id": "x", "at": "10:30", "code": "B"}]}, "given twice"),
    ({"appointments": [{"id": "x", "at": "10:00", "code": "A", "name": "Durand"}]}, "name"),
    ({"appointments": [{"id": "x", "at": "10:00", "initials": "Durand"}]}, "initials"),
])
def test_a_bad_list_is_refused_and_changes_nothing(listed, body, fragment):
    r = listed.put("/api/appointments/passeports-cni", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["message"]
    assert len(reception(listed)) == 3 and all(
        a["status"] == "booked" for a in reception(listed).values())


@pytest.mark.parametrize("method, path, headers, status", [
    ("put", "/api/appointments/passeports-cni", AGENT, 403),
    ("put", "/api/appointments/passeports-cni", KIOSK, 403),
    ("put", "/api/appointments/passeports-cni", {}, 401),
    ("get", "/api/appointments", KIOSK, 403),
    ("get", "/api/appointments", {}, 401),
    ("delete", "/api/appointments/api/rdv-1", AGENT, 403),
    ("put", "/api/appointments/nowhere", ADMIN, 404),
])
def test_who_may_do_what(listed, method, path, headers, status):
    kwargs = {"json": DAY_LIST} if method == "put" else {}
    assert getattr(listed, method)(path, headers=headers, **kwargs).status_code == status


def test_the_feeds_status_says_when_a_feed_fails(client):
    r = client.get("/api/appointments/status", headers=SUPERVISOR)
    assert r.status_code == 200
    [feed] = r.json()["feeds"]  # examples/mairie.toml: passeports-cni.ics beside it
    assert feed["service"] == "passeports-cni" and feed["ok"] is False  # not read yet


def test_a_check_in_key_is_bounded(listed):
    r = listed.post("/api/appointments/check-in", json={"key": "A" * 201})
    assert r.status_code == 422
