"""Firmware builds and rollouts, kept in the device registry's SQLite file.

    store = UpdateStore(settings.devices_path)
    build = store.add_build(role, link, version, files)   # a number above every earlier one
    rollout = store.start_rollout(targets, wave, confirm_s)  # targets: [(device, build, step)]
    store.set_target(rollout, device, state, detail, running)
    store.active(); store.targets(rollout); store.halt(rollout, reason)

The registry's file, because a rollout is about its devices and `suivant device update` (a
process of its own) must hand it to the running bridge the way `device add` does: the bridge
reads the active rollout again at each of its rounds (every few seconds). Build numbers only go
up for the site (the board refuses a build not above the one it runs: no downgrade, no replay).
A build's files are stored with it: a rollout serves what was built when it was asked for,
even if the firmware folder changes on the host meanwhile.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ota_builds (
    build INTEGER PRIMARY KEY, role TEXT NOT NULL, link TEXT NOT NULL, version TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ota_files (
    build INTEGER NOT NULL, n INTEGER NOT NULL, path TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (build, n)
);
CREATE TABLE IF NOT EXISTS ota_rollouts (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, wave INTEGER NOT NULL,
    confirm_s INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS ota_targets (
    rollout INTEGER NOT NULL, device TEXT NOT NULL, build INTEGER NOT NULL,
    step INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT, running INTEGER,
    offered_at TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (rollout, device)
);
"""
RUNNING, HALTED, DONE, STOPPED = "running", "halted", "done", "stopped"


@dataclass(frozen=True)
class Build:
    build: int
    role: str
    link: str
    version: str
    files: tuple[tuple[str, bytes], ...]  # (board path, content), in the manifest's order


@dataclass(frozen=True)
class Rollout:
    id: int
    created_at: str
    wave: int
    confirm_s: int
    state: str
    reason: str | None


@dataclass(frozen=True)
class Target:
    device: str
    build: int
    step: int  # 0: the role's canary; 1, 2...: the waves
    state: str  # waiting, then what the board last reported (protocol.md §9), or lost
    detail: str | None
    running: int | None  # the build the board said it runs
    offered_at: str | None
    updated_at: str


def flashed_state(path: str) -> bytes:
    """The ota.json `device flash` writes: the site's latest build number, state "ok"."""
    store = UpdateStore(path)
    try:
        return json.dumps({"build": store.latest_build(), "state": "ok"}).encode()
    finally:
        store.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class UpdateStore:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._builds: dict[int, Build] = {}  # builds are never changed: cached once read
        self._version = self.db.execute("PRAGMA data_version").fetchone()[0]  # at the last look
        self._wrote = False  # committed through this store since the last changed()

    def close(self) -> None:
        self.db.close()

    # -- builds ------------------------------------------------------------------------------
    def latest_build(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COALESCE(MAX(build), 0) FROM ota_builds").fetchone()[0]

    def add_build(self, role: str, link: str, version: str,
                  files: list[tuple[str, bytes]]) -> Build:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                n = self.db.execute("SELECT COALESCE(MAX(build), 0) + 1 FROM ota_builds"
                                    ).fetchone()[0]
                self.db.execute("INSERT INTO ota_builds VALUES (?, ?, ?, ?, ?)",
                                (n, role, link, version, _now()))
                self.db.executemany("INSERT INTO ota_files VALUES (?, ?, ?, ?)",
                                    [(n, i, p, d) for i, (p, d) in enumerate(files)])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return Build(n, role, link, version, tuple(files))

    def build(self, n: int) -> Build | None:
        cached = self._builds.get(n)
        if cached is not None:
            return cached
        with self._lock:
            row = self.db.execute("SELECT role, link, version FROM ota_builds WHERE build=?",
                                  (n,)).fetchone()
            if row is None:
                return None
            files = self.db.execute("SELECT path, data FROM ota_files WHERE build=? ORDER BY n",
                                    (n,)).fetchall()
        b = self._builds[n] = Build(n, row[0], row[1], row[2], tuple((p, bytes(d))
                                                                      for p, d in files))
        return b

    def changed(self) -> bool:
        """Has anything been committed to the file since the last call: by another process
        (SQLite's data_version, no table read), or through this store? The bridge's rounds
        skip the file while idle."""
        with self._lock:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            seen, self._version = self._version, version
            wrote, self._wrote = self._wrote, False
        return wrote or seen != version

    # -- rollouts ----------------------------------------------------------------------------
    def start_rollout(self, targets: list[tuple[str, int, int]], wave: int,
                      confirm_s: int) -> int:
        """A new rollout; one that was running is stopped (its boards keep what they run)."""
        now = _now()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("UPDATE ota_rollouts SET state=?, reason=? WHERE state=?",
                                (STOPPED, "replaced by a new rollout", RUNNING))
                rid = self.db.execute(
                    "INSERT INTO ota_rollouts (created_at, wave, confirm_s, state) "
                    "VALUES (?, ?, ?, ?)", (now, wave, confirm_s, RUNNING)).lastrowid
                self.db.executemany(
                    "INSERT INTO ota_targets (rollout, device, build, step, state, updated_at) "
                    "VALUES (?, ?, ?, ?, 'waiting', ?)",
                    [(rid, d, b, s, now) for d, b, s in targets])
                self.db.execute("COMMIT")
                self._wrote = True
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        assert rid is not None
        return rid

    def latest_rollout(self) -> Rollout | None:
        with self._lock:
            row = self.db.execute("SELECT id, created_at, wave, confirm_s, state, reason FROM "
                                  "ota_rollouts ORDER BY id DESC LIMIT 1").fetchone()
        return Rollout(*row) if row else None

    def active(self) -> Rollout | None:
        r = self.latest_rollout()
        return r if r is not None and r.state == RUNNING else None

    def targets(self, rollout: int) -> list[Target]:
        with self._lock:
            rows = self.db.execute(
                "SELECT device, build, step, state, detail, running, offered_at, updated_at "
                "FROM ota_targets WHERE rollout=? ORDER BY step, device", (rollout,)).fetchall()
        return [Target(*r) for r in rows]

    def set_target(self, rollout: int, device: str, state: str, detail: str | None,
                   running: int | None, offered: bool = False) -> None:
        now = _now()
        with self._lock:
            self.db.execute(
                "UPDATE ota_targets SET state=?, detail=?, running=COALESCE(?, running), "
                "updated_at=?, offered_at=CASE WHEN ? THEN ? ELSE offered_at END "
                "WHERE rollout=? AND device=?",
                (state, detail, running, now, offered, now, rollout, device))

    def finish(self, rollout: int, state: str, reason: str | None) -> None:
        with self._lock:
            self.db.execute("UPDATE ota_rollouts SET state=?, reason=? WHERE id=? AND state=?",
                            (state, reason, rollout, RUNNING))
            self._wrote = True
