"""Today's appointments in their own SQLite file beside the queue's (suivant.db ->
suivant.appointments.db): personal data kept apart from the history, and purged with the day.

One connection and one lock (the request threads, the feeds' and the sweep's threads share it);
WAL, so `suivant appointments import` may write while the bridge runs. Each write is one
transaction: an import replaces a source's day whole or not at all.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path

from ..store.side_file import SideFile
from .model import Appointment, Status

MAX_PER_DAY = 5000  # per source: a busy préfecture books a few hundred a day

_SCHEMA = """
CREATE TABLE IF NOT EXISTS appointments (
    source TEXT NOT NULL, external_id TEXT NOT NULL, service TEXT NOT NULL, day TEXT NOT NULL,
    at TEXT NOT NULL, hhmm TEXT NOT NULL, code TEXT, ants TEXT, initials TEXT,
    status TEXT NOT NULL, ticket_id TEXT, reported INTEGER NOT NULL DEFAULT 0,
    report_tries INTEGER NOT NULL DEFAULT 0, report_after REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (source, external_id));
CREATE INDEX IF NOT EXISTS appointments_by_day ON appointments(day, at);
CREATE INDEX IF NOT EXISTS appointments_by_code ON appointments(code);
CREATE INDEX IF NOT EXISTS appointments_by_ants ON appointments(ants);
CREATE INDEX IF NOT EXISTS appointments_by_ticket ON appointments(ticket_id);
"""
_COLUMNS = "source, external_id, service, at, code, ants, initials, status, ticket_id, reported"


class TooMany(ValueError):
    """More appointments in a day than a source may hold."""


def appointments_path(db_path: str) -> str:
    """suivant.db -> suivant.appointments.db (as the staff file: suivant.staff.db)."""
    if db_path == ":memory:":
        return db_path
    p = Path(db_path)
    return str(p.with_name(p.stem + ".appointments.db"))


def _row(row: tuple) -> Appointment:
    return Appointment(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4], row[5],
                       row[6], Status(row[7]), row[8], bool(row[9]))


def _day(a: Appointment, tz) -> str:
    return a.at.astimezone(tz).date().isoformat()


class AppointmentStore(SideFile):
    def __init__(self, path: str, tz):
        super().__init__(path, _SCHEMA)  # no fsync per write: an import is redone by the next refresh
        self.tz = tz

    def _select(self, where: str, args: Iterable = ()) -> list[Appointment]:
        with self._lock:
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM appointments WHERE {where} "
                                   "ORDER BY at, source, external_id", tuple(args)).fetchall()
        return [_row(r) for r in rows]

    # ----- imports ------------------------------------------------------------------------
    def replace_day(self, source: str, day: date, items: list[Appointment],
                    service: str | None = None) -> dict[str, int]:
        """The source's list for `day` (and `service`, when given) becomes `items`: new ones
        booked, known ones updated (their check-in kept), missing ones cancelled unless already
        checked in or done. Raises TooMany or ValueError (an item of another day or source, a
        duplicate id) and changes nothing. -> counts: added, updated, cancelled."""
        iso = day.isoformat()
        seen: set[str] = set()
        for a in items:
            if a.source != source or _day(a, self.tz) != iso or (service and a.service != service):
                raise ValueError(f"appointment {a.external_id!r} is not of {source} on {iso}"
                                 + (f" for {service}" if service else ""))
            if a.external_id in seen:
                raise ValueError(f"appointment id {a.external_id!r} is given twice")
            seen.add(a.external_id)
        counts = {"added": 0, "updated": 0, "cancelled": 0}
        with self._transaction() as db:
            others = db.execute(
                "SELECT COUNT(*) FROM appointments WHERE source = ? AND day = ? AND service != ?",
                (source, iso, service or "")).fetchone()[0] if service else 0
            if others + len(items) > MAX_PER_DAY:
                raise TooMany(f"{others + len(items)} appointments on {iso} from {source}: "
                              f"{MAX_PER_DAY} at most")
            for a in items:
                counts["added" if self._upsert(db, a) else "updated"] += 1
            where = "source = ? AND day = ? AND status = ?" + (
                " AND service = ?" if service else "")
            args = [source, iso, Status.BOOKED.value] + ([service] if service else [])
            known = {r[0] for r in db.execute(
                f"SELECT external_id FROM appointments WHERE {where}", args)}
            gone = sorted(known - seen)
            db.executemany(
                "UPDATE appointments SET status = ? WHERE source = ? AND external_id = ?",
                [(Status.CANCELLED.value, source, x) for x in gone])
            counts["cancelled"] = len(gone)
        return counts

    def upsert(self, a: Appointment) -> bool:
        """One appointment, new or changed (its check-in kept). -> True when new."""
        with self._transaction() as db:
            count = db.execute("SELECT COUNT(*) FROM appointments WHERE source = ? AND day = ?",
                               (a.source, _day(a, self.tz))).fetchone()[0]
            if count >= MAX_PER_DAY:
                exists = db.execute("SELECT 1 FROM appointments WHERE source = ? AND "
                                    "external_id = ?", a.key).fetchone()
                if not exists:
                    raise TooMany(f"{a.source} already has {MAX_PER_DAY} appointments that day")
            return self._upsert(db, a)

    def _upsert(self, db: sqlite3.Connection, a: Appointment) -> bool:
        local = a.at.astimezone(self.tz)
        fields = (a.service, local.date().isoformat(), a.at.isoformat(),
                  local.strftime("%H:%M"), a.code, a.ants, a.initials)
        updated = db.execute(
            "UPDATE appointments SET service = ?, day = ?, at = ?, hhmm = ?, code = ?, ants = ?, "
            "initials = ?, status = CASE status WHEN 'cancelled' THEN 'booked' ELSE status END "
            "WHERE source = ? AND external_id = ?", fields + a.key).rowcount
        if updated:
            return False
        db.execute("INSERT INTO appointments (service, day, at, hhmm, code, ants, initials, "
                   "source, external_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   fields + a.key + (a.status.value,))
        return True

    def cancel(self, source: str, external_id: str) -> Appointment | None:
        """Cancelled by the booking tool; one already checked in keeps its ticket. -> the
        appointment as it now is, None when unknown."""
        with self._transaction() as db:
            db.execute("UPDATE appointments SET status = 'cancelled' WHERE source = ? AND "
                       "external_id = ? AND status = 'booked'", (source, external_id))
        return self.get(source, external_id)

    # ----- look-ups -----------------------------------------------------------------------
    def get(self, source: str, external_id: str) -> Appointment | None:
        found = self._select("source = ? AND external_id = ?", (source, external_id))
        return found[0] if found else None

    def day(self, day: date, service: str | None = None) -> list[Appointment]:
        if service is None:
            return self._select("day = ?", (day.isoformat(),))
        return self._select("day = ? AND service = ?", (day.isoformat(), service))

    def by_code(self, day: date, code: str) -> list[Appointment]:
        return self._select("day = ? AND code = ?", (day.isoformat(), code))

    def by_ants(self, day: date, ants: str) -> list[Appointment]:
        return self._select("day = ? AND ants = ?", (day.isoformat(), ants))

    def ants_numbers(self, day: date) -> set[str]:
        with self._lock:
            return {r[0] for r in self.db.execute(
                "SELECT ants FROM appointments WHERE day = ? AND ants IS NOT NULL",
                (day.isoformat(),))}

    def by_initials(self, day: date, initials: str, at: time) -> list[Appointment]:
        return self._select("day = ? AND initials = ? AND hhmm = ?",
                            (day.isoformat(), initials, at.strftime("%H:%M")))

    def by_ticket(self, ticket_id: str) -> Appointment | None:
        found = self._select("ticket_id = ?", (ticket_id,))
        return found[0] if found else None

    # ----- check-in and outcomes ----------------------------------------------------------
    def set_ticket(self, a: Appointment, ticket_id: str | None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE appointments SET ticket_id = ? WHERE source = ? AND external_id = ?",
                       (ticket_id,) + a.key)

    def mark(self, a: Appointment, status: Status, only_from: tuple[Status, ...] = ()) -> bool:
        """Set the status (when it is one of `only_from`, if given). -> whether it changed."""
        where = "source = ? AND external_id = ?"
        args: list = [status.value, *a.key]
        if only_from:
            where += f" AND status IN ({', '.join('?' * len(only_from))})"
            args += [s.value for s in only_from]
        with self._transaction() as db:
            changed = db.execute(f"UPDATE appointments SET status = ? WHERE {where}", args)
            return changed.rowcount > 0

    def outcomes_due(self, now: float, limit: int = 100) -> list[tuple[Appointment, int]]:
        """Seen / no-show outcomes not yet accepted by their booking tool, whose next try is
        due: (appointment, tries so far)."""
        with self._lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS}, report_tries FROM appointments WHERE reported = 0 AND "
                "status IN ('seen', 'noshow') AND report_after <= ? ORDER BY report_after "
                "LIMIT ?", (now, limit)).fetchall()
        return [(_row(r), r[10]) for r in rows]

    def reported(self, a: Appointment, ok: bool, retry_at: float | None = None) -> None:
        """The outcome was accepted (`ok`), or failed: try again at `retry_at` (None: never)."""
        with self._transaction() as db:
            if ok or retry_at is None:
                db.execute("UPDATE appointments SET reported = ? WHERE source = ? AND "
                           "external_id = ?", (1 if ok else -1,) + a.key)
            else:
                db.execute("UPDATE appointments SET report_tries = report_tries + 1, "
                           "report_after = ? WHERE source = ? AND external_id = ?",
                           (retry_at,) + a.key)

    def purge_before(self, day: date) -> int:
        """Personal data: nothing is kept of the days before `day` (the figures are the queue's)."""
        with self._transaction() as db:
            return db.execute("DELETE FROM appointments WHERE day < ?", (day.isoformat(),)).rowcount
