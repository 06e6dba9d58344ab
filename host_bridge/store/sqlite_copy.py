"""A consistent copy of a live SQLite file: SQLite's online backup API reads it in one read
transaction (WAL: the bridge keeps committing meanwhile), into a file of its own that appears
whole or not at all, checked before it is kept."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class CopyFailed(RuntimeError):
    pass


def file_uri(path: str | Path, mode: str) -> str:
    """SQLite's URI of a file opened in `mode` ('ro', 'rw'): a '?', '#' or '%' in its name
    escaped (unescaped, they end the path and SQLite opens, or makes, another file)."""
    return Path(path).resolve().as_uri() + f"?mode={mode}"


def read_only(path: str | Path) -> sqlite3.Connection:
    """A read-only connection."""
    return sqlite3.connect(file_uri(path, "ro"), uri=True)


def integrity(path: str | Path) -> str:
    """'ok', or what PRAGMA integrity_check found (its first lines)."""
    db = read_only(path)
    try:
        rows = db.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()
    return "; ".join(r[0] for r in rows)


def copy_database(source: sqlite3.Connection, dest: str | Path) -> None:
    """`source`'s database into `dest` (replaced if there), readable by its owner only, in
    rollback-journal mode (one self-contained file). CopyFailed if the copy is not sound."""
    dest = Path(dest)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(copy)  # pages=-1: all at once, one read transaction of the source
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        found = integrity(partial)
        if found != "ok":
            raise CopyFailed(f"the copy of {dest.name} is not sound: {found}")
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
