"""The bridge's scheduled backups ([backup] of the site file): a thread that takes one when due,
removes the copies beyond `keep`, and says how the last one went — on `app.state.backups.last`
for /metrics, and in `<folder>/<site id>.last-backup.json` for `suivant doctor` (another process).

Due: daily at `at` (site time) or every `every_hours`; and ten minutes after the start when the
last one is older than that (a server switched off at night still gets its copy), or dated ahead
of the clock (taken while the clock was wrong).
"""
from __future__ import annotations

import logging
import time as clock
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ..service.periodic import Periodic
from .prune import Pruned, prune
from .status import LastBackup, read_status, stamped_ahead, status_path, write_status
from .take import BackupFailed, take_backup

__all__ = ["CATCH_UP", "LastBackup", "ScheduledBackups", "backup_now", "read_status",
           "write_status"]
log = logging.getLogger(__name__)
CATCH_UP = timedelta(minutes=10)


def backup_now(settings, folder: Path) -> LastBackup:
    """One backup into `folder`, the old ones pruned, the result written there. Never raises
    for a failed backup: it is the result. Old copies that cannot be removed do not make the
    backup just taken a failed one: they are said apart (`prune_error`)."""
    started = clock.monotonic()
    at = datetime.now(timezone.utc)
    stamp = at.isoformat(timespec="seconds")
    try:
        taken = take_backup(settings, folder, at)
    except (BackupFailed, OSError) as exc:
        last = LastBackup(stamp, False, None, str(exc), round(clock.monotonic() - started, 3))
    else:
        try:
            pruned = prune(folder, settings.site.id, settings.backup.keep)
        except OSError as exc:  # the folder unreadable since the backup went in
            pruned = Pruned(0, f"cannot look for older copies in {folder}: {exc}")
        if pruned.error:
            log.error("backup %s made, but %s ([backup] keep = %d): give them to the bridge's "
                      "user (chown) or remove them", taken.folder, pruned.error,
                      settings.backup.keep)
        last = LastBackup(stamp, True, str(taken.folder), None,
                          round(clock.monotonic() - started, 3), pruned.removed, pruned.error)
    _record(folder, settings.site.id, last)
    return last


def _record(folder: Path, site_id: str, last: LastBackup) -> None:
    try:
        write_status(folder, site_id, last)
    except FileNotFoundError:  # no folder to write in: the failure says why
        pass
    except OSError as exc:  # a full disk: doctor goes on reading the result before this one
        log.error("the result of this backup (%s) could not be written in %s: %s; `suivant "
                  "doctor` goes on showing the one before",
                  "made" if last.ok else f"failed: {last.error}",
                  status_path(folder, site_id), exc)


class ScheduledBackups:
    def __init__(self, settings):
        self.settings = settings
        self.config = settings.backup
        self.folder = self.config.folder_for(settings.db_path)
        self.tz = ZoneInfo(settings.site.timezone)
        # the latest one, even from before a restart
        self.last = read_status(self.folder, settings.site.id)
        self.next_at = self.first_due(datetime.now(timezone.utc))
        # the wall clock looked at every minute: a changed clock (NTP, DST) is followed
        self._rounds = Periodic("scheduled-backups", self.tick, 60.0, join_s=30,
                                failed="the backup failed; the next one is still planned")

    def period(self) -> timedelta:
        return timedelta(hours=self.config.every_hours or 24)

    def due_after(self, moment: datetime) -> datetime:
        """The next due time, always after `moment`: compared in UTC, as wall times are not (in
        the hour the clocks go back, 02:30 of the first pass is gone during the second)."""
        if self.config.every_hours:
            return moment + self.period()
        day = moment.astimezone(self.tz).date()
        for days in range(3):  # today's, else tomorrow's (a third day: a zone's odd midnight)
            at = datetime.combine(day + timedelta(days=days), self.config.at, self.tz)
            if at.astimezone(timezone.utc) > moment.astimezone(timezone.utc):
                return at.astimezone(timezone.utc)
        raise AssertionError(f"no {self.config.at} in the three days after {moment}")

    def first_due(self, now: datetime) -> datetime:
        if not self._recent_success(now):
            return now + CATCH_UP
        if self.config.every_hours:
            return max(datetime.fromisoformat(self.last.at) + self.period(), now)
        return self.due_after(now)

    def _recent_success(self, now: datetime) -> bool:
        last = self.last
        return (last is not None and last.ok and not stamped_ahead(last, now)
                and now - datetime.fromisoformat(last.at) <= self.period())

    def run_once(self) -> LastBackup:
        last = backup_now(self.settings, self.folder)
        if last.ok:
            log.info("backup: %s (%.1f s, %d old removed)", last.folder, last.seconds,
                     last.removed)
        else:
            log.error("backup failed: %s", last.error)
        self.last = last
        return last

    def tick(self) -> None:
        """A round of the thread: the backup, if it is due."""
        now = datetime.now(timezone.utc)
        put_back = self.next_at - now > self.period() + timedelta(hours=1)  # a day: up to 25 h
        if put_back or (self.last is not None and stamped_ahead(self.last, now)):
            planned = min(self.next_at, self.first_due(now))
            if planned != self.next_at:
                log.warning("the clock was put back: the next backup, due %s, is planned again "
                            "at %s", self.next_at.isoformat(timespec="seconds"),
                            planned.isoformat(timespec="seconds"))
                self.next_at = planned
        if self.next_at > now:
            return
        try:
            self.run_once()
        finally:  # a backup that raised (a bug) still leaves the next one planned
            self.next_at = self.due_after(datetime.now(timezone.utc))

    def start(self) -> ScheduledBackups:
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
