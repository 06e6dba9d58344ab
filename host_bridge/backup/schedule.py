"""The bridge's scheduled backups ([backup] of the site file): a thread that takes one when due,
removes the copies beyond `keep`, and says how the last one went — on `app.state.backups.last`
for /metrics, and in `<folder>/last-backup.json` for `suivant doctor` (another process).

Due: daily at `at` (site time) or every `every_hours`; and ten minutes after the start when the
last one is older than that (a server switched off at night still gets its copy).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time as clock
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ..service.periodic import Periodic
from .take import MANIFEST, BackupFailed, take_backup

log = logging.getLogger(__name__)
STATUS = "last-backup.json"
CATCH_UP = timedelta(minutes=10)
_STALE_PARTIAL = 24 * 3600  # a `.partial` folder this old is a killed backup's


@dataclass(frozen=True)
class LastBackup:
    at: str  # ISO 8601, UTC
    ok: bool
    folder: str | None  # the backup's folder, when it worked
    error: str | None
    seconds: float
    removed: int = 0  # old copies removed after it


def read_status(folder: Path) -> LastBackup | None:
    """The last result written there; None when there is none or it is not one of ours."""
    try:
        last = LastBackup(**json.loads((folder / STATUS).read_text(encoding="utf-8")))
        if datetime.fromisoformat(last.at).tzinfo is None:
            return None
    except (OSError, ValueError, TypeError):
        return None
    return last


def write_status(folder: Path, last: LastBackup) -> None:
    tmp = folder / (STATUS + ".tmp")
    tmp.write_text(json.dumps(asdict(last)), encoding="utf-8")
    os.replace(tmp, folder / STATUS)


def prune(folder: Path, site_id: str, keep: int) -> int:
    """Remove this site's backups beyond the `keep` newest (the folder may hold others' files:
    only `<site>-<time>` folders with a manifest are counted). -> how many were removed."""
    name = re.compile(re.escape(site_id) + r"-\d{4}-\d\d-\d\dT\d{6}Z(-\d+)?")
    ours = sorted(p for p in folder.iterdir()
                  if p.is_dir() and name.fullmatch(p.name) and (p / MANIFEST).is_file())
    old = ours[:-keep] if keep else ours
    for p in old:
        shutil.rmtree(p)
    for p in folder.glob(f"{site_id}-*.partial"):
        if clock.time() - p.stat().st_mtime > _STALE_PARTIAL:
            shutil.rmtree(p, ignore_errors=True)
    return len(old)


def backup_now(settings, folder: Path) -> LastBackup:
    """One backup into `folder`, the old ones pruned, the result written there. Never raises
    for a failed backup: it is the result."""
    started = clock.monotonic()
    at = datetime.now(timezone.utc)
    try:
        taken = take_backup(settings, folder, at)
        removed = prune(folder, settings.site.id, settings.backup.keep)
        last = LastBackup(at.isoformat(timespec="seconds"), True, str(taken.folder), None,
                          round(clock.monotonic() - started, 3), removed)
    except (BackupFailed, OSError) as exc:
        last = LastBackup(at.isoformat(timespec="seconds"), False, None, str(exc),
                          round(clock.monotonic() - started, 3))
    if folder.is_dir():  # else the failure says why (no folder to write in)
        try:
            write_status(folder, last)
        except OSError as exc:
            log.error("cannot write %s in %s: %s", STATUS, folder, exc)
    return last


class ScheduledBackups:
    def __init__(self, settings):
        self.settings = settings
        self.config = settings.backup
        self.folder = self.config.folder_for(settings.db_path)
        self.tz = ZoneInfo(settings.site.timezone)
        self.last = read_status(self.folder)  # the latest one, even from before a restart
        self.next_at = self.first_due(datetime.now(timezone.utc))
        # the wall clock looked at every minute: a changed clock (NTP, DST) is followed
        self._rounds = Periodic("scheduled-backups", self.tick, 60.0, join_s=30,
                                failed="the backup failed; the next one is still planned")

    def period(self) -> timedelta:
        return timedelta(hours=self.config.every_hours or 24)

    def due_after(self, moment: datetime) -> datetime:
        if self.config.every_hours:
            return moment + self.period()
        local = moment.astimezone(self.tz)
        at = datetime.combine(local.date(), self.config.at, self.tz)
        if at <= local:
            at = datetime.combine(local.date() + timedelta(days=1), self.config.at, self.tz)
        return at.astimezone(timezone.utc)

    def first_due(self, now: datetime) -> datetime:
        last_ok = self.last is not None and self.last.ok
        if not last_ok or now - datetime.fromisoformat(self.last.at) > self.period():
            return now + CATCH_UP
        if self.config.every_hours:
            return max(datetime.fromisoformat(self.last.at) + self.period(), now)
        return self.due_after(now)

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
        if self._seconds_left() > 0:
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

    def _seconds_left(self) -> float:
        return (self.next_at - datetime.now(timezone.utc)).total_seconds()
