"""Review of issue 16 (scheduled backups): when the next one is due across a change of the clock.
Each test fails while its bug is there."""
from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from host_bridge.backup.schedule import LastBackup, ScheduledBackups
from host_bridge.backup.settings import BackupSettings
from support import example_settings


def schedule(folder: Path, **backup) -> ScheduledBackups:
    settings = example_settings(folder)  # Europe/Paris
    return ScheduledBackups(dataclasses.replace(
        settings, backup=BackupSettings(folder=str(folder / "backups"), **backup)))


def test_on_the_night_the_clocks_go_back_the_next_daily_backup_is_never_due_in_the_past(
        tmp_path):
    """In the hour repeated when the clocks go back, due_after() compares wall times only and
    returns today's `at` of the first pass, already gone: the bridge then takes backups back to
    back (each one pruning a good older copy) until the wall clock passes `at` again."""
    s = schedule(tmp_path, at=time(2, 30))
    # 2026-10-25, Europe/Paris: 03:00 CEST becomes 02:00 CET (00:00 to 01:00 UTC twice 02:xx)
    night = datetime(2026, 10, 24, 23, 0, tzinfo=timezone.utc)
    past = [m for m in (night + timedelta(minutes=i) for i in range(4 * 60))
            if s.due_after(m) <= m]
    assert past == [], (f"{len(past)} moments get a due time already past, e.g. "
                        f"{past[0].isoformat()} -> {s.due_after(past[0]).isoformat()}")


def test_a_last_backup_stamped_in_the_future_does_not_put_the_next_one_off_for_months(
        tmp_path):
    """A last-backup.json written while the server's clock was wrongly ahead (then corrected by
    NTP) makes first_due() wait for that future time plus the period: with every_hours, no
    backup is taken until then, and nothing says so."""
    s = schedule(tmp_path, at=None, every_hours=6)
    now = datetime.now(timezone.utc)
    s.last = LastBackup((now + timedelta(days=200)).isoformat(timespec="seconds"), True,
                        "x", None, 0.1)
    assert s.first_due(now) <= now + timedelta(hours=6)
