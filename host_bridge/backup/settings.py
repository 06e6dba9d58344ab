"""The site file's [backup] table: the bridge's scheduled backups. On by default (a site with
no table gets a copy every night at 03:00, 14 kept, in `backups/` beside the database):

    [backup]
    folder = "/srv/sauvegardes/suivant"  # default: backups/ beside the database
    at = "03:00"            # every day at this time of the site (or every_hours = 6)
    keep = 14               # the older copies are removed
    enabled = true          # false: only `suivant backup` (cron, the IT's own tool)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class BackupSettings:
    enabled: bool = True
    folder: str | None = None  # None: <the database's folder>/backups
    at: time | None = time(3, 0)  # daily at this site time, or ...
    every_hours: int | None = None  # ... every this many hours
    keep: int = 14

    def folder_for(self, db_path: str) -> Path:
        return Path(self.folder) if self.folder else Path(db_path).resolve().parent / "backups"


def parse_backup(r: Any, folder: Path | None = None) -> BackupSettings:
    """From a site_config.TomlReader on the [backup] table; a relative folder is the site
    file's folder's, as [store] path."""
    where = r.get("folder", str, None, check=lambda v: bool(v.strip()) and "\0" not in v,
                  why="a folder's path, not empty")
    if where is not None and folder is not None and not Path(where).is_absolute():
        where = str(folder / where)
    at = r.get("at", str, None, check=lambda v: bool(_HHMM.match(v)),
               why='a time of day as "HH:MM", e.g. "03:00"')
    every = r.get("every_hours", int, None, check=lambda v: 1 <= v <= 168,
                  why="1 to 168 hours (a week)")
    if at is not None and every is not None:
        raise r.fail("every_hours", 'give either at = "HH:MM" (daily) or every_hours, not both')
    settings = BackupSettings(
        enabled=r.get("enabled", bool, True), folder=where,
        at=None if every is not None else time(*map(int, (at or "03:00").split(":"))),
        every_hours=every,
        keep=r.get("keep", int, 14, check=lambda v: 1 <= v <= 1000,
                   why="1 to 1000 copies"))
    r.done()
    return settings
