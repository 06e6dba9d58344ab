"""Numbered schema steps for Suivant's SQLite files (the queue's, the staff and appointments
files): one mechanism for all of them.

A file's version is `PRAGMA user_version` (in the file's header: no table needed, readable with
`sqlite3 FILE 'PRAGMA user_version'`, and written in the same transaction as the steps). Step n
takes a file from version n-1 to n. At open, a file older than this Suivant is first copied
beside itself (`<file>.schema<old>.bak`, SQLite's online backup), then every missing step runs in
ONE transaction with the new version: a crash or a `kill -9` mid-way leaves the file at its old
version, and the next start upgrades it again. A file newer than this Suivant is refused.

Changing a schema means adding a step: step 1 of a file already at 1 never runs again. The
base script (`Schema.base`, version 1) is also run at every open: a table it adds with
CREATE ... IF NOT EXISTS reaches older files without a step, as before versions existed.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .sqlite_copy import copy_database

log = logging.getLogger(__name__)
Step = Callable[[sqlite3.Connection], None]

_LOG = ("CREATE TABLE IF NOT EXISTS schema_upgrades (version INTEGER PRIMARY KEY, "
        "suivant TEXT NOT NULL, at TEXT NOT NULL)")


class SchemaMismatch(RuntimeError):
    """The file is from a newer Suivant (or not one of ours): nothing was changed."""


def release() -> str:
    """This Suivant's version, as pip installed it."""
    try:
        return metadata.version("suivant")
    except metadata.PackageNotFoundError:
        return "unknown"


def statements(script: str) -> list[str]:
    """An SQL script's statements one by one (executescript would COMMIT the transaction)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement: {current.strip()[:60]!r}")
    return out


def run_script(script: str) -> Step:
    def step(db: sqlite3.Connection) -> None:
        for statement in statements(script):
            db.execute(statement)
    return step


@dataclass(frozen=True)
class Schema:
    name: str  # for people: "the queue's database"
    base: str  # version 1: CREATE ... IF NOT EXISTS only
    steps: Sequence[Step] = ()  # version 2, 3, ...
    # the version of a file written before user_version was used (0: none / a new file)
    legacy_version: Callable[[sqlite3.Connection], int] = field(default=lambda db: 0)
    # called in the upgrade's transaction with the new version (the queue's meta row)
    stamp: Callable[[sqlite3.Connection, int], None] = field(default=lambda db, v: None)

    @property
    def version(self) -> int:
        return 1 + len(self.steps)


@dataclass(frozen=True)
class Upgraded:
    path: str
    old: int
    new: int
    kept: str | None  # the copy taken before, None for a new file


def version_of(db: sqlite3.Connection, schema: Schema) -> int:
    found = db.execute("PRAGMA user_version").fetchone()[0]
    return found or schema.legacy_version(db)


def made_by(db: sqlite3.Connection, version: int) -> str:
    """Which Suivant upgraded the file to `version`, if it says."""
    try:
        row = db.execute("SELECT suivant FROM schema_upgrades WHERE version = ?",
                         (version,)).fetchone()
    except sqlite3.OperationalError:  # a file from before the log
        return "a newer Suivant"
    return f"Suivant {row[0]}" if row else "a newer Suivant"


def upgrade(db: sqlite3.Connection, path: str, schema: Schema) -> Upgraded | None:
    """Bring the file open on `db` (autocommit: isolation_level None) to schema.version.
    -> what was done, None when it was current. SchemaMismatch when it is newer."""
    found = version_of(db, schema)
    _refuse_newer(db, path, schema, found)
    if found == schema.version:  # the usual start: no write lock taken, nothing copied
        run_script(schema.base)(db)  # CREATE ... IF NOT EXISTS: a new table, if any
        return None
    kept = None
    if found < schema.version:
        has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if has_tables and path != ":memory:":
            kept = f"{path}.schema{found}.bak"
            copy_database(db, kept)
    db.execute("BEGIN IMMEDIATE")
    try:
        # again under the write lock: another process (a CLI, a second start) may have
        # upgraded it meanwhile
        old = version_of(db, schema)
        _refuse_newer(db, path, schema, old)
        run_script(schema.base)(db)
        if old < schema.version:
            db.execute(_LOG)
            for number, step in enumerate(schema.steps, start=2):
                if number > old:
                    step(db)
            db.execute(f"PRAGMA user_version = {schema.version:d}")
            db.execute("INSERT OR REPLACE INTO schema_upgrades VALUES (?, ?, ?)",
                       (schema.version, release(),
                        datetime.now(timezone.utc).isoformat(timespec="seconds")))
            schema.stamp(db, schema.version)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if old >= schema.version:
        return None
    if kept is not None:  # a new file is no news
        log.info("%s (%s) upgraded from schema %d to %d by Suivant %s; the file as it was: %s",
                 path, schema.name, old, schema.version, release(), kept)
    return Upgraded(path, old, schema.version, kept)


def _refuse_newer(db: sqlite3.Connection, path: str, schema: Schema, found: int) -> None:
    if found > schema.version:
        raise SchemaMismatch(
            f"{path} ({schema.name}) has schema {found}, made by {made_by(db, found)}; this "
            f"Suivant {release()} knows up to schema {schema.version}. Nothing was changed: "
            f"install that Suivant again, or restore a backup taken before the upgrade "
            f"(`suivant restore FOLDER --config SITE.toml`, or the copy "
            f"{Path(path).name}.schema{schema.version}.bak beside it)")
