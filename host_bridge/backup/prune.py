"""Removing a site's backups beyond the `keep` newest, after each backup: in a folder others may
share (other sites, the IT's own files), and while another backup may be pruning too."""
from __future__ import annotations

import shutil
import time as clock
from pathlib import Path
from typing import NamedTuple

from .status import copy_name
from .take import MANIFEST

_STALE_PARTIAL = 24 * 3600  # a `.partial` folder this old is a killed backup's
_RETRIES = 20


class Pruned(NamedTuple):
    removed: int
    error: str | None  # the copies that could not be removed, and why


def prune(folder: Path, site_id: str, keep: int) -> Pruned:
    """Remove this site's backups beyond the `keep` newest (the folder may hold others' files:
    only `<site>-<time>` folders with a manifest are counted). One that cannot be removed (not
    the service's: `sudo suivant backup`) is said, and the others are removed all the same."""
    name = copy_name(site_id)
    ours = sorted(p for p in folder.iterdir()
                  if p.is_dir() and name.fullmatch(p.name) and (p / MANIFEST).is_file())
    removed, failed = 0, []
    for p in ours[:-keep] if keep else ours:
        try:
            _remove(p)
            removed += 1
        except OSError as exc:
            failed.append(f"{p.name} ({exc.strerror or exc})")
    for p in folder.glob(f"{site_id}-*.partial"):
        try:
            if clock.time() - p.stat().st_mtime > _STALE_PARTIAL:
                shutil.rmtree(p, ignore_errors=True)
        except FileNotFoundError:
            pass
    error = (f"cannot remove {len(failed)} older backup{'s' if len(failed) > 1 else ''}: "
             f"{', '.join(failed[:3])}" if failed else None)
    return Pruned(removed, error)


def _remove(copy: Path) -> None:
    for _ in range(_RETRIES):
        try:
            shutil.rmtree(copy)
            return
        except FileNotFoundError:  # a part removed meanwhile: another prune (two backups at once)
            if not copy.exists():
                return
    shutil.rmtree(copy)
