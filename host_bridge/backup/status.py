"""How a site's last backup went, in `<folder>/<site id>.last-backup.json`: written by the bridge's
scheduled backups and by `suivant backup`, read by `suivant doctor` (another process) and by the
bridge after a restart. One file per site: a backup folder may be shared by several sites."""
from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

LEGACY = "last-backup.json"  # one per folder, before sites sharing a folder had their own
CLOCK_SLACK = timedelta(minutes=1)
_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class LastBackup:
    at: str  # ISO 8601, UTC
    ok: bool
    folder: str | None  # the backup's folder, when it worked
    error: str | None
    seconds: float
    removed: int = 0  # old copies removed after it
    prune_error: str | None = None  # old copies that could not be removed (the backup is made)


def copy_name(site_id: str) -> re.Pattern:
    """The name of this site's backup folders (`<site>-<UTC time>`, `-2` for a second one in the
    same second)."""
    return re.compile(re.escape(site_id) + r"-\d{4}-\d\d-\d\dT\d{6}Z(-\d+)?")


def status_path(folder: Path, site_id: str) -> Path:
    return folder / f"{site_id}.last-backup.json"  # no '.' in a site id: never another site's


def read_status(folder: Path, site_id: str) -> LastBackup | None:
    """The site's last result; None when there is none or it is not one of ours. Without one,
    the folder's older `last-backup.json` is read if it names one of this site's copies."""
    try:
        return _parse(_head(status_path(folder, site_id)))
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        old = _parse(_head(folder / LEGACY))
    except OSError:
        return None
    if old is not None and old.folder and copy_name(site_id).fullmatch(Path(old.folder).name):
        return old
    return None


def write_status(folder: Path, site_id: str, last: LastBackup) -> None:
    """Replaced whole (another process may read it at any time)."""
    final = status_path(folder, site_id)
    tmp = final.with_name(final.name + ".tmp")
    try:
        tmp.write_text(json.dumps(asdict(last)), encoding="utf-8")
        os.replace(tmp, final)
    except OSError:
        with contextlib.suppress(OSError):  # a full disk: no half-written file left behind
            tmp.unlink(missing_ok=True)
        raise


def stamped_ahead(last: LastBackup, now: datetime) -> bool:
    """Dated after `now`: written while the clock was ahead (put back since, by NTP or by hand).
    How old it really is, nobody knows: it is not a recent backup."""
    return datetime.fromisoformat(last.at) - now > CLOCK_SLACK


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(_MAX_BYTES)  # ours are ~300 bytes: a longer one is not JSON of ours


def _parse(text: bytes) -> LastBackup | None:
    try:
        last = LastBackup(**json.loads(text))
        if datetime.fromisoformat(last.at).tzinfo is None:
            return None
    except (ValueError, TypeError):
        return None
    return last
