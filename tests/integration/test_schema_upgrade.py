"""Schema upgrades at start: release 0.1.0's files (tests/fixtures/release-0.1.0) opened by
today's code, a file from a newer Suivant refused, an upgrade killed mid-way done again."""
from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from host_bridge.appointments.store import AppointmentStore
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService
from host_bridge.site_config import load
from host_bridge.staff.store import StaffStore
from host_bridge.store.migrations import Schema, SchemaMismatch, statements, upgrade
from host_bridge.store.sqlite_store import SCHEMA_VERSION, SqliteStore
from support import EXAMPLE, PARIS, ROOT

RELEASE = ROOT / "tests" / "fixtures" / "release-0.1.0"
END = datetime(2026, 11, 26, 11, 30, tzinfo=PARIS)  # when make_release_0_1_0.py read the state


@pytest.fixture
def old_site(tmp_path) -> Path:
    """A copy of 0.1.0's files: the tests change them."""
    for f in RELEASE.glob("*.db"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def replayed_state(db: str) -> dict:
    import dataclasses
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0))
    store = SqliteStore(db, "FULL", PARIS)
    try:
        service = QueueService(site, store, ManualClock(END))
        return service.read(lambda s: {
            "day": s.day.isoformat(),
            "tickets": {t.id: [t.label, t.status.value, t.counter] for t in s.tickets.values()},
            "counters": {str(n): [k.status.value, k.ticket_id] for n, k in s.counters.items()},
            "waiting": {sid: [t.id for t in q] for sid, q in s.waiting.items()},
        })
    finally:
        store.close()


def header(db: str) -> tuple[int, str | None, int, int]:
    """(user_version, the meta row 0.1.0 reads, events, answers)"""
    con = sqlite3.connect(db)
    try:
        return (con.execute("PRAGMA user_version").fetchone()[0],
                con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0],
                con.execute("SELECT count(*) FROM events").fetchone()[0],
                con.execute("SELECT count(*) FROM requests").fetchone()[0])
    finally:
        con.close()


def test_release_0_1_0s_database_is_upgraded_and_replays_the_same_queue(old_site):
    db = str(old_site / "suivant.db")
    assert header(db) == (0, "1", 64, 60)
    store = SqliteStore(db, "FULL", PARIS)
    assert (store.upgraded.old, store.upgraded.new) == (1, SCHEMA_VERSION)
    assert store.upgraded.kept == db + ".schema1.bak"
    store.close()
    # the version in the header, and in the row 0.1.0 reads (it refuses anything but 1)
    assert header(db) == (SCHEMA_VERSION, str(SCHEMA_VERSION), 64, 60)
    assert header(db + ".schema1.bak") == (0, "1", 64, 60)  # the file as it was
    assert replayed_state(db) == json.loads((RELEASE / "state.json").read_text())
    again = SqliteStore(db, "FULL", PARIS)
    assert again.upgraded is None  # current now: nothing done, no second copy
    again.close()


def test_release_0_1_0s_staff_and_appointment_files_are_upgraded_with_their_data(old_site):
    staff = StaffStore(str(old_site / "suivant.staff.db"))
    assert (staff.upgraded.old, staff.upgraded.new) == (0, 1)
    assert [a.login for a in staff.accounts()] == ["camille"]
    staff.close()
    booked = AppointmentStore(str(old_site / "suivant.appointments.db"), PARIS)
    assert [a.code for a in booked.day(END.date())] == ["4821"]
    booked.close()
    assert (old_site / "suivant.staff.db.schema0.bak").exists()
    assert (old_site / "suivant.appointments.db.schema0.bak").exists()


