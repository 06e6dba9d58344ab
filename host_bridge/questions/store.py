"""The day's conversations, in a small SQLite file of their own beside the queue's,
`suivant.questions.db` for `suivant.db`: never in the queue's history (its events are kept for the retention
period; a citizen's words are not).

At day change each earlier day is reduced to counts (counts.py) and its conversations,
messages and « answered by the FAQ » rows deleted; the file is a private SideFile
(`secure_delete`: SQLite overwrites the freed bytes with zeros; a rollback journal deleted
after each commit: no WAL file keeps old pages), so once the day is over its texts are in no
file of the site. A power cut may lose the last messages, never a ticket.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..store.migrations import Schema
from ..store.side_file import SideFile
from .counts import Counts, Round, reduce
from .rules import waiting_since

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, day TEXT NOT NULL,
    service TEXT NOT NULL, status TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT,
    round_at TEXT NOT NULL, changed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    conversation TEXT NOT NULL, day TEXT NOT NULL, service TEXT NOT NULL,
    asked_at TEXT NOT NULL, answer_s REAL);
CREATE INDEX IF NOT EXISTS rounds_of ON rounds (conversation);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, sender TEXT NOT NULL,
    text TEXT NOT NULL, at TEXT NOT NULL, faq_id INTEGER, faq_question TEXT, faq_answer TEXT);
CREATE INDEX IF NOT EXISTS messages_of ON messages (conversation, id);
CREATE TABLE IF NOT EXISTS faq_answered (
    ticket_id TEXT NOT NULL, entry INTEGER NOT NULL, day TEXT NOT NULL, service TEXT NOT NULL,
    question TEXT NOT NULL, PRIMARY KEY (ticket_id, entry));
CREATE TABLE IF NOT EXISTS day_counts (
    day TEXT NOT NULL, service TEXT NOT NULL, asked INTEGER NOT NULL, by_faq INTEGER NOT NULL,
    by_staff INTEGER NOT NULL, unanswered INTEGER NOT NULL, abusive INTEGER NOT NULL,
    first_answers TEXT NOT NULL, PRIMARY KEY (day, service));
CREATE TABLE IF NOT EXISTS faq_helpful (
    day TEXT NOT NULL, service TEXT NOT NULL, question TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (day, service, question));
"""


def store_path(db_path: str) -> str:
    """suivant.db -> suivant.questions.db (as suivant.staff.db, suivant.appointments.db)."""
    if db_path == ":memory:":
        return db_path
    p = Path(db_path)
    return str(p.with_name(p.stem + ".questions.db"))


@dataclass(frozen=True)
class Message:
    id: int
    sender: str  # "citizen" | "staff"
    text: str
    at: datetime
    faq: dict | None  # {"id", "question", "answer"} attached by staff

    def view(self) -> dict:
        return {"id": self.id, "from": self.sender, "text": self.text, "at": self.at.isoformat(),
                "faq": self.faq}


@dataclass(frozen=True)
class Conversation:
    id: str
    ticket_id: str
    day: str
    service: str
    status: str  # "open" | "closed" | "blocked"
    opened_at: datetime
    closed_at: datetime | None
    messages: tuple[Message, ...]
    round_at: datetime  # when its current question was asked (its opening, or its reopening)

    def citizen_times(self) -> list[datetime]:
        return [m.at for m in self.messages if m.sender == "citizen"]

    def waiting_since(self) -> datetime | None:
        """Since when its citizen waits for the desk: in the current question only (one the
        citizen closed unanswered before asking again is not this one's wait)."""
        if self.status != "open":
            return None
        return waiting_since((m.sender, m.at) for m in self.messages if m.at >= self.round_at)


_MESSAGES = ("SELECT conversation, id, sender, text, at, faq_id, faq_question, faq_answer "
             "FROM messages ")


def _message(row: tuple) -> Message:
    _, mid, sender, text, at, fid, fq, fa = row
    return Message(mid, sender, text, datetime.fromisoformat(at),
                   None if fid is None else {"id": fid, "question": fq, "answer": fa})


_CONVERSATION = ("SELECT id, ticket_id, day, service, status, opened_at, closed_at, round_at "
                 "FROM conversations ")


