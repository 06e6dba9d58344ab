"""`suivant agent ...` run as a site's administrator would (a subprocess), against the staff
file the bridge then signs people in with."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from bridge_process import site_config_copy
from host_bridge.bootstrap import build
from host_bridge.site_config import load
from support import ADMIN, ROOT

CLI = [sys.executable, "-m", "host_bridge.cli"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                 os.environ.get("PYTHONPATH")]))}
PASSWORD = "ma-phrase-de-passe"


def agent(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "agent", *args], cwd=ROOT, env=ENV, input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def site(tmp_path):
    return str(site_config_copy(tmp_path / "site.toml"))


def signed_in(site: str, login: str, password: str) -> int:
    bridge = build(load(site))
    try:
        with TestClient(bridge.app) as client:
            return client.post("/api/staff/sign-in",
                               json={"login": login, "password": password}).status_code
    finally:
        bridge.close()


def test_an_account_added_from_the_command_line_signs_in_at_the_bridge(site):
    r = agent("add", "--config", site, "claire", "--name", "Claire Martin", "--role", "agent",
              "--counters", "1,2", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "claire: Claire Martin, agent, counters 1, 2 — added"
    assert PASSWORD not in r.stdout + r.stderr
    listed = agent("list", "--config", site).stdout
    assert listed.split() == ["claire", "agent", "counters", "1,2", "active", "Claire", "Martin"]
    assert signed_in(site, "claire", PASSWORD) == 200


def test_a_password_is_never_taken_from_the_command_line(site):
    r = agent("add", "--config", site, "claire", "--name", "C", "--role", "agent",
              "--password", PASSWORD)
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr
    assert "no named account yet" in agent("list", "--config", site).stdout


@pytest.mark.parametrize("args, stdin, reason", [
    (["Claire", "--name", "C", "--role", "agent"], PASSWORD, "login"),
    (["claire", "--name", "C", "--role", "agent"], "court", "12 to 128 characters"),
    (["claire", "--name", "C", "--role", "agent", "--counters", "1,42"], PASSWORD,
     "unknown counter 42"),
    (["agents", "--name", "C", "--role", "agent"], PASSWORD, "staff token"),  # the config's name
])
def test_a_refused_account_is_not_added_and_the_reason_is_one_line(site, args, stdin, reason):
    r = agent("add", "--config", site, *args, "--password-stdin", stdin=stdin + "\n")
    assert r.returncode == 2
    assert r.stderr.startswith("suivant: nothing changed:") and reason in r.stderr
    assert stdin not in r.stderr
    assert "no named account yet" in agent("list", "--config", site).stdout


def test_reset_password_disable_and_enable_then_the_audit_says_who_did_it(site):
    agent("add", "--config", site, "paul", "--name", "Paul", "--role", "supervisor",
          "--password-stdin", stdin=PASSWORD + "\n")
    r = agent("reset-password", "--config", site, "paul", "--password-stdin",
              stdin="une-autre-phrase\n")
    assert r.returncode == 0, r.stderr
    assert signed_in(site, "paul", PASSWORD) == 401
    assert signed_in(site, "paul", "une-autre-phrase") == 200
    assert agent("disable", "--config", site, "paul").returncode == 0
    assert "disabled" in agent("list", "--config", site).stdout
    assert signed_in(site, "paul", "une-autre-phrase") == 403
    assert agent("enable", "--config", site, "paul").returncode == 0
    assert signed_in(site, "paul", "une-autre-phrase") == 200
    r = agent("reset-password", "--config", site, "nobody", "--password-stdin",
              stdin="une-autre-phrase\n")
    assert r.returncode == 2 and "no such account" in r.stderr
    lines = agent("audit", "--config", site).stdout.splitlines()
    actions = [line.split("  ")[3] for line in lines]
    assert actions == ["account_created", "password_reset", "sign_in_failed", "sign_in",
                       "account_changed", "sign_in_refused", "account_changed", "sign_in"]
    assert all(line.split("  ")[2].startswith("cli") for line in lines
               if line.split("  ")[3] in ("account_created", "account_changed", "password_reset"))
    assert "une-autre-phrase" not in "\n".join(lines)
    only = agent("audit", "--config", site, "--actor", "paul").stdout.splitlines()
    assert len(only) == 4  # the sign-ins


def test_the_bridges_admin_api_and_the_command_line_share_the_accounts(site):
    agent("add", "--config", site, "ines", "--name", "Inès", "--role", "admin",
          "--password-stdin", stdin=PASSWORD + "\n")
    bridge = build(load(site))
    try:
        with TestClient(bridge.app) as client:
            accounts = client.get("/api/staff/accounts", headers=ADMIN)
            assert accounts.status_code == 200
            assert [a["login"] for a in accounts.json()["accounts"]] == ["ines"]
    finally:
        bridge.close()


def test_the_agent_command_has_a_help_for_each_action():
    r = subprocess.run([*CLI, "--help"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert "agent" in r.stdout
    for action in ("add", "list", "reset-password", "disable", "enable", "audit"):
        r = agent(action, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: suivant agent {action}")


def test_check_config_warns_that_a_shared_agent_token_is_deprecated_and_says_what_replaces_it(
        site):
    r = subprocess.run([*CLI, "check-config", site], cwd=ROOT, env=ENV, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""  # still valid: deprecated, not refused
    warnings = [line for line in r.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1  # the example's one agent token; the kiosk's, supervisor's and
    assert "'agents' is a shared agent token" in warnings[0]  # admin's are not people's desks
    assert f"suivant agent add --config {site} LOGIN" in warnings[0]


def test_a_restricted_agent_tokens_warning_keeps_its_counters(site):
    import dataclasses

    from host_bridge.cli import shared_agent_tokens
    settings = load(site)
    users = tuple(dataclasses.replace(u, counters=(1, 3)) if u.role == "agent" else u
                  for u in settings.users)
    [line] = shared_agent_tokens(dataclasses.replace(settings, users=users), "site.toml")
    assert "--role agent --counters 1,3 —" in line
    no_agent = tuple(u for u in settings.users if u.role != "agent")
    assert shared_agent_tokens(dataclasses.replace(settings, users=no_agent), "site.toml") == []
