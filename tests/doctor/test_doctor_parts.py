"""`suivant doctor`'s parts without a running site: where it finds the bridge, what it refuses
before checking anything, the clock's sources, a damaged or newer database, the printers that
are not a TCP port, the embedded broker, and the exit status."""
from __future__ import annotations

import contextlib
import dataclasses
import io
import sqlite3
from pathlib import Path

import pytest

from host_bridge.cli import main
from host_bridge.doctor import host_checks, link_checks, store_checks
from host_bridge.doctor.bridge_view import BridgeView, unit_url
from host_bridge.doctor.report import Status, exit_code, fail, ok, render, skip, warn
from host_bridge.site_config import PrinterSettings
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["doctor", *argv])
        except SystemExit as exc:  # argparse's refusals
            code = exc.code
    return code, out.getvalue(), err.getvalue()


# ----- where the bridge listens -------------------------------------------------------------

@pytest.mark.parametrize("exec_start, url", [
    ("/opt/suivant/bin/suivant serve --config {config} --host 0.0.0.0 --port 8181",
     "http://127.0.0.1:8181"),
    ("/usr/bin/python3 -m host_bridge.cli serve --config={config} --port=9000",
     "http://127.0.0.1:9000"),
    ("-/opt/s/bin/suivant serve --config {config} --host :: ", "http://[::1]:8080"),
    ("/opt/s/bin/suivant serve --config {config} --host 192.168.1.5", "http://192.168.1.5:8080"),
    ("/opt/s/bin/suivant serve --config /etc/other/site.toml --port 8181", None),
    ("/opt/s/bin/suivant backup --config {config}", None),
])
def test_the_bridge_address_is_read_from_the_unit_that_serves_this_site_file(
        tmp_path, exec_start, url):
    config = tmp_path / "site.toml"
    units = tmp_path / "units"
    units.mkdir()
    (units / "suivant.service").write_text(
        f"[Service]\nUser=suivant\nExecStart={exec_start.format(config=config)}\n")
    found = unit_url(str(config), (str(units), str(tmp_path / "missing")))
    assert (found[0] if found else None) == url


# ----- refused before anything is checked ---------------------------------------------------

def test_an_invalid_site_file_is_the_only_finding_with_its_error_as_check_config_says_it(
        tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text(EXAMPLE.read_text().replace('id = "mairie-villeneuve"', 'id = "Mairie!"'))
    code, out, _ = run("--config", str(bad), "--url", "http://127.0.0.1:9")
    lines = out.splitlines()
    assert lines[0].startswith(f"FAIL  config  {bad}: site.id: lowercase letters")
    assert f"suivant check-config {bad}" in lines[1]
    assert len(lines) == 3 and code == 2  # the verdict line, and no other check


@pytest.mark.parametrize("content, said", [
    (None, "cannot read the token file"),
    ("two words\n", "should hold one token"),
    ("", "should hold one token"),
    ("x" * 5000, "should hold one token"),
])
def test_a_bad_token_file_is_refused_before_anything_is_checked(tmp_path, content, said):
    token = tmp_path / "token"
    if content is not None:
        token.write_text(content)
    code, out, err = run("--config", str(EXAMPLE), "--token-file", str(token))
    assert code == 2 and out == "" and said in err


def test_quiet_after_is_bounded(tmp_path):
    code, out, err = run("--config", str(EXAMPLE), "--quiet-after", "5")
    assert code == 2 and "--quiet-after must be 30 to 86400, got 5" in err and out == ""


# ----- the clock: timedatectl, else chronyc, else "could not tell" --------------------------

def _tools(folder: Path, **scripts: str) -> None:
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)


@pytest.mark.parametrize("scripts, status, said", [
    ({"timedatectl": "echo yes"}, Status.OK, "synchronised"),
    ({"timedatectl": "echo no"}, Status.FAIL, "not synchronised, says timedatectl"),
    # no systemd as PID 1 (a container): timedatectl fails, chrony answers
    ({"timedatectl": "echo 'System has not been booted with systemd' >&2; exit 1",
      "chronyc": "echo 'Reference ID    : C0A80001'; echo 'Leap status     : Normal'"},
     Status.OK, "leap status Normal"),
    ({"chronyc": "echo 'Leap status     : Not synchronised'"}, Status.FAIL,
     "not synchronised, says chronyc"),
    ({}, Status.WARN, "could not tell"),
])
def test_the_clock_is_asked_to_timedatectl_then_chronyc(tmp_path, monkeypatch, scripts, status,
                                                        said):
    _tools(tmp_path / "bin", **scripts)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # only these: the machine's are not asked
    [finding] = host_checks.clock(None)
    assert finding.status is status and said in finding.found
    assert (finding.advice != "") == (status is not Status.OK)


