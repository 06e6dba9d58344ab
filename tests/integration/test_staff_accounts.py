"""Named staff accounts at the API (issue 13): sign-in with login and password, sessions used as
Bearer tokens, lockout, disabled accounts, roles, and the audit log of who did what.

Every refusal is checked for its answer and for its absence of effect. Passwords are hashed
with cheap Argon2 parameters here (the real ones take ~0.5 s a hash on this machine); the
parameters themselves are tested in tests/unit/test_staff_directory.py."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from host_bridge.api.deps import staff_of
from host_bridge.bootstrap import build
from host_bridge.domain import commands as c
from host_bridge.staff.directory import LOCK_AFTER, LOCK_SECONDS
from host_bridge.staff.passwords import Passwords
from host_bridge.staff import staff_path

from support import ADMIN, AGENT, SUPERVISOR

PASSWORD = "cheval-agrafe-42"  # 16 characters
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def bridge(settings, clock):
    b = build(settings, clock)
    staff = staff_of(b.app, CHEAP)
    staff.create("test", "claire", "Claire Martin", "agent", [1, 2], PASSWORD, via="test")
    staff.create("test", "paul", "Paul Durand", "supervisor", [], PASSWORD, via="test")
    staff.create("test", "ines", "Inès Admin", "admin", [], PASSWORD, via="test")
    yield b
    staff.close()
    b.close()


@pytest.fixture
def client(bridge):
    with TestClient(bridge.app) as c:
        yield c


def sign_in(client, login="claire", password=PASSWORD, **extra):
    return client.post("/api/staff/sign-in", json={"login": login, "password": password, **extra})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def session(client, login="claire") -> dict:
    r = sign_in(client, login)
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


def state(client, bridge) -> tuple:
    return (client.get("/api/counters").json(), client.get("/api/services").json(),
            bridge.service.store.last_seq())


def audit(client, **params) -> list[dict]:
    r = client.get("/api/staff/audit", headers=ADMIN, params=params)
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def test_an_agent_signs_in_with_login_and_password_and_calls_a_ticket_with_the_session(client):
    r = sign_in(client)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account"] == {"login": "claire", "name": "Claire Martin", "role": "agent",
                               "counters": [1, 2], "disabled": False, "locked": False}
    assert body["expires"] == "2026-11-27T00:00:00+01:00"  # the end of the business day
    me = client.get("/api/me", headers=bearer(body["token"])).json()
    assert me == {"name": "claire", "role": "agent", "counters": [1, 2],
                  "full_name": "Claire Martin", "session": True}
    client.post("/api/tickets", json={"service": "etat-civil"})
    assert client.post("/api/counters/2/open", headers=bearer(body["token"])).status_code == 200
    r = client.post("/api/counters/2/next", headers=bearer(body["token"]))
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"]["label"] == "C001"


@pytest.mark.parametrize("login, password", [("claire", "cheval-agrafe-43"),
                                             ("nobody", PASSWORD), ("", ""),
                                             ("CLAIRE", PASSWORD)])
def test_a_wrong_password_and_an_unknown_login_get_the_same_answer_and_change_nothing(
        client, bridge, login, password):
    before = state(client, bridge)
    r = sign_in(client, login, password)
    assert r.status_code == 401
    assert r.json() == {"error": "sign_in_refused", "message": "wrong login or password"}
    assert state(client, bridge) == before
    assert bridge.app.state.auth.staff.store.db.execute(
        "SELECT count(*) FROM sessions").fetchone() == (0,)


def test_repeated_failures_lock_the_account_even_for_the_right_password_until_15_minutes_pass(
        client, bridge, clock):
    for _ in range(LOCK_AFTER):
        assert sign_in(client, password="not-the-password").status_code == 401
    r = sign_in(client)  # the right password, too late
    assert r.status_code == 429
    assert r.json()["error"] == "sign_in_locked" and "15 min" in r.json()["message"]
    assert int(r.headers["Retry-After"]) == LOCK_SECONDS + 1
    listed = client.get("/api/staff/accounts", headers=ADMIN).json()["accounts"]
    assert next(a for a in listed if a["login"] == "claire")["locked"] is True
    clock.advance(LOCK_SECONDS - 60)
    assert sign_in(client).status_code == 429
    clock.advance(61)
    assert sign_in(client).status_code == 200
    # the count started again: one more failure does not lock
    assert sign_in(client, password="not-the-password").status_code == 401
    assert sign_in(client).status_code == 200
    actions = [(e["actor"], e["action"]) for e in audit(client)]
    assert actions.count(("claire", "sign_in_failed")) == LOCK_AFTER + 1
    assert ("claire", "locked") in actions


def test_an_unknown_login_is_locked_the_same_way_so_locking_tells_nothing(client):
    answers = [sign_in(client, "nobody").status_code for _ in range(LOCK_AFTER + 1)]
    assert answers == [401] * LOCK_AFTER + [429]
    assert sign_in(client, "claire").status_code == 200  # another login is not locked


def test_an_address_is_refused_after_many_failures_whatever_the_logins(client, monkeypatch):
    from host_bridge.staff import directory
    monkeypatch.setattr(directory, "ADDRESS_FAILURES", 8)
    for i in range(8):
        assert sign_in(client, f"guess-{i}").status_code == 401
    r = sign_in(client)  # a real account, right password, from the same address
    assert r.status_code == 429 and r.json()["error"] == "sign_in_locked"


def test_an_administrator_unlocks_an_account_by_setting_a_new_password(client):
    for _ in range(LOCK_AFTER):
        sign_in(client, password="not-the-password")
    r = client.patch("/api/staff/accounts/claire", headers=ADMIN,
                     json={"password": "a-new-password-1"})
    assert r.status_code == 200 and r.json()["locked"] is False
    assert sign_in(client).status_code == 401
    assert sign_in(client, password="a-new-password-1").status_code == 200


def test_a_disabled_account_cannot_sign_in_and_its_open_sessions_end(client, bridge):
    headers = session(client)
    r = client.patch("/api/staff/accounts/claire", headers=ADMIN, json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    before = state(client, bridge)
    r = client.post("/api/counters/1/open", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert state(client, bridge) == before
    r = sign_in(client)
    assert r.status_code == 403 and r.json()["error"] == "account_disabled"
    assert sign_in(client, password="not-the-password").status_code == 401  # no hint
    client.patch("/api/staff/accounts/claire", headers=ADMIN, json={"disabled": False})
    assert sign_in(client).status_code == 200


def test_a_session_ends_after_two_idle_hours_and_at_the_end_of_the_day(client, bridge, clock):
    headers = session(client)
    clock.advance(2 * 3600 - 30)
    assert client.get("/api/me", headers=headers).status_code == 200  # used: idle again from now
    clock.advance(2 * 3600 - 30)
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.advance(2 * 3600 + 1)
    before = state(client, bridge)
    r = client.post("/api/counters/1/open", headers=headers)
    assert r.status_code == 401 and "sign in again" in r.json()["message"]
    assert state(client, bridge) == before
    headers = session(client)  # 16:00: the session ends at midnight whatever its use
    for _ in range(5):
        clock.advance(3600)
        assert client.get("/api/me", headers=headers).status_code == 200
    clock.advance(3 * 3600)  # 00:00 the next day (checked each hour: never idle)
    assert client.get("/api/me", headers=headers).status_code == 401


def test_signing_out_ends_the_session_and_a_config_token_has_none_to_end(client):
    headers = session(client)
    assert client.post("/api/staff/sign-out", headers=headers).json() == {"signed_out": True}
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.post("/api/staff/sign-out", headers=AGENT).json() == {"signed_out": False}
    assert client.get("/api/me", headers=AGENT).status_code == 200


@pytest.mark.parametrize("who, method, url, body", [
    ("paul", "POST", "/api/counters/1/open", None),  # a supervisor acts at no counter
    ("claire", "POST", "/api/counters/3/open", None),  # claire: counters 1 and 2 only
    ("claire", "GET", "/api/staff/accounts", None),
    ("claire", "GET", "/api/staff/audit", None),
    ("claire", "POST", "/api/staff/accounts",
     {"login": "eve", "name": "Eve", "role": "admin", "password": "x" * 20}),
    ("paul", "PATCH", "/api/staff/accounts/claire", {"role": "admin"}),
    ("claire", "GET", "/api/indicators?from=2026-11-01&to=2026-11-26", None),
    ("claire", "PUT", "/api/admin/config", {"rules": {}}),
])
def test_a_session_can_do_only_what_its_role_allows(client, bridge, who, method, url, body):
    headers = session(client, who)
    before = state(client, bridge), client.get("/api/staff/accounts", headers=ADMIN).json()
    r = client.request(method, url, headers=headers, json=body)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden"
    assert (state(client, bridge), client.get("/api/staff/accounts", headers=ADMIN).json()) == before


def test_an_administrator_creates_an_account_by_the_api_and_bad_fields_are_refused(client):
    new = {"login": "marc", "name": "Marc Petit", "role": "agent", "counters": [4],
           "password": "marc-mot-de-passe"}
    for change, field in [({"login": "Marc!"}, "login"), ({"role": "kiosk"}, "role"),
                          ({"counters": [42]}, "counters"), ({"password": "court"}, "password"),
                          ({"name": ""}, "name"), ({"login": "agents"}, "login"),
                          ({"login": "claire"}, "login")]:
        r = client.post("/api/staff/accounts", headers=ADMIN, json={**new, **change})
        assert r.status_code in (409, 422), r.text
        assert r.json()["field"] == field
        assert "court" not in r.text
    assert [a["login"] for a in client.get("/api/staff/accounts", headers=ADMIN).json()[
        "accounts"]] == ["claire", "ines", "paul"]
    admin = session(client, "ines")  # a named administrator, this time
    r = client.post("/api/staff/accounts", headers=admin, json=new)
    assert r.status_code == 201, r.text
    assert r.json() == {"login": "marc", "name": "Marc Petit", "role": "agent", "counters": [4],
                        "disabled": False, "locked": False}
    assert sign_in(client, "marc", "marc-mot-de-passe").status_code == 200
    created = [e for e in audit(client) if e["action"] == "account_created" and e["target"] == "marc"]
    assert created and created[0]["actor"] == "ines" and created[0]["via"] == "api"
    r = client.patch("/api/staff/accounts/ines", headers=admin, json={"disabled": True})
    assert r.status_code == 403  # nobody disables their own account by mistake


def test_the_password_is_never_logged_returned_or_stored(client, bridge, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "un-secret-tres-long-9"
    texts = [client.post("/api/staff/accounts", headers=ADMIN, json={
        "login": "lea", "name": "Léa", "role": "agent", "password": secret}).text]
    for attempt in (secret, secret + "x", secret):
        texts.append(sign_in(client, "lea", attempt).text)
    texts.append(sign_in(client, secret, secret).text)  # a password typed in the login field
    texts.append(client.patch("/api/staff/accounts/lea", headers=ADMIN,
                              json={"password": secret + "2"}).text)
    texts.append(client.get("/api/staff/accounts", headers=ADMIN).text)
    texts.append(client.get("/api/staff/audit", headers=ADMIN).text)
    texts.append(caplog.text)
    texts.append(Path(staff_path(bridge.service.store.path)).read_bytes().decode("latin-1"))
    for text in texts:
        assert secret not in text


def test_the_audit_log_says_who_did_what_at_which_counter_with_no_citizen_data(client, bridge):
    headers = session(client, "claire")
    client.post("/api/tickets", json={"service": "etat-civil", "category": None})
    client.post("/api/counters/2/open", headers=headers)
    client.post("/api/counters/2/next", headers=headers)
    client.post("/api/counters/2/absent", headers=headers)
    client.post("/api/counters/2/undo-absent", headers=headers)
    client.post("/api/counters/1/open", headers=AGENT)  # the shared token: its config name
    assert client.post("/api/counters/3/open", headers=headers).status_code == 403  # refused: not logged
    client.post("/api/staff/sign-out", headers=headers)
    entries = audit(client)
    rows = [(e["actor"], e["action"], e["counter"], e["label"], e["via"]) for e in entries
            if e["action"] not in ("account_created",)]
    assert rows == [
        ("claire", "sign_in", None, None, "console"),
        ("claire", "counter_opened", 2, None, "console"),
        ("claire", "called", 2, "C001", "console"),
        ("claire", "absent", 2, "C001", "console"),
        ("claire", "absence_undone", 2, "C001", "console"),
        ("agents", "counter_opened", 1, None, "console"),
        ("claire", "sign_out", None, None, "console"),
    ]
    assert entries[-1]["at"] == "2026-11-26T10:00:00+01:00"
    ticket_id = bridge.service.read(lambda s: next(iter(s.tickets)))
    assert ticket_id not in client.get("/api/staff/audit", headers=ADMIN).text
    assert [e["action"] for e in audit(client, actor="agents")] == ["counter_opened"]
    assert audit(client, after=entries[-2]["id"]) == [entries[-1]]


def test_the_counters_board_acts_for_the_agent_signed_in_there(client, bridge):
    """A board's press (a device source, no HTTP request) is recorded as done by whoever sits
    at that counter: chosen at sign-in, or by acting there from the console."""
    client.post("/api/tickets", json={"service": "etat-civil"})
    client.post("/api/tickets", json={"service": "etat-civil"})
    sign_in(client, "claire", counter=2)
    client.post("/api/counters/1/open", headers=AGENT)

    def press(counter: int) -> None:  # the board's thread: no request context
        t = threading.Thread(target=bridge.service.execute,
                             args=(c.OpenCounter(counter), "device:board-7"))
        t.start()
        t.join()
        t = threading.Thread(target=bridge.service.execute,
                             args=(c.CallNext(counter), "device:board-7"))
        t.start()
        t.join()
    press(2)
    press(1)  # nobody signed in at counter 1: the token user is no person to sit there
    entries = [(e["actor"], e["action"], e["counter"], e["via"]) for e in audit(client)
               if e["via"] == "board"]
    assert entries == [("claire", "counter_opened", 2, "board"), ("claire", "called", 2, "board"),
                       (None, "called", 1, "board")]
    other = session(client, "ines")
    assert client.post("/api/staff/counter", headers=other, json={"counter": 2}).status_code == 200
    press(2)
    assert audit(client)[-1]["actor"] == "ines"
    assert client.post("/api/staff/counter", headers=AGENT, json={"counter": 2}).status_code == 403
    claire = session(client, "claire")
    r = client.post("/api/staff/counter", headers=claire, json={"counter": 3})
    assert r.status_code == 403  # not one of her counters


def test_staff_routes_answer_401_without_a_token_and_change_nothing(client, bridge):
    for method, url in [("GET", "/api/staff/accounts"), ("GET", "/api/staff/audit"),
                        ("POST", "/api/staff/sign-out"), ("PATCH", "/api/staff/accounts/claire")]:
        before = state(client, bridge)
        r = client.request(method, url, json={})
        assert r.status_code == 401, (url, r.text)
        assert state(client, bridge) == before
    assert SUPERVISOR  # the config's tokens keep working beside the sessions
    assert client.get("/api/me", headers=SUPERVISOR).json()["session"] is False


def test_a_change_of_the_site_is_in_the_audit_log_with_its_sections(client):
    config = client.get("/api/admin/config", headers=ADMIN).json()
    refused = client.put("/api/admin/config", headers=ADMIN, json={"rules": {"max_recalls": 99}})
    assert refused.status_code == 422  # refused: nothing changed, nothing logged
    r = client.put("/api/admin/config", headers=ADMIN,
                   json={"rules": config["rules"], "hours": config["hours"]})
    assert r.status_code == 200, r.text
    changes = [e for e in audit(client) if e["action"] == "site_changed"]
    assert [(e["actor"], e["detail"], e["via"]) for e in changes] == [
        ("admin", "hours, rules", "api")]
