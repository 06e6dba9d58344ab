"""How a site's last backup is said and read: one status file per site in a shared folder (the
older per-folder file still read for the site's own copies), the old copies that cannot be
removed said apart from the backup made, a status dated ahead of the clock taken as stale, and
the daily due time always ahead of the clock, across the changes of time too."""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import threading
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from host_bridge.backup import take
from host_bridge.backup.prune import prune
from host_bridge.backup.schedule import CATCH_UP, ScheduledBackups, backup_now
from host_bridge.backup.settings import BackupSettings
from host_bridge.backup.status import LEGACY, LastBackup, read_status, status_path, write_status
from host_bridge.backup.take import take_backup
from host_bridge.cli import main
from host_bridge.doctor import host_checks
from host_bridge.doctor.report import Status
from host_bridge.store.sqlite_store import SqliteStore
from support import example_settings

SITE = "mairie-villeneuve"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def settings(tmp_path):
    s = example_settings(tmp_path)
    SqliteStore(s.db_path).close()
    return dataclasses.replace(s, backup=BackupSettings(folder=str(tmp_path / "backups"), keep=1))


def status(**change) -> LastBackup:
    return dataclasses.replace(LastBackup(NOW.isoformat(timespec="seconds"), True,
                                          f"/b/{SITE}-2026-12-07T030000Z", None, 1.0), **change)


# ----- one status per site --------------------------------------------------------------------

def test_the_older_per_folder_status_is_read_only_for_the_sites_own_copies(tmp_path):
    (tmp_path / LEGACY).write_text(json.dumps(dataclasses.asdict(status())))
    assert read_status(tmp_path, SITE) == status()
    assert read_status(tmp_path, "mairie") is None  # "mairie-villeneuve-…" is not mairie's
    write_status(tmp_path, SITE, status(ok=False, folder=None, error="disk full"))
    assert read_status(tmp_path, SITE).error == "disk full"  # its own file first


def test_a_status_file_too_big_or_unreadable_is_no_status(tmp_path):
    status_path(tmp_path, SITE).write_bytes(b" " * 70_000 + json.dumps(
        dataclasses.asdict(status())).encode())
    assert read_status(tmp_path, SITE) is None
    assert read_status(tmp_path / ("x" * 300), SITE) is None  # name too long: not a crash


# ----- old copies that cannot be removed ------------------------------------------------------

