"""`suivant restore FOLDER --config site.toml`: a backup put back, after checking it.

Checked before anything changes: the manifest, each file's size and SHA-256, each database's
`PRAGMA integrity_check` and schema (not newer than this Suivant's), the site id (the site
file's). Refused while a bridge runs on the database (it holds `<database>.lock`, which the
restore takes for itself meanwhile) or another process has a database open. The files that were
there are moved aside, whole (with their -wal and -shm), into `replaced-<time>/` beside the
database; a failure half-way puts them back, and removes what it had begun to write. Run as
root (without `sudo -u suivant`), the restored files and the lock get the owner of the files
they replace (else the data folder's): the bridge must still open them.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..network.restore import in_use
from ..store.bridge_lock import BridgeLock, DatabaseInUse
from ..store.sqlite_copy import integrity, read_only
from ..store.sqlite_store import SCHEMA_VERSION
from . import manifest as manifest_file
from .site_files import SiteFile, site_files
from .take import MANIFEST, schema_of, sha256

# The newest schema this Suivant reads, per database (staff and appointments: their
# SideFile's base, version 1, until they get steps)
KNOWN_SCHEMA = {"queue": SCHEMA_VERSION, "staff": 1, "appointments": 1}


class RestoreRefused(Exception):
    pass


@dataclass
class Restored:
    source: Path
    manifest: dict
    aside: Path | None = None
    placed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # present here, absent from the backup
    events: int = 0
    last_day: str | None = None
    network: bool = False

    def lines(self) -> list[str]:
        m = self.manifest
        out = [f"restored the backup of {m['site']} taken {m['taken_at']} by Suivant "
               f"{m['suivant']} ({self.source})"]
        out += [f"  {p}" for p in self.placed]
        out.append(f"  the queue: {self.events} events"
                   + (f", the last day {self.last_day}" if self.last_day else ""))
        if self.aside:
            out.append(f"  the files that were there are kept in {self.aside}"
                       + (f" (with {', '.join(self.moved)}, which the backup does not have)"
                          if self.moved else ""))
        for f in m["files"]:
            if not f.get("restored", True):
                out.append(f"  not put back: {f['role']} ({f['name']} in the backup): the site "
                           "file stays yours; compare it by hand if it changed")
        out += [f"  not in the backup: {role}: {why}" for role, why in m["left_out"].items()]
        if self.network:
            out.append("  this site is in a network: central has the events made since the "
                       "backup; `suivant restore --from-central` gets them back instead")
        out.append("start the bridge again (sudo systemctl start suivant): it replays the "
                   "queue from the restored history")
        return [textwrap.fill(line, 100, subsequent_indent="    ") for line in out]


def read_manifest(source: Path) -> tuple[Path, dict]:
    folder = source.parent if source.name == MANIFEST else source
    if not folder.is_dir() or not (folder / MANIFEST).is_file():
        raise RestoreRefused(f"{source} is not a Suivant backup folder (no {MANIFEST} in it)")
    try:
        return folder, manifest_file.read_manifest(folder)
    except manifest_file.ManifestRefused as exc:
        raise RestoreRefused(f"{folder / MANIFEST} is not a manifest this Suivant reads "
                             f"({exc})") from None


def check(folder: Path, manifest: dict, site_id: str) -> None:
    """RestoreRefused naming the first problem."""
    if manifest["site"] != site_id:
        raise RestoreRefused(f"the backup is of site {manifest['site']!r}, the site file's is "
                             f"{site_id!r}: give the site file of that site")
    if not any(f["role"] == "queue" for f in manifest["files"]):
        raise RestoreRefused("the backup holds no queue database")
    for f in manifest["files"]:
        path = folder / f["name"]
        if not path.is_file() or path.stat().st_size != f["size"] or sha256(path) != f["sha256"]:
            raise RestoreRefused(f"{path} is missing or not the file the backup wrote (its "
                                 "size or SHA-256 differs): the backup is damaged")
        if f["name"].endswith(".db"):
            found = integrity(path)
            if found != "ok":
                raise RestoreRefused(f"{path} fails SQLite's integrity check: {found}")
            known = KNOWN_SCHEMA.get(f["role"])
            if known is not None and schema_of(path) > known:
                raise RestoreRefused(
                    f"{path} has schema {schema_of(path)}, newer than this Suivant's {known} "
                    f"(the backup was taken by Suivant {manifest['suivant']}): install that "
                    "version to restore it")


def restore_backup(settings, source: Path) -> Restored:
    folder, manifest = read_manifest(source)
    check(folder, manifest, settings.site.id)
    by_role = {f.role: f for f in site_files(settings) if f.restored}
    entries = {f["role"]: f for f in manifest["files"] if f["role"] in by_role
               and f.get("restored", True)}
    Path(settings.db_path).parent.mkdir(parents=True, exist_ok=True)  # a new machine's
    lock = BridgeLock(settings.db_path, "suivant restore")
    try:
        lock.acquire()
    except DatabaseInUse as exc:
        raise RestoreRefused(f"{exc}: stop the bridge first (sudo systemctl stop suivant), "
                             "then restore") from None
    except OSError as exc:  # the bridge's user made it, 0600
        raise RestoreRefused(f"cannot open {lock.path} ({exc.strerror}): run the restore as "
                             "the bridge's user (sudo -u suivant …)") from None
    try:
        owner = owner_for(Path(settings.db_path).parent)
        if owner is not None:  # a lock made by root would keep the bridge out
            os.chown(lock.path, *owner)
        for f in by_role.values():
            if f.sqlite and in_use(f.path):
                raise RestoreRefused(f"a process has {f.path} open (a bridge, a `suivant` "
                                     "command): stop it first, then restore")
        done = Restored(folder, manifest, network=settings.network is not None)
        try:
            _swap(folder, entries, by_role, done)
        except OSError as exc:  # disk full, a folder not writable: put back as it was
            raise RestoreRefused(f"could not put the files in place ({exc}); the files that "
                                 "were there are back where they were") from None
    finally:
        lock.release()
    _count(by_role["queue"].path, done)
    return done


def _swap(folder: Path, entries: dict, by_role: dict[str, SiteFile], done: Restored) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    aside = by_role["queue"].path.parent / f"replaced-{stamp}"
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    partial: Path | None = None  # being written: as large as the disk had room for
    owners = {role: owner_for(f.path) for role, f in by_role.items()}  # before moving them
    try:
        for role, f in by_role.items():
            for path in (f.path, Path(f"{f.path}-wal"), Path(f"{f.path}-shm")):
                if path.exists():
                    aside.mkdir(mode=0o700, exist_ok=True)
                    target = aside / path.name
                    shutil.move(path, target)
                    moved.append((path, target))
                    if path == f.path and role not in entries:
                        done.moved.append(path.name)
        for role, entry in entries.items():
            dest = by_role[role].path
            dest.parent.mkdir(parents=True, exist_ok=True)  # a new machine's data folder
            partial = dest.with_name(dest.name + ".partial")
            shutil.copyfile(folder / entry["name"], partial)
            os.chmod(partial, 0o600)
            if owners[role] is not None:
                os.chown(partial, *owners[role])
            os.replace(partial, dest)
            partial = None
            placed.append(dest)
            done.placed.append(f"{role:<15} -> {dest}")
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        for dest in placed:
            dest.unlink(missing_ok=True)
        for path, target in reversed(moved):
            shutil.move(target, path)
        if aside.is_dir() and not any(aside.iterdir()):
            aside.rmdir()
        raise
    done.aside = aside if moved else None
    # the files put aside are kept for going back; a day's conversations are not kept at all
    for f in by_role.values():
        kept = aside / f.path.name
        if f.scrub is not None and kept.exists():
            try:
                f.scrub(kept)
            except sqlite3.Error:  # not a database we can reduce: not kept either
                kept.unlink()


def owner_for(path: Path) -> tuple[int, int] | None:
    """Run as root (without `sudo -u suivant`), the owner a restored file must have for the
    bridge to open it: the file's it replaces, else the data folder's. None: not root."""
    if os.geteuid() != 0:
        return None
    for known in (path, path.parent):
        if known.exists():
            st = known.stat()
            return st.st_uid, st.st_gid
    return None


def _count(queue: Path, done: Restored) -> None:
    db = read_only(queue)
    try:
        done.events, done.last_day = db.execute("SELECT count(*), max(day) FROM events").fetchone()
    finally:
        db.close()
