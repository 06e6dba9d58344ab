"""The survey's free comments, in their own SQLite file beside the queue's (suivant.db ->
suivant.survey.db; a queue in memory: in memory too). A row is what a supervisor reads: the
business day, the service, the score, the text, and the counter only where the site turned on
`[privacy] figures_per_counter`. No ticket id, no time finer than the day: nothing leads back
to the citizen. Kept the site's retention_days, then deleted (survey/link.py).

    comments = CommentStore(comments_path(settings.db_path))
    comments.add("2026-11-26", "accueil", 4, "Très bon accueil", None)
    comments.between("2026-11-01", "2026-11-30")   # newest first, at most MAX_LISTED
    comments.purge_before("2025-10-23")            # -> rows deleted
"""
from __future__ import annotations

from pathlib import Path

from typing import Any

from ..store.side_file import SideFile

MAX_TEXT = 500  # characters, after trimming
MAX_LISTED = 500  # a supervisor's page, newest first

_SCHEMA = """
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL,
    score INTEGER NOT NULL, text TEXT NOT NULL, counter INTEGER);
CREATE INDEX IF NOT EXISTS comments_by_day ON comments(day);
"""


def comments_path(db_path: str) -> str:
    """suivant.db -> suivant.survey.db (as suivant.staff.db, suivant.questions.db)."""
    if db_path == ":memory:":
        return db_path
    p = Path(db_path)
    return str(p.with_name(p.stem + ".survey.db"))


class CommentStore(SideFile):
    def __init__(self, path: str):
        # private: a comment past its retention is gone from the files, not kept in a WAL until
        # the bridge stops. No fsync per write: a comment lost to a power cut is a comment, and
        # the vote itself is in the queue's history
        super().__init__(path, _SCHEMA, private=True)

    def add(self, day: str, service: str, score: int, text: str, counter: int | None) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO comments (day, service, score, text, counter) "
                       "VALUES (?, ?, ?, ?, ?)", (day, service, score, text, counter))

    def forget_counters(self) -> int:
        """Every comment's counter deleted (the site's per-counter switch is off); -> how many."""
        with self._transaction() as db:
            return db.execute("UPDATE comments SET counter = NULL WHERE counter IS NOT NULL"
                              ).rowcount

    def between(self, first: str, last: str, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """Days first..last (ISO, included), newest first (within a day: the latest written
        first), with the counter where one was stored."""
        with self._lock:
            rows = self.db.execute(
                "SELECT day, service, score, text, counter FROM comments "
                "WHERE day BETWEEN ? AND ? ORDER BY day DESC, id DESC LIMIT ?",
                (first, last, limit)).fetchall()
        return [{"day": d, "service": s, "score": n, "text": t,
                 **({"counter": k} if k is not None else {})} for d, s, n, t, k in rows]

    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM comments").fetchone()[0]

    def purge_before(self, day: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM comments WHERE day < ?", (day,)).rowcount
