"""The queue's database: there, writable, sound, its schema this Suivant's; the disk's room.

Nothing here disturbs the running bridge: the write is made in a transaction rolled back (the
bridge's commits wait for it a few microseconds, their busy timeout is 5 s), and the reads go
through SQLite's own locking.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

from ..site_config import Settings
from ..store.sqlite_copy import file_uri
from .report import Finding, fail, ok, warn

BUSY_S = 1.0  # the bridge holds its write lock for one commit: far less than this
QUICK_CHECK_S = 2.0  # a quick check longer than this is stopped (run it off-hours)
WARN_FREE_BYTES = 1024 ** 3  # a day's history is a few MB: 1 GB is weeks, not hours
FAIL_FREE_BYTES = 100 * 1024 ** 2


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _fix_rights(path: str) -> str:
    return (f"the bridge cannot record anything. Check that the file and its folder belong to "
            f"the bridge's user (ls -l {path}*), that the disk is not mounted read-only "
            f"(findmnt -T {path}) and that the file is not made immutable (lsattr {path})")


def database(settings: Settings) -> list[Finding]:
    path = settings.db_path
    if not os.path.exists(path):
        return [fail("database", f"{path} does not exist",
                     "the bridge makes it at its first start. If it ran before, [store] path "
                     "in the site file names the wrong file, or the disk holding it is not "
                     "mounted")]
    try:
        db = sqlite3.connect(file_uri(path, "rw"), uri=True, timeout=BUSY_S,
                             isolation_level=None)
    except sqlite3.Error as exc:
        return [fail("database", f"{path} cannot be opened ({exc})", _fix_rights(path))]
    try:
        return [_writable_and_sound(db, path), _schema(db, path)]
    finally:
        db.close()


def _writable_and_sound(db: sqlite3.Connection, path: str) -> Finding:
    try:
        db.execute("BEGIN IMMEDIATE")
        try:  # a real write, never committed: the bridge never sees it
            db.execute("INSERT OR REPLACE INTO meta VALUES ('doctor', ?)", (str(time.time()),))
        finally:
            db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return warn("database", f"{path} stayed locked for over {BUSY_S:g} s",
                        "another program holds the database (a backup, an sqlite3 shell left "
                        "open?): close it; if it lasts, restart the bridge")
        return fail("database", f"{path} cannot be written ({exc})", _fix_rights(path))
    integrity = _quick_check(db)
    size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    if integrity == "ok":
        return ok("database", f"{path}: writable, quick check ok, {_size(size)}")
    if integrity is None:
        return warn("database", f"{path}: writable, {_size(size)}; the quick check did not "
                    f"finish in {QUICK_CHECK_S:g} s",
                    f"run it when the site is closed: sqlite3 {path} 'PRAGMA quick_check'")
    return fail("database", f"{path} is damaged: {integrity}",
                "stop the bridge, keep a copy of the damaged file aside, and put back the last "
                "backup (docs/operations.md, section 17); then start the bridge")


def _quick_check(db: sqlite3.Connection) -> str | None:
    """'ok', SQLite's first complaint, or None when it ran out of time."""
    stop_at = time.monotonic() + QUICK_CHECK_S
    db.set_progress_handler(lambda: time.monotonic() > stop_at, 10_000)
    try:
        rows = db.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            return None
        return str(exc)
    finally:
        db.set_progress_handler(None, 0)
    return "; ".join(r[0] for r in rows)


def _versions(db: sqlite3.Connection) -> tuple[int, int]:
    """(the file's schema version, this Suivant's), as the store reads them at open."""
    from ..store import sqlite_store
    schema = getattr(sqlite_store, "QUEUE_SCHEMA", None)
    if schema is not None:  # numbered steps (store/migrations.py): PRAGMA user_version
        from ..store.migrations import version_of
        return version_of(db, schema), schema.version
    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return (int(row[0]) if row else 0), int(sqlite_store.SCHEMA_VERSION)


def _schema(db: sqlite3.Connection, path: str) -> Finding:
    try:
        found, expected = _versions(db)
    except (sqlite3.Error, ValueError) as exc:
        found, expected, error = 0, 0, str(exc)
    else:
        error = "no schema version in it"
    if not found:
        return fail("schema", f"{path}: {error}",
                    "this is not a Suivant database, or it was damaged: check [store] path; "
                    "put back the last backup if it is the right file")
    if found == expected:
        return ok("schema", f"version {found}, this Suivant's")
    if found > expected:
        return fail("schema", f"version {found}, made by a newer Suivant (this one knows "
                    f"{expected})", "install the Suivant that made it again (pip show suivant "
                    "says which runs here), or put back a backup made by this version")
    return fail("schema", f"version {found}, older than this Suivant's {expected}",
                "restart the bridge: this Suivant upgrades its database at start (after a "
                "backup); if it refuses, its log (journalctl -u suivant) says why")


def disk(settings: Settings) -> list[Finding]:
    folder = Path(settings.db_path).parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return [fail("disk", f"{folder}: {exc.strerror or exc}",
                     "the database's folder is missing: check [store] path and the disks")]
    found = f"{_size(free)} free where the database is ({folder})"
    advice = ("make room on that disk (old logs: journalctl --vacuum-size=200M; old backups), "
              "or move the data to a larger disk")
    if free < FAIL_FREE_BYTES:
        return [fail("disk", found, f"the bridge will soon stop recording tickets: {advice}")]
    if free < WARN_FREE_BYTES:
        return [warn("disk", found, advice)]
    return [ok("disk", found)]