def test_a_new_file_starts_at_the_current_version_without_a_copy(tmp_path):
    store = SqliteStore(str(tmp_path / "q.db"))
    assert store.upgraded.old == 0 and store.upgraded.kept is None
    store.close()
    assert header(str(tmp_path / "q.db"))[:2] == (SCHEMA_VERSION, str(SCHEMA_VERSION))
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == []


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_from_a_newer_suivant_is_refused_and_left_as_it_is(old_site):
    db = old_site / "suivant.db"
    SqliteStore(str(db)).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.execute("INSERT INTO schema_upgrades VALUES (?, '9.9.0', '2030-01-01')",
                (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    before = digest(db)
    with pytest.raises(SchemaMismatch) as refused:
        SqliteStore(str(db))
    message = str(refused.value)
    for words in (f"schema {SCHEMA_VERSION + 1}", "Suivant 9.9.0",
                  f"knows up to schema {SCHEMA_VERSION}", "install that Suivant again",
                  "suivant restore"):
        assert words in message
    assert digest(db) == before


def test_a_failing_step_leaves_the_file_at_its_old_version_with_nothing_half_done(tmp_path):
    def add_column(db):
        db.execute("ALTER TABLE t ADD COLUMN b TEXT")

    def broken(db):
        db.execute("UPDATE t SET b = 'half'")
        raise RuntimeError("step 3 failed")

    con = sqlite3.connect(tmp_path / "f.db", isolation_level=None)
    base = "CREATE TABLE IF NOT EXISTS t (a TEXT);"
    upgrade(con, str(tmp_path / "f.db"), Schema("a test file", base))
    con.execute("INSERT INTO t VALUES ('kept')")
    with pytest.raises(RuntimeError):
        upgrade(con, str(tmp_path / "f.db"), Schema("a test file", base, (add_column, broken)))
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[1] for r in con.execute("PRAGMA table_info(t)")] == ["a"]  # step 2 undone too
    assert con.execute("SELECT * FROM t").fetchall() == [("kept",)]
    con.close()


def test_statements_are_split_as_sqlite_reads_them():
    assert statements("CREATE TABLE a (x TEXT DEFAULT ';');\nCREATE INDEX i ON a(x);\n") == [
        "CREATE TABLE a (x TEXT DEFAULT ';');", "CREATE INDEX i ON a(x);"]
    with pytest.raises(ValueError, match="incomplete"):
        statements("CREATE TABLE a (x TEXT")


# The real migrator in a process of its own, the queue's steps followed by one the test adds:
# one rewrites every event, the next says so and waits to be killed inside the upgrade's
# transaction.
CHILD = textwrap.dedent("""
    import sqlite3, sys, time
    from host_bridge.store.migrations import Schema, upgrade
    from host_bridge.store.sqlite_store import QUEUE_SCHEMA

    def rewrite(db):
        db.execute("UPDATE events SET body = '{}'")
        db.execute("DELETE FROM requests")

    def slow(db):
        print("inside", flush=True)
        time.sleep(60)

    schema = Schema(QUEUE_SCHEMA.name, QUEUE_SCHEMA.base, (*QUEUE_SCHEMA.steps, rewrite, slow),
                    QUEUE_SCHEMA.legacy_version, QUEUE_SCHEMA.stamp)
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    upgrade(db, sys.argv[1], schema)
""")


def test_an_upgrade_killed_mid_way_is_done_again_at_the_next_start_with_nothing_lost(old_site):
    db = str(old_site / "suivant.db")
    child = subprocess.Popen([sys.executable, "-c", CHILD, db], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "inside"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert header(db) == (0, "1", 64, 60)  # its transaction never happened
    store = SqliteStore(db, "FULL", PARIS)
    assert (store.upgraded.old, store.upgraded.new) == (1, SCHEMA_VERSION)
    store.close()
    assert header(db) == (SCHEMA_VERSION, str(SCHEMA_VERSION), 64, 60)
    assert replayed_state(db) == json.loads((RELEASE / "state.json").read_text())


def test_going_back_restores_the_files_in_the_old_schema_from_a_backup_taken_before(old_site):
    import dataclasses

    from host_bridge.backup.restore import restore_backup
    from host_bridge.backup.take import take_backup
    from support import example_settings
    db = str(old_site / "suivant.db")
    settings = dataclasses.replace(example_settings(old_site), db_path=db)
    before = take_backup(settings, old_site / "backups")  # step 4: the files not yet upgraded
    assert {f["role"]: f["schema"] for f in before.manifest["files"]}["queue"] == 0
    SqliteStore(db).close()  # the new version's start
    restore_backup(settings, before.folder)
    assert header(db) == (0, "1", 64, 60)  # what 0.1.0 reads, as it was
