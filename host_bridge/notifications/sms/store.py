"""Citizens' phone numbers, kept only while their ticket is live.

In memory, and (so a restart mid-morning does not silence every SMS) in a small SQLite file of
its own beside the queue's, `<queue db>.sms.db`: never in the queue's history. Its rows are
deleted when the ticket ends and at day change, with `secure_delete` (SQLite overwrites the
freed bytes with zeros) and a rollback journal that is deleted after each commit (no WAL file
keeps old pages): once forgotten, a number is in no file of the site.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAX_NUMBERS = 10_000  # tickets with an SMS at once: far more than a site issues in a day
MAX_TICKETS_PER_NUMBER = 3  # a family's tickets; more is a number typed on strangers' tickets
MAX_CHANGES_PER_TICKET = 3  # numbers a ticket may be given: each costs a confirmation SMS


class StoreFull(Exception):
    """`reason`: "full", "number_busy" (the number is on too many tickets) or "too_many_changes"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    number: str
    day: str  # the business day of the ticket (ISO)


class NumberStore:
    def __init__(self, path: str | None = None):
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._changes: dict[str, int] = {}  # ticket id -> numbers given today
        self._db = None if path is None else self._open(path)
        if self._db is not None:
            for ticket_id, number, day in self._db.execute("SELECT ticket_id, number, day FROM numbers"):
                self._entries[ticket_id] = Entry(number, day)
                self._changes[ticket_id] = 1

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        """No fsync (a put runs under the queue's lock: microseconds, not a disk's flush): a
        power cut may lose or spoil the file, which is then started afresh; the cost is SMS
        not sent to those who asked before it, never a ticket."""
        for attempt in range(2):
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA secure_delete=ON")
                db.execute("PRAGMA journal_mode=DELETE")
                db.execute("PRAGMA synchronous=OFF")
                db.execute("CREATE TABLE IF NOT EXISTS numbers (ticket_id TEXT PRIMARY KEY, "
                           "number TEXT NOT NULL, day TEXT NOT NULL)")
                db.execute("SELECT count(*) FROM numbers").fetchone()
                return db
            except sqlite3.DatabaseError:
                db.close()
                if attempt:
                    raise
                log.warning("SMS numbers file %s unreadable: started afresh", path)
                Path(path).unlink(missing_ok=True)
                Path(path + "-journal").unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, ticket_id: str, number: str, day: str) -> None:
        """Raises StoreFull (nothing changed) past the bounds above."""
        with self._lock:
            old = self._entries.get(ticket_id)
            if old is not None and old.number == number:
                return
            if self._changes.get(ticket_id, 0) >= MAX_CHANGES_PER_TICKET:
                raise StoreFull(f"a ticket may be given {MAX_CHANGES_PER_TICKET} numbers at most",
                                "too_many_changes")
            if sum(e.number == number for e in self._entries.values()) >= MAX_TICKETS_PER_NUMBER:
                raise StoreFull(f"this number already follows {MAX_TICKETS_PER_NUMBER} tickets",
                                "number_busy")
            if old is None and len(self._entries) >= MAX_NUMBERS:
                raise StoreFull(f"{MAX_NUMBERS} numbers are kept at most", "full")
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO numbers VALUES (?, ?, ?)",
                                 (ticket_id, number, day))
            self._entries[ticket_id] = Entry(number, day)
            if len(self._changes) >= 2 * MAX_NUMBERS:
                self._changes = {t: n for t, n in self._changes.items() if t in self._entries}
            self._changes[ticket_id] = self._changes.get(ticket_id, 0) + 1

    def number_of(self, ticket_id: str) -> str | None:
        entry = self._entries.get(ticket_id)
        return None if entry is None else entry.number

    def tickets_of(self, number: str) -> list[str]:
        with self._lock:
            return [t for t, e in self._entries.items() if e.number == number]

    def ticket_ids(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def forget(self, ticket_ids: list[str] | str) -> int:
        """-> how many numbers were forgotten."""
        ids = [ticket_ids] if isinstance(ticket_ids, str) else list(ticket_ids)
        with self._lock:
            gone = [t for t in ids if self._entries.pop(t, None) is not None]
            if gone and self._db is not None:
                self._db.executemany("DELETE FROM numbers WHERE ticket_id = ?", [(t,) for t in gone])
            return len(gone)

    def forget_days_before(self, day: str) -> int:
        """Day change: every number of an earlier day goes, and the day's change counts."""
        with self._lock:
            old = [t for t, e in self._entries.items() if e.day < day]
            self._changes = {t: n for t, n in self._changes.items() if t in self._entries}
        return self.forget(old)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
