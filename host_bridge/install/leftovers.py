"""What an init stopped midway leaves in the data folder, which running it again with --force
replaces (as it advises): the staff file holding only the administrator init made, the device
registry holding no board (init notes Mosquitto's files in it), and no queue yet. Anything
more is a site's data, which init never replaces."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..store.sqlite_copy import file_uri
from .layout import Layout, existing

COMPANIONS = ("", "-wal", "-shm", "-journal")  # SQLite's files beside a database


def of_init(layout: Layout) -> list[Path]:
    """The data files there that init alone made; [] when any holds a site's data."""
    from ..staff import staff_path
    if existing([layout.db]):
        return []
    staff, devices = Path(staff_path(str(layout.db))), layout.devices
    found = existing([staff, devices])
    checks = {staff: _only_init_s_admin, devices: _no_board}
    return found if all(_answers(path, checks[path]) for path in found) else []


def remove(paths: list[Path]) -> None:
    for path in paths:
        for suffix in COMPANIONS:
            _beside(path, suffix).unlink(missing_ok=True)


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _answers(path: Path, query) -> bool:
    if not path.is_file() or path.is_symlink() or _beside(path, "-wal").exists():
        return False  # init closes its files: their log is folded back and removed
    try:  # immutable: a read-only open would still make the -shm file beside it
        db = sqlite3.connect(file_uri(path, "ro") + "&immutable=1", uri=True)
        try:
            return query(db)
        finally:
            db.close()
    except sqlite3.Error:  # not a database, another schema: not init's
        return False


def _only_init_s_admin(db: sqlite3.Connection) -> bool:
    accounts = db.execute("SELECT role FROM accounts").fetchall()
    sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    audit = db.execute("SELECT actor, action FROM audit").fetchall()
    return accounts == [("admin",)] and sessions == 0 and audit == [("init", "account_created")]


def _no_board(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT (SELECT count(*) FROM devices) + "
                      "(SELECT count(*) FROM retired_boots)").fetchone()[0] == 0
