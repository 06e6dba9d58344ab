"""SQLite store: the event history and the answers of applied requests, in one WAL database.

One command is one transaction: its events and its answer are committed together, so a request
is either fully applied (and its answer is on disk) or not at all.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from ..domain.events import Event
from .event_codec import encode_compact, event_body, event_from_json
from .migrations import Schema, SchemaMismatch, upgrade
from .sqlite_copy import read_only

__all__ = ["QUEUE_SCHEMA", "Record", "SchemaMismatch", "SqliteStore", "StoredAnswer",
           "StoredEvent"]

_BASE = """
CREATE TABLE IF NOT EXISTS events (
    seq  INTEGER PRIMARY KEY,
    day  TEXT NOT NULL,
    type TEXT NOT NULL,
    at   TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_day ON events(day);
CREATE TABLE IF NOT EXISTS requests (
    source     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    answer     TEXT NOT NULL,
    last_seq   INTEGER,
    PRIMARY KEY (source, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS daily_tallies (day TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS request_order (
    source   TEXT PRIMARY KEY,
    stream   TEXT NOT NULL,
    position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faq_readers (
    day      TEXT NOT NULL,
    ticket   TEXT NOT NULL,
    service  TEXT NOT NULL,
    question TEXT NOT NULL,
    PRIMARY KEY (day, ticket, service, question)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faq_views (
    service  TEXT NOT NULL,
    question TEXT NOT NULL,
    views    INTEGER NOT NULL,
    PRIMARY KEY (service, question)
) WITHOUT ROWID;
"""


def _add_request_column(name: str):
    def step(db) -> None:  # files of 0.1.0 have it already (it was added ad hoc at open)
        if name not in {r[1] for r in db.execute("PRAGMA table_info(requests)")}:
            db.execute(f"ALTER TABLE requests ADD COLUMN {name} TEXT")
    return step


def _meta_version(db) -> int:
    """Release 0.1.0 kept the version in meta (and knew only 1)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() is None:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return int(row[0]) if row else 0


def _stamp_meta(db, version: int) -> None:
    # 0.1.0 reads only this row and refuses anything but 1: a file this Suivant upgraded is
    # refused there instead of used by code that does not know its schema
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(version),))


QUEUE_SCHEMA = Schema(
    "the queue's database", _BASE,
    steps=(
        _add_request_column("fingerprint"),  # 2: what a request asked (a reused key refused)
        _add_request_column("day"),          # 3: the purge takes a day's answers with it
    ),
    legacy_version=_meta_version, stamp=_stamp_meta)
SCHEMA_VERSION = QUEUE_SCHEMA.version


_INSERT_EVENT = "INSERT INTO events(seq, day, type, at, body) VALUES (?,?,?,?,?)"
_INSERT_ANSWER = ("INSERT INTO requests (source, request_id, answer, last_seq, fingerprint, day) "
                  "VALUES (?,?,?,?,?,?)")


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    event: Event


@dataclass(frozen=True)
class Record:
    """One decided request, committed whole: its events (none for a refusal), its answer, and
    what identifies it — (source, request id), the fingerprint of what was asked (a key reused
    for something else is refused), and its place in its source's ordered stream, if any."""
    events: list[Event]
    answer: dict[str, Any] | None
    source: str | None = None
    request_id: str | None = None
    fingerprint: str | None = None
    order: tuple[str, int] | None = None
    # the events' fields as JSON values (event_codec.event_body), if the caller made them
    # already (it shows the same to the public stream): None, the store makes them
    bodies: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class StoredAnswer:
    answer: dict[str, Any]
    fingerprint: str | None


class SqliteStore:
    def __init__(self, path: str, synchronous: str = "FULL", tz: tzinfo | None = None):
        self.tz = tz  # the site's zone, that replayed event times come back in
        self.path = path
        # check_same_thread=False: the service layer serialises every use behind its own lock
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("PRAGMA busy_timeout=5000")
        try:
            # an older file is copied beside itself, then upgraded in one transaction
            self.upgraded = upgrade(self.db, path, QUEUE_SCHEMA)
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # FAQ readings (not queue events: a count per question, kept across days; an added table,
    # so older files take it without a schema change)
    def faq_views(self, service: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT question, views FROM faq_views WHERE service=?",
                                    (service,)))

    def add_faq_view(self, service: str, question: str, ticket: str, day: str) -> None:
        """One more reading, unless this ticket already read it; the readers of earlier days
        are forgotten (only the counts stay)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM faq_readers WHERE day < ?", (day,))
            new = db.execute("INSERT OR IGNORE INTO faq_readers VALUES (?, ?, ?, ?)",
                             (day, ticket, service, question)).rowcount
            if new:
                db.execute("INSERT INTO faq_views VALUES (?, ?, 1) ON CONFLICT (service, "
                           "question) DO UPDATE SET views = views + 1", (service, question))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def answer_for(self, source: str, request_id: str) -> StoredAnswer | None:
        row = self.db.execute("SELECT answer, fingerprint FROM requests "
                              "WHERE source=? AND request_id=?", (source, request_id)).fetchone()
        return StoredAnswer(json.loads(row[0]), row[1]) if row else None

    def answers_for(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredAnswer]:
        """The recorded answers among (source, request id) keys, in one query per 400 keys
        (a burst of presses asks once, not once per press)."""
        found: dict[tuple[str, str], StoredAnswer] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i:i + 400]
            flat = [v for key in chunk for v in key]
            rows = self.db.execute(
                "WITH k(s, i) AS (VALUES " + ",".join(["(?,?)"] * len(chunk)) + ") "
                "SELECT r.source, r.request_id, r.answer, r.fingerprint FROM k JOIN requests r "
                "ON r.source = k.s AND r.request_id = k.i", flat)  # the primary key, per key
            for source, request_id, answer, fp in rows:
                found[(source, request_id)] = StoredAnswer(json.loads(answer), fp)
        return found

    def orders_of(self, sources: list[str]) -> dict[str, tuple[str, int]]:
        """order_of for several sources in one query per 800; sources never seen are absent."""
        found: dict[str, tuple[str, int]] = {}
        for i in range(0, len(sources), 800):
            chunk = sources[i:i + 800]
            rows = self.db.execute("SELECT source, stream, position FROM request_order WHERE "
                                   "source IN (" + ",".join("?" * len(chunk)) + ")", chunk)
            for source, stream, position in rows:
                found[source] = (stream, position)
        return found

    def order_of(self, source: str) -> tuple[str, int] | None:
        """The (stream, highest position) decided for an ordered source (a device's boot, seq)."""
        row = self.db.execute("SELECT stream, position FROM request_order WHERE source=?",
                              (source,)).fetchone()
        return (row[0], row[1]) if row else None

    def commit(self, day: str, record: Record) -> list[int]:
        """Append events and record the answer atomically; returns the events' sequence numbers."""
        return self.commit_many(day, [record])[0]

    def commit_many(self, day: str, records: list[Record]) -> list[list[int]]:
        """Several requests' events and answers in one transaction (one fsync): all or none.
        -> each record's sequence numbers. An answer's last_seq is its request's last event
        (NULL: it made none, e.g. a refusal kept as the answer); its day lets the retention
        purge take it with the day."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            # one statement per table for the whole batch: the sequence numbers are given, from
            # the highest one under this transaction's write lock (the rowid SQLite would pick)
            seq = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            out, events, answers, orders = [], [], [], []
            for r in records:
                first = seq + 1
                bodies = r.bodies if r.bodies is not None else map(event_body, r.events)
                for event, body in zip(r.events, bodies):
                    seq += 1
                    events.append((seq, day, type(event).__name__, body["at"],
                                   encode_compact(body)))
                seqs = list(range(first, seq + 1))
                if r.request_id is not None:
                    answers.append((r.source, r.request_id, encode_compact(r.answer),
                                    seqs[-1] if seqs else None, r.fingerprint, day))
                if r.order is not None:
                    orders.append((r.source, *r.order))
                out.append(seqs)
            if events:
                db.executemany(_INSERT_EVENT, events)
            if answers:
                db.executemany(_INSERT_ANSWER, answers)
            if orders:  # in order: a source's later position overwrites its earlier one
                db.executemany("INSERT INTO request_order VALUES (?,?,?) ON CONFLICT (source) "
                               "DO UPDATE SET stream=excluded.stream, position=excluded.position",
                               orders)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return out

    def current_day_events(self) -> Iterator[StoredEvent]:
        """The history since the latest day start: enough to rebuild today's queue."""
        rows = self.db.execute(
            "SELECT seq, type, body FROM events WHERE seq >= "
            "(SELECT coalesce(max(seq), 0) FROM events WHERE type='DayStarted') ORDER BY seq")
        for seq, kind, body in rows:
            yield StoredEvent(seq, event_from_json(kind, body, self.tz))

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        rows = self.db.execute("SELECT seq, type, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                               (seq, limit)).fetchall()
        return [StoredEvent(s, event_from_json(k, b, self.tz)) for s, k, b in rows]

    def events_of_days(self, first: str, last: str) -> Iterator[Event]:
        """The history of the business days first..last (ISO dates), on a connection of its
        own: a year's report reads while the queue keeps committing (WAL)."""
        db = read_only(self.path)
        try:
            for kind, body in db.execute("SELECT type, body FROM events WHERE day BETWEEN ? AND ? "
                                         "ORDER BY seq", (first, last)):
                yield event_from_json(kind, body, self.tz)
        finally:
            db.close()

    # ----- retention: a day's detail replaced by its tally ------------------------------------
    def days_before(self, day: str) -> list[str]:
        """Business days older than `day` whose events are still here."""
        return [d for (d,) in self.db.execute(
            "SELECT DISTINCT day FROM events WHERE day < ? ORDER BY day", (day,))]

    def events_for_tally(self, day: str) -> list[Event]:
        """The day's events and the next day start (it says which tickets the day left)."""
        rows = self.db.execute(
            "SELECT type, body FROM events WHERE day = ? UNION ALL SELECT * FROM ("
            "SELECT type, body FROM events WHERE type = 'DayStarted' AND seq > "
            "(SELECT max(seq) FROM events WHERE day = ?) ORDER BY seq LIMIT 1)",
            (day, day)).fetchall()
        return [event_from_json(kind, body, self.tz) for kind, body in rows]

    def purge_day(self, day: str, tally: dict[str, Any]) -> None:
        """One transaction: the day's tally kept, its events and the answers they made deleted."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            last = self.db.execute("SELECT max(seq) FROM events WHERE day = ?", (day,)).fetchone()[0]
            self.db.execute("INSERT OR REPLACE INTO daily_tallies VALUES (?, ?)",
                            (day, json.dumps(tally, separators=(",", ":"))))
            self.db.execute("DELETE FROM events WHERE day = ?", (day,))
            self.db.execute("DELETE FROM requests WHERE day = ?", (day,))
            if last is not None:  # answers recorded before requests had a day
                self.db.execute("DELETE FROM requests WHERE last_seq <= ?", (last,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def tallies_of_days(self, first: str, last: str) -> list[dict[str, Any]]:
        db = read_only(self.path)
        try:
            return [json.loads(body) for (body,) in db.execute(
                "SELECT body FROM daily_tallies WHERE day BETWEEN ? AND ? ORDER BY day",
                (first, last))]
        finally:
            db.close()

    def last_seq(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