class QuestionStore(SideFile):
    def __init__(self, path: str):
        # one mechanism for every file's schema (user_version); a later step would copy the
        # file first (`.schema<n>.bak`): that copy must then be reduced or deleted too
        super().__init__(path, Schema("the citizens' questions", _SCHEMA), private=True)

    def transaction(self) -> Any:
        """Under the lock, all or nothing: a rule checked in it holds when the write lands."""
        return self._transaction()

    # ----- reading (the caller holds a transaction, or reads alone) --------------------------
    def _conversation(self, db: sqlite3.Connection, row: tuple | None,
                      messages: tuple[Message, ...] | None = None) -> Conversation | None:
        if row is None:
            return None
        if messages is None:
            messages = tuple(_message(m) for m in db.execute(
                _MESSAGES + "WHERE conversation = ? ORDER BY id", (row[0],)))
        cid, tid, day, service, status, opened, closed, round_at = row
        return Conversation(cid, tid, day, service, status, datetime.fromisoformat(opened),
                            None if closed is None else datetime.fromisoformat(closed), messages,
                            datetime.fromisoformat(round_at))

    def of_ticket(self, ticket_id: str, db: sqlite3.Connection | None = None) -> Conversation | None:
        if db is None:
            with self._lock:
                return self.of_ticket(ticket_id, self.db)
        return self._conversation(db, db.execute(_CONVERSATION + "WHERE ticket_id = ?",
                                                 (ticket_id,)).fetchone())

    def by_id(self, conversation_id: str, db: sqlite3.Connection | None = None) -> Conversation | None:
        if db is None:
            with self._lock:
                return self.by_id(conversation_id, self.db)
        return self._conversation(db, db.execute(_CONVERSATION + "WHERE id = ?",
                                                 (conversation_id,)).fetchone())

    def of_day(self, day: str) -> list[Conversation]:
        """The day's conversations with their messages: two queries, not one per conversation
        (the desk's list is read again at every change it hears)."""
        with self._lock:
            rows = self.db.execute(_CONVERSATION + "WHERE day = ?", (day,)).fetchall()
            by_conversation: dict[str, list[Message]] = {}
            for m in self.db.execute(
                    _MESSAGES + "WHERE conversation IN (SELECT id FROM conversations "
                    "WHERE day = ?) ORDER BY id", (day,)):
                by_conversation.setdefault(m[0], []).append(_message(m))
        return [c for c in (self._conversation(self.db, r, tuple(by_conversation.get(r[0], ())))
                            for r in rows) if c is not None]

    # ----- writing (inside `transaction`) ------------------------------------------------------
    @staticmethod
    def open(db: sqlite3.Connection, ticket_id: str, day: str, service: str, now: datetime) -> str:
        cid = secrets.token_urlsafe(12)  # staff name it by this: the ticket id opens the citizen's page
        db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, 'open', ?, NULL, ?, ?)",
                   (cid, ticket_id, day, service, now.isoformat(), now.isoformat(),
                    now.isoformat()))
        db.execute("INSERT INTO rounds VALUES (?, ?, ?, ?, NULL)",
                   (cid, day, service, now.isoformat()))
        return cid

    @staticmethod
    def reopen(db: sqlite3.Connection, cid: str, day: str, service: str, now: datetime) -> None:
        """A new question in a conversation closed normally: one more asked, in the service
        the ticket is in now (a transfer leaves the earlier questions where they were asked),
        its wait for an answer counted from now."""
        db.execute("UPDATE conversations SET status = 'open', closed_at = NULL, service = ?, "
                   "round_at = ?, changed_at = ? WHERE id = ?",
                   (service, now.isoformat(), now.isoformat(), cid))
        db.execute("INSERT INTO rounds VALUES (?, ?, ?, ?, NULL)",
                   (cid, day, service, now.isoformat()))

    @staticmethod
    def add(db: sqlite3.Connection, cid: str, sender: str, text: str, now: datetime,
            faq: dict | None = None) -> None:
        db.execute("INSERT INTO messages (conversation, sender, text, at, faq_id, faq_question, "
                   "faq_answer) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (cid, sender, text, now.isoformat(), *(
                       (faq["id"], faq["question"], faq["answer"]) if faq else (None, None, None))))
        if sender == "staff":  # the current question answered: its first answer timed
            row = db.execute("SELECT rowid, asked_at FROM rounds WHERE conversation = ? "
                             "ORDER BY rowid DESC LIMIT 1", (cid,)).fetchone()
            if row is not None:
                seconds = max(0.0, (now - datetime.fromisoformat(row[1])).total_seconds())
                db.execute("UPDATE rounds SET answer_s = coalesce(answer_s, ?) WHERE rowid = ?",
                           (seconds, row[0]))
        db.execute("UPDATE conversations SET changed_at = ? WHERE id = ?", (now.isoformat(), cid))

    @staticmethod
    def close_conversation(db: sqlite3.Connection, cid: str, status: str, now: datetime) -> None:
        db.execute("UPDATE conversations SET status = ?, closed_at = ?, changed_at = ? WHERE id = ?",
                   (status, now.isoformat(), now.isoformat(), cid))

    def faq_answered(self, ticket_id: str, entry: int, day: str, service: str, question: str) -> bool:
        """Counted once per ticket and entry: -> whether this one was new."""
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO faq_answered VALUES (?, ?, ?, ?, ?)",
                              (ticket_id, entry, day, service, question)).rowcount == 1

    # ----- counts and retention ------------------------------------------------------------------
    def _live(self, first: str, last: str) -> tuple[dict[tuple[str, str], Counts],
                                                     dict[tuple[str, str, str], int]]:
        """The counts the rows of days in [first, last] not reduced yet would give."""
        rounds: dict[str, list[Round]] = {}
        for day, service, answer_s in self.db.execute(
                "SELECT day, service, answer_s FROM rounds WHERE day BETWEEN ? AND ?",
                (first, last)):
            rounds.setdefault(day, []).append(Round(service, answer_s))
        blocked: dict[str, list[str]] = {}
        for day, service in self.db.execute(
                "SELECT day, service FROM conversations WHERE status = 'blocked' "
                "AND day BETWEEN ? AND ?", (first, last)):
            blocked.setdefault(day, []).append(service)
        by_faq: dict[str, list[str]] = {}
        helpful: dict[tuple[str, str, str], int] = {}
        for day, service, question in self.db.execute(
                "SELECT day, service, question FROM faq_answered WHERE day BETWEEN ? AND ?",
                (first, last)):
            by_faq.setdefault(day, []).append(service)
            helpful[(day, service, question)] = helpful.get((day, service, question), 0) + 1
        counts = {(day, service): c
                  for day in set(rounds) | set(blocked) | set(by_faq)
                  for service, c in reduce(rounds.get(day, ()), blocked.get(day, ()),
                                           by_faq.get(day, ())).items()}
        return counts, helpful

    def reduce_before(self, day: str) -> list[str]:
        """Every day before `day` becomes counts, its texts deleted: -> the days reduced."""
        with self.transaction() as db:
            days = sorted({d for (d,) in db.execute(
                "SELECT day FROM conversations WHERE day < ? UNION "
                "SELECT day FROM faq_answered WHERE day < ?", (day, day))})
            if not days:
                return []
            counts, helpful = self._live(days[0], days[-1])
            for (d, service), c in counts.items():
                old = db.execute("SELECT asked, by_faq, by_staff, unanswered, abusive, "
                                 "first_answers FROM day_counts WHERE day = ? AND service = ?",
                                 (d, service)).fetchone()
                if old is not None:  # a day reduced in two steps (rows written after it)
                    c.merge(Counts(*old[:5], json.loads(old[5])))
                db.execute("INSERT OR REPLACE INTO day_counts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (d, service, c.asked, c.by_faq, c.by_staff, c.unanswered, c.abusive,
                            json.dumps(c.first_answers)))
            for (d, service, question), n in helpful.items():
                db.execute("INSERT INTO faq_helpful VALUES (?, ?, ?, ?) ON CONFLICT (day, "
                           "service, question) DO UPDATE SET count = count + excluded.count",
                           (d, service, question, n))
            db.execute("DELETE FROM messages WHERE conversation IN "
                       "(SELECT id FROM conversations WHERE day < ?)", (day,))
            db.execute("DELETE FROM rounds WHERE day < ?", (day,))
            db.execute("DELETE FROM conversations WHERE day < ?", (day,))
            db.execute("DELETE FROM faq_answered WHERE day < ?", (day,))
            return days

    def counts(self, first: str, last: str) -> tuple[dict[tuple[str, str], Counts],
                                                      dict[tuple[str, str, str], int]]:
        """(day, service) -> Counts and (day, service, question) -> FAQ answers, kept and live."""
        with self._lock:
            counts, helpful = self._live(first, last)
            for d, service, *numbers, answers in self.db.execute(
                    "SELECT day, service, asked, by_faq, by_staff, unanswered, abusive, "
                    "first_answers FROM day_counts WHERE day BETWEEN ? AND ?", (first, last)):
                counts.setdefault((d, service), Counts()).merge(Counts(*numbers, json.loads(answers)))
            for d, service, question, n in self.db.execute(
                    "SELECT day, service, question, count FROM faq_helpful "
                    "WHERE day BETWEEN ? AND ?", (first, last)):
                helpful[(d, service, question)] = helpful.get((d, service, question), 0) + n
            return counts, helpful


def keep_only_counts(path: str | Path) -> None:
    """A copy of the file — a backup's, or the one a restore puts aside — with every day,
    today's too, reduced to its counts: no conversation, no text, no ticket id left in it,
    and the freed pages gone (VACUUM)."""
    store = QuestionStore(str(path))
    try:
        store.reduce_before("9999-12-31")  # every day there is
        with store._lock:
            store.db.execute("VACUUM")
    finally:
        store.close()
