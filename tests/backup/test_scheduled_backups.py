"""[backup] in the site file and the bridge's scheduled backups: when they are due, how many
are kept, and a failed one logged and said (for /metrics and `suivant doctor`)."""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import datetime, time as time_of_day, timedelta, timezone
from pathlib import Path

import pytest

from host_bridge.backup.schedule import CATCH_UP, LastBackup, ScheduledBackups, backup_now, \
    write_status
from host_bridge.backup.status import status_path
from host_bridge.backup.settings import BackupSettings
from host_bridge.site_config import parse, read_toml
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, PARIS, example_refusal, example_settings


def with_backup(table: dict):
    def change(doc):
        doc["backup"] = table
    return change


def test_a_site_without_backup_table_backs_up_nightly_beside_its_database():
    settings = parse(read_toml(EXAMPLE), "site.toml")
    assert settings.backup == BackupSettings(True, None, time_of_day(3, 0), None, 14)
    assert settings.backup.folder_for("/var/lib/suivant/suivant.db") == Path(
        "/var/lib/suivant/backups")


def test_the_backup_table_is_read_with_its_folder_beside_the_site_file(tmp_path):
    doc = read_toml(EXAMPLE)
    doc["backup"] = {"folder": "sauvegardes", "every_hours": 6, "keep": 30}
    settings = parse(doc, str(tmp_path / "site.toml"))
    assert settings.backup == BackupSettings(True, str(tmp_path / "sauvegardes"), None, 6, 30)
    doc["backup"] = {"at": "22:45", "enabled": False}
    assert parse(doc, "site.toml").backup.at == time_of_day(22, 45)


@pytest.mark.parametrize("table, key, words", [
    ({"at": "25:00"}, "backup.at", '"HH:MM"'),
    ({"at": 3}, "backup.at", "expected str"),
    ({"every_hours": 0}, "backup.every_hours", "1 to 168"),
    ({"every_hours": 6, "at": "03:00"}, "backup.every_hours", "not both"),
    ({"keep": 0}, "backup.keep", "1 to 1000"),
    ({"folder": " "}, "backup.folder", "not empty"),
    ({"enabled": "yes"}, "backup.enabled", "expected bool"),
    ({"every": 6}, "backup.every", "unknown key"),
])
def test_a_bad_backup_table_is_refused_naming_its_key(table, key, words):
    refused = example_refusal(with_backup(table))
    assert refused.key == key and words in refused.reason, refused


def schedule(tmp_path, **backup) -> ScheduledBackups:
    settings = example_settings(tmp_path)
    settings = dataclasses.replace(settings, backup=BackupSettings(
        folder=str(tmp_path / "backups"), **backup))
    SqliteStore(settings.db_path).close()
    return ScheduledBackups(settings)


def test_a_daily_backup_is_due_at_its_site_time_and_the_first_catches_up(tmp_path):
    s = schedule(tmp_path)
    at = datetime(2026, 3, 28, 2, 0, tzinfo=PARIS)  # the night before summer time
    assert s.due_after(at) == datetime(2026, 3, 28, 3, 0, tzinfo=PARIS)
    assert s.due_after(datetime(2026, 3, 28, 3, 0, tzinfo=PARIS)) == datetime(
        2026, 3, 29, 3, 0, tzinfo=PARIS)  # 03:00 Paris, one hour sooner in UTC
    now = datetime.now(timezone.utc)
    assert s.first_due(now) == now + CATCH_UP  # never backed up: ten minutes after the start
    s.last = LastBackup((now - timedelta(hours=2)).isoformat(), True, "x", None, 0.1)
    assert s.first_due(now) == s.due_after(now)
    s.last = dataclasses.replace(s.last, ok=False)
    assert s.first_due(now) == now + CATCH_UP  # the last one failed: again soon


def test_every_few_hours_counts_from_the_last_backup(tmp_path):
    s = schedule(tmp_path, at=None, every_hours=6)
    now = datetime.now(timezone.utc)
    s.last = LastBackup((now - timedelta(hours=2)).isoformat(), True, "x", None, 0.1)
    assert s.first_due(now) == now + timedelta(hours=4)
    s.last = LastBackup((now - timedelta(hours=7)).isoformat(), True, "x", None, 0.1)
    assert s.first_due(now) == now + CATCH_UP


def test_only_the_newest_backups_of_the_site_are_kept(tmp_path):
    s = schedule(tmp_path, keep=2)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("the IT's own file")
    (folder / "mairie-ailleurs-2020-01-01T000000Z").mkdir()  # another site's: not ours
    made = [s.run_once() for _ in range(3)]
    assert all(m.ok for m in made) and made[-1].removed == 1
    ours = sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and p.name.startswith("mairie-villeneuve"))
    assert ours == sorted(Path(m.folder).name for m in made[1:])
    assert (folder / "notes.txt").exists() and (folder / "mairie-ailleurs-2020-01-01T000000Z").exists()
    status = json.loads(status_path(folder, "mairie-villeneuve").read_text())
    assert status["ok"] and status["folder"] == made[-1].folder
    assert ScheduledBackups(s.settings).last == made[-1]  # read again after a restart


def test_a_failed_backup_is_logged_and_said_where_metrics_and_doctor_read(tmp_path, caplog):
    s = schedule(tmp_path)
    (tmp_path / "backups").write_text("a file where the folder should be")
    with caplog.at_level(logging.ERROR, "host_bridge.backup.schedule"):
        last = s.run_once()
    assert not last.ok and "backup into" in last.error and last.folder is None
    assert s.last == last
    assert any("backup failed" in r.getMessage() for r in caplog.records)


def test_the_result_file_is_replaced_whole(tmp_path):
    write_status(tmp_path, "mairie", LastBackup("2026-01-01T03:00:00+00:00", True, "f", None, 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mairie.last-backup.json"]


def test_the_scheduled_thread_takes_a_due_backup_and_stops_at_once(tmp_path):
    # every 6 hours, not the daily 03:00: run between 02:30 and 03:00 Paris, the next daily
    # one would be less than 30 minutes away (the test failed at 01:48 UTC)
    s = schedule(tmp_path, every_hours=6)
    s.next_at = datetime.now(timezone.utc)
    s.start()
    deadline = time.monotonic() + 20
    while s.last is None and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    s.stop()
    assert time.monotonic() - started < 2
    assert s.last is not None and s.last.ok
    assert s.next_at > datetime.now(timezone.utc) + timedelta(hours=5)


def test_backup_now_writes_nothing_but_the_result_when_the_database_is_unreadable(tmp_path):
    settings = example_settings(tmp_path)
    Path(settings.db_path).write_bytes(b"not a database at all, just bytes" * 200)
    last = backup_now(settings, tmp_path / "backups")
    assert not last.ok
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [
        "mairie-villeneuve.last-backup.json"]


@pytest.mark.parametrize("text", ['{"at": "yesterday", "ok": true, "folder": null, '
                                  '"error": null, "seconds": 1}',
                                  '{"at": "2026-01-01T03:00:00", "ok": true, "folder": null, '
                                  '"error": null, "seconds": 1}', "[]", "\xff"])
def test_a_garbled_result_file_does_not_stop_the_bridge_it_only_brings_a_backup_sooner(
        tmp_path, text):
    (tmp_path / "backups").mkdir()
    status_path(tmp_path / "backups", "mairie-villeneuve").write_text(text)
    s = schedule(tmp_path)
    assert s.last is None and s.next_at <= datetime.now(timezone.utc) + CATCH_UP
