"""A small SQLite file of a capability's own beside the queue's (staff accounts, today's
appointments, the citizens' questions, the survey's comments): no fsync per commit, one
connection shared by threads under a lock. WAL, or for a file of citizens' words (`private`)
a rollback journal deleted after each commit and deleted rows overwritten, so what it deletes
is gone from the disk's files, not kept in a WAL until a checkpoint."""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .migrations import Schema, upgrade


class SideFile:
    def __init__(self, path: str, schema: str | Schema, private: bool = False):
        """`schema`: its tables (version 1), or a Schema with its later steps."""
        self.path = path
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if private:
            self.db.execute("PRAGMA secure_delete=ON")
            self.db.execute("PRAGMA journal_mode=DELETE")
        else:
            self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: no fsync per write (it would compete with the queue's own commits); a power
        # cut may lose the last of them, never corrupt the file
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        if isinstance(schema, str):
            schema = Schema("beside the queue's database", schema)
        try:
            self.upgraded = upgrade(self.db, path, schema)  # as the queue's: one mechanism
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Under the lock, all or nothing (a failed statement must not leave BEGIN open)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