def test_two_prunes_at_once_remove_each_old_copy_once_without_error(tmp_path):
    for i in range(40):
        copy = tmp_path / f"{SITE}-2026-01-01T{i:06d}Z"
        copy.mkdir()
        for name in ("manifest.json", *(f"f{j}" for j in range(20))):
            (copy / name).write_text("x")
    results = []
    threads = [threading.Thread(target=lambda: results.append(prune(tmp_path, SITE, 1)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [r.error for r in results] == [None, None]
    assert [p.name for p in tmp_path.iterdir()] == [f"{SITE}-2026-01-01T000039Z"]


def test_a_prune_failure_leaves_the_backup_made_and_doctor_warns_with_the_fix(
        settings, monkeypatch, caplog):
    backup_now(settings, Path(settings.backup.folder))

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr("host_bridge.backup.prune._remove", refused)  # as root, no real refusal
    with caplog.at_level(logging.ERROR, "host_bridge.backup.schedule"):
        last = backup_now(settings, Path(settings.backup.folder))
    assert last.ok and Path(last.folder).is_dir() and last.removed == 0
    assert "Permission denied" in last.prune_error
    assert any("made, but cannot remove 1 older" in r.getMessage() for r in caplog.records)
    [finding] = host_checks.backup(settings)
    assert finding.status is Status.WARN, finding
    with open(settings.source, "a", encoding="utf-8") as site_file:
        site_file.write("\n[backup]\nkeep = 1\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["backup", "--config", settings.source, "--db", settings.db_path,
                     "--to", settings.backup.folder]) == 0
    assert "cannot remove 2 older backups" in err.getvalue() and "chown" in err.getvalue()
    assert "went well" in finding.found and "cannot remove 1 older" in finding.found
    assert f"sudo chown -R suivant: {settings.backup.folder}" in finding.advice


def test_a_result_that_cannot_be_written_is_logged_and_leaves_no_partial_file(
        settings, monkeypatch, caplog):
    folder = Path(settings.backup.folder)
    backup_now(settings, folder)

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Path, "write_text", full)
    Path(settings.db_path).write_bytes(b"damaged" * 200)
    with caplog.at_level(logging.ERROR, "host_bridge.backup.schedule"):
        assert not backup_now(settings, folder).ok
    [said] = [r.getMessage() for r in caplog.records]
    assert "failed: " in said and "No space left on device" in said and "doctor" in said
    assert not list(folder.glob("*.tmp"))


# ----- two backups in the same second, a stick that refuses chmod -----------------------------

def test_a_backup_of_the_same_second_as_another_still_being_written_goes_beside_it(settings,
                                                                                  tmp_path):
    at = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
    to = tmp_path / "to"
    to.mkdir()
    (to / f"{SITE}-2026-12-07T030000Z.partial").mkdir()
    (to / f"{SITE}-2026-12-07T030000Z-2").mkdir()  # finished
    assert take_backup(settings, to, at).folder.name == f"{SITE}-2026-12-07T030000Z-3"


def test_plain_files_are_made_private_without_chmod_that_fat_sticks_refuse(settings, tmp_path,
                                                                          monkeypatch):
    def eperm(*args, **kwargs):  # what vfat and exfat answer
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(take.os, "chmod", eperm)
    old = os.umask(0)
    try:
        taken = take_backup(settings, tmp_path / "stick")
    finally:
        os.umask(old)
    assert "site-file" in [f["role"] for f in taken.manifest["files"]]  # a plain copy
    for f in taken.manifest["files"]:
        assert (taken.folder / f["name"]).stat().st_mode & 0o077 == 0, f


# ----- the clock -----------------------------------------------------------------------------

def test_a_status_dated_ahead_of_the_clock_is_stale_for_the_bridge_and_for_doctor(settings):
    folder = Path(settings.backup.folder)
    folder.mkdir()
    write_status(folder, SITE, status(at=(NOW + timedelta(days=200)).isoformat()))
    s = ScheduledBackups(settings)
    assert s.next_at <= datetime.now(timezone.utc) + CATCH_UP
    [finding] = host_checks.backup(settings)
    assert finding.status is Status.FAIL, finding
    assert "later than this machine's clock" in finding.found and "timedatectl" in finding.advice


@pytest.mark.parametrize("ahead", [timedelta(days=200), timedelta(minutes=30)])
def test_a_running_bridge_whose_clock_is_put_back_plans_its_next_backup_again(settings, ahead):
    s = ScheduledBackups(settings)
    s.last = status(at=(NOW + ahead).isoformat())  # taken while the clock was ahead
    s.next_at = NOW + ahead + timedelta(days=1)
    s.tick()
    planned = s.next_at
    assert planned <= datetime.now(timezone.utc) + CATCH_UP
    s.tick()
    assert s.next_at == planned  # not put off at each round


ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Tehran", "Pacific/Chatham"]


@hypothesis_settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), at=st.times().map(lambda t: t.replace(microsecond=0)),
       moment=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                           timezones=st.just(timezone.utc)))
def test_the_next_daily_backup_is_after_the_moment_and_within_a_day_and_an_hour(zone, at,
                                                                               moment):
    s = object.__new__(ScheduledBackups)  # due_after needs only the table and the zone
    s.config, s.tz = BackupSettings(at=at), ZoneInfo(zone)
    due = s.due_after(moment)
    assert moment < due <= moment + timedelta(hours=25)
    # at, unless the clocks skipped it that night (the offset, not dst(): Lord Howe's
    # half-hour shift reads as no DST in zoneinfo's dst(), found by this test)
    assert due.astimezone(s.tz).time().replace(fold=0) == at or due.astimezone(
        s.tz).utcoffset() != (due - timedelta(hours=2)).astimezone(s.tz).utcoffset()


def test_the_night_the_clocks_go_back_the_daily_backup_is_taken_once(settings):
    s = ScheduledBackups(dataclasses.replace(settings, backup=BackupSettings(at=time(2, 30))))
    moment, taken = datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc), []
    due = s.due_after(moment)
    while moment < datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc):  # the scheduler's rounds
        if due <= moment:
            taken.append(moment)
            due = s.due_after(moment)
        moment += timedelta(minutes=1)
    assert taken == [datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)]  # 02:30 CEST