# ----- the database -------------------------------------------------------------------------

def test_a_missing_database_fails_saying_where_it_looked(settings):
    [finding] = store_checks.database(settings)
    assert finding.status is Status.FAIL
    assert finding.found == f"{settings.db_path} does not exist"


def test_a_damaged_database_fails_with_the_restore_advice(settings):
    store = SqliteStore(settings.db_path)
    store.db.execute("CREATE TABLE filler (x TEXT)")
    store.db.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    store.db.execute("CREATE INDEX filler_x ON filler(x)")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name='filler_x'"
                            ).fetchone()[0]
    store.close()
    with open(settings.db_path, "r+b") as f:  # the index's root page, overwritten
        f.seek((root - 1) * 4096 + 100)
        f.write(b"\xff" * 3000)
    findings = {f.check: f for f in store_checks.database(settings)}
    assert findings["database"].status is Status.FAIL
    assert "is damaged" in findings["database"].found
    assert "section 17" in findings["database"].advice


def test_a_database_from_a_newer_suivant_fails_the_schema_check(settings):
    SqliteStore(settings.db_path).close()
    db = sqlite3.connect(settings.db_path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    findings = {f.check: f for f in store_checks.database(settings)}
    assert findings["database"].status is Status.OK
    assert findings["schema"].status is Status.FAIL
    assert "version 99, made by a newer Suivant" in findings["schema"].found


# ----- printers that are not a TCP port -----------------------------------------------------

@pytest.mark.parametrize("url, status, said", [
    ("usb:dead:beef", Status.FAIL, "no USB device dead:beef plugged in"),
    ("file:/dev/null", Status.OK, "/dev/null is there and writable"),
    ("file:/dev/usb/lp-not-here", Status.FAIL, "/dev/usb/lp-not-here does not exist"),
])
def test_usb_and_device_file_printers(settings, url, status, said):
    [finding] = host_checks.printer(dataclasses.replace(settings, printer=PrinterSettings(url)))
    assert finding.status is status and finding.found.startswith(said)


# ----- the report ---------------------------------------------------------------------------

@pytest.mark.parametrize("statuses, code", [
    ([ok, skip], 0), ([ok, warn], 1), ([ok, warn, fail], 2), ([fail], 2), ([skip], 0),
])
def test_the_exit_status_is_the_worst_finding(statuses, code):
    findings = [f("x", "found") if f in (ok, skip) else f("x", "found", "do this")
                for f in statuses]
    assert exit_code(findings) == code


def test_the_report_puts_the_advice_under_its_finding():
    text = render([ok("config", "valid"), fail("printer", "does not answer", "switch it on")])
    assert text.splitlines() == [
        "OK    config   valid",
        "FAIL  printer  does not answer",
        "               -> switch it on",
        "1 OK, 0 warning(s), 1 failure(s): something is broken: see the advice above"]


# ----- the embedded broker: it lives in the bridge ------------------------------------------

@pytest.mark.parametrize("health, status, said", [
    ({"site": "mairie-villeneuve", "mqtt": "connected"}, Status.OK,
     "the bridge is connected to the embedded broker (inside the bridge)"),
    (None, Status.FAIL, "the embedded broker (inside the bridge) is down with the bridge"),
    ({"site": "mairie-villeneuve", "mqtt": "disconnected"}, Status.FAIL,
     "the bridge is not connected to the embedded broker"),
    ({"site": "mairie-villeneuve"}, Status.WARN, "does not say whether it reaches"),
])
def test_the_embedded_broker_is_judged_from_the_bridge_without_connecting(settings, health,
                                                                          status, said):
    assert settings.mqtt.embedded  # the example site names no broker
    view = BridgeView("http://127.0.0.1:9", health, None if health else "Connection refused")
    [finding] = link_checks.broker(settings, view)
    assert finding.status is status and said in finding.found
