"""`suivant backup`: a consistent copy of a site's files while the bridge serves.

Each SQLite file is copied with SQLite's online backup API (one read transaction: the bridge
keeps committing meanwhile) and checked (`PRAGMA integrity_check`); the small plain files are
copied as they are. Everything goes into one folder, `<site>-<UTC time>`, written as
`….partial` and renamed once whole, with `manifest.json`: the Suivant release, each file's
role, size, SHA-256 and schema version.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..store.migrations import release
from ..store.sqlite_copy import copy_database, read_only
from .site_files import LEFT_OUT, SiteFile, site_files

MANIFEST = "manifest.json"
FORMAT = 1
_SAME_SECOND = 100


class BackupFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Taken:
    folder: Path
    manifest: dict

    def lines(self) -> list[str]:
        files = self.manifest["files"]
        size = sum(f["size"] for f in files)
        out = [f"backup of {self.manifest['site']} in {self.folder} ({len(files)} files, "
               f"{size / 1e6:.1f} MB), each checked"]
        out += [f"  {f['role']:<15} {f['name']:<20} {f['size']:>12,} bytes"
                + (f"  schema {f['schema']}" if f.get("schema") else "")
                for f in files]
        out += [textwrap.fill(f"  not in it: {role}: {why}", 100, subsequent_indent="    ")
                for role, why in self.manifest["left_out"].items()]
        return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stored_name(f: SiteFile) -> str:
    """Names by role inside the backup (suivant.db and devices.db could not both be *.db of
    any name: the site file says where each goes back)."""
    return f.role + (".db" if f.sqlite else f.path.suffix)


def schema_of(path: Path) -> int:
    db = read_only(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def folder_name(site_id: str, at: datetime) -> str:
    return f"{site_id}-{at.astimezone(timezone.utc):%Y-%m-%dT%H%M%SZ}"  # no ':' (SMB shares)


def take_backup(settings, to: Path, now: datetime | None = None) -> Taken:
    """-> the folder made in `to`. BackupFailed (and nothing left behind) if a copy fails."""
    now = now or datetime.now(timezone.utc)
    try:
        to.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupFailed(f"backup into {to} failed: cannot make that folder "
                           f"({exc.strerror or exc})") from exc
    final, partial = _claim(to, folder_name(settings.site.id, now))
    try:
        files = [_copy(f, partial) for f in site_files(settings) if f.path.exists()]
        manifest = {"format": FORMAT, "site": settings.site.id, "suivant": release(),
                    "taken_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
                    "files": [entry for entry in files if entry is not None],
                    "left_out": LEFT_OUT}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(partial, final)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, (OSError, sqlite3.Error, RuntimeError)):
            raise BackupFailed(f"backup into {to} failed: {exc}") from exc
        raise
    return Taken(final, manifest)


def _claim(to: Path, name: str) -> tuple[Path, Path]:
    """-> (the folder, its `.partial` made): `name`, or `name-2`, … when a backup of the same
    second is there, finished or still being written (the CLI while the schedule runs)."""
    for n in range(1, _SAME_SECOND + 1):
        final = to / (name if n == 1 else f"{name}-{n}")
        partial = final.with_name(final.name + ".partial")
        try:
            if final.exists():
                continue
            partial.mkdir(mode=0o700)  # fails if there: only one backup writes in it
            return final, partial
        except FileExistsError:
            continue
        except OSError as exc:
            raise BackupFailed(f"backup into {to} failed: {exc}") from exc
    raise BackupFailed(f"backup into {to} failed: {_SAME_SECOND} backups of {name} already")


def _copy(f: SiteFile, folder: Path) -> dict | None:
    dest = folder / stored_name(f)
    schema = None
    if f.sqlite:
        source = read_only(f.path)
        try:
            copy_database(source, dest)
        finally:
            source.close()
        if f.scrub is not None:  # the questions' file: its counts, never a conversation
            f.scrub(dest)
            with open(dest, "rb") as copy:
                os.fsync(copy.fileno())
        schema = schema_of(dest)
    else:
        try:
            source = open(f.path, "rb")
        except FileNotFoundError:  # gone since we looked (the network cursor is rewritten)
            return None
        # made 0600 as it is opened: no chmod after, which a FAT or exFAT stick refuses (EPERM)
        with source, open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            shutil.copyfileobj(source, out)
    return {"role": f.role, "name": dest.name, "original": f.path.name,
            "restored": f.restored, "size": dest.stat().st_size, "sha256": sha256(dest),
            "schema": schema}


def read_taken(folder: Path) -> Taken:
    return Taken(folder, json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
