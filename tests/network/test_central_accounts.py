"""Central's staff accounts on a real PostgreSQL: `suivant central account …`, sign-in and its
lockout, sessions that end (sign-out, idle, disabled, new password), shared by every central
process (two apps on one database), nothing stored that would give a password or a token."""
from __future__ import annotations

import io

import psycopg
import pytest
from fastapi.testclient import TestClient

from host_bridge.central.accounts import IDLE_SECONDS, CentralAccounts
from host_bridge.central.app import Connections, create_app
from host_bridge.cli import main as suivant
from test_central_api import config_for

PASSWORD = "correct horse battery"
SITES = {"mairie-a": "Occitanie", "mairie-b": "Bretagne"}


@pytest.fixture
def central(pg, tmp_path):
    dsn = pg.new_database()
    config = config_for(dsn, tmp_path, SITES)
    apps = [create_app(config), create_app(config)]  # two central processes, one database
    clients = [TestClient(a) for a in apps]
    yield dsn, tmp_path / "central.toml", clients
    for a in apps:
        a.state.connections.close()


def run(config_path, *argv: str, stdin: str = "", monkeypatch=None) -> int:
    """`suivant central account …` as typed (the real command line, its exit status)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return suivant(["central", *argv[:2], "--config", str(config_path), *argv[2:]])


def sign_in(client, login, password=PASSWORD):
    return client.post("/api/central/sign-in", json={"login": login, "password": password})


def bearer(r) -> dict:
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_accounts_made_from_the_command_line_sign_in_with_their_role(central, monkeypatch,
                                                                      capsys):
    dsn, path, (client, _) = central
    assert run(path, "account", "add", "dsi", "--name", "DSI du réseau", "--role", "network",
               "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch) == 0
    assert run(path, "account", "add", "bzh", "--name", "Supervision Bretagne", "--role",
               "region", "--region", "Bretagne", "--password-stdin", stdin=PASSWORD + "\n",
               monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    run(path, "account", "list", monkeypatch=monkeypatch)
    listed = capsys.readouterr().out
    assert "dsi" in listed and "(all regions)" in listed and "Bretagne" in listed
    me = client.get("/api/central/me", headers=bearer(sign_in(client, "bzh"))).json()
    assert (me["role"], me["region"], me["regions"]) == ("region", "Bretagne", ["Bretagne"])
    me = client.get("/api/central/me", headers=bearer(sign_in(client, "dsi"))).json()
    assert (me["role"], me["regions"]) == ("network", ["Bretagne", "Occitanie"])
    with psycopg.connect(dsn) as conn:  # argon2id hashes; tokens only as their SHA-256
        hashes = [r[0] for r in conn.execute("SELECT password FROM central_accounts")]
        assert all(h.startswith("$argon2id$") for h in hashes) and len(hashes) == 2
        digests = [r[0] for r in conn.execute("SELECT token_sha256 FROM central_sessions")]
        assert len(digests) == 2 and all(len(d) == 64 for d in digests)


@pytest.mark.parametrize("argv, why", [
    (["--role", "region", "--region", "Normandie"], "no site of central.toml is in"),
    (["--role", "region"], "needs --region"),
    (["--role", "network", "--region", "Bretagne"], "sees every region"),
])
def test_a_refused_account_says_why_and_adds_nothing(central, monkeypatch, capsys, argv, why):
    dsn, path, _ = central
    assert run(path, "account", "add", "x", "--name", "X", *argv, "--password-stdin",
               stdin=PASSWORD + "\n", monkeypatch=monkeypatch) == 2
    assert why in capsys.readouterr().err
    assert run(path, "account", "add", "x", "--name", "X", "--role", "network",
               "--password-stdin", stdin="short\n", monkeypatch=monkeypatch) == 2
    assert "12 to 128" in capsys.readouterr().err
    assert run(path, "account", "disable", "nobody", monkeypatch=monkeypatch) == 2
    assert "suivant: no account 'nobody': nothing changed" in capsys.readouterr().err
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM central_accounts").fetchone()[0] == 0


def test_five_failures_lock_the_account_and_a_new_password_unlocks_it(central, monkeypatch):
    dsn, path, (client, other) = central
    run(path, "account", "add", "dsi", "--name", "DSI", "--role", "network",
        "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    kept = bearer(sign_in(client, "dsi"))
    unknown = sign_in(client, "nobody", "wrong password!")
    wrong = sign_in(client, "dsi", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401  # the same answer
    assert unknown.json() == wrong.json() == {"error": "sign_in_refused",
                                              "message": "wrong login or password"}
    for _ in range(4):
        sign_in(other, "dsi", "wrong password!")  # another central counts the same failures
    locked = sign_in(client, "dsi")  # the right password, now refused unchecked
    assert locked.status_code == 429 and locked.json()["error"] == "sign_in_locked"
    assert int(locked.headers["retry-after"]) > 800
    run(path, "account", "reset-password", "dsi", "--password-stdin",
        stdin="a brand new password\n", monkeypatch=monkeypatch)
    assert client.get("/api/central/sites", headers=kept).status_code == 401  # sessions ended
    assert sign_in(client, "dsi").status_code == 401  # the old password no more
    fresh = bearer(sign_in(other, "dsi", "a brand new password"))
    assert client.get("/api/central/sites", headers=fresh).status_code == 200  # any central


def test_disabling_ends_sessions_and_sign_out_ends_one(central, monkeypatch):
    dsn, path, (client, other) = central
    run(path, "account", "add", "dsi", "--name", "DSI", "--role", "network",
        "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    one, two = bearer(sign_in(client, "dsi")), bearer(sign_in(client, "dsi"))
    assert other.post("/api/central/sign-out", headers=one).json() == {"signed_out": True}
    assert client.get("/api/central/sites", headers=one).status_code == 401
    assert client.get("/api/central/sites", headers=two).status_code == 200
    run(path, "account", "disable", "dsi", monkeypatch=monkeypatch)
    assert client.get("/api/central/sites", headers=two).status_code == 401
    r = sign_in(client, "dsi")
    assert r.status_code == 403 and r.json()["error"] == "account_disabled"
    run(path, "account", "enable", "dsi", monkeypatch=monkeypatch)
    assert sign_in(client, "dsi").status_code == 200


def test_a_session_unused_for_two_hours_ends(pg):
    dsn = pg.new_database()
    now = [1_800_000_000.0]
    from host_bridge.central.accounts import migrate
    connect = Connections(dsn)
    with connect() as conn:
        migrate(conn)
    people = CentralAccounts(connect, clock=lambda: now[0])
    people.add("dsi", "DSI", "network", "", PASSWORD)
    token, _, _ = people.sign_in("dsi", PASSWORD)
    now[0] += IDLE_SECONDS - 10
    assert people.user_for_token(token).login == "dsi"  # used: the idle time starts again
    now[0] += IDLE_SECONDS - 10
    assert people.user_for_token(token) is not None
    now[0] += IDLE_SECONDS + 1
    assert people.user_for_token(token) is None
    assert people.user_for_token(token) is None  # and it is gone for good
    connect.close()


def test_sign_in_floods_and_huge_bodies_are_refused_before_any_work(central):
    _, _, (client, _) = central
    r = client.post("/api/central/sign-in", content=b"{" + b" " * 70_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    from argon2 import PasswordHasher

    from host_bridge.staff.passwords import Passwords
    # a quick hash: this test counts requests, not the hashing's cost
    client.app.state.accounts.passwords = Passwords(PasswordHasher(1, 8, 1))
    flood = TestClient(client.app, client=("192.0.2.7", 40000))
    answers = []
    for i in range(26):  # 20 at once, then one each 3 s (the hashing takes some of them)
        answers.append(flood.post("/api/central/sign-in",
                                  json={"login": f"x{i}", "password": "y" * 12}))
        if answers[-1].status_code == 429:
            break
    assert [r.status_code for r in answers[:20]] == [401] * 20
    assert answers[-1].status_code == 429 and answers[-1].json()["error"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert client.post("/api/central/sign-in",  # another address is not held up
                       json={"login": "x", "password": "y" * 12}).status_code == 401
