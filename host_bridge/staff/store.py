"""The staff file: accounts, sessions (their tokens' SHA-256 only) and the audit log.

One SQLite file of its own beside the queue's, shared by the bridge and the `suivant agent`
commands (WAL: the CLI may write while the bridge runs). Every method takes the lock: the
bridge's request threads and the audit writer share one connection.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from ..store.side_file import SideFile
from .accounts import Account
from .lockout import Tries

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    login TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, counters TEXT NOT NULL,
    password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, locked_until REAL);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES accounts(login),
    created REAL NOT NULL, last_seen REAL NOT NULL, expires REAL NOT NULL, counter INTEGER);
CREATE INDEX IF NOT EXISTS sessions_by_counter ON sessions(counter);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, actor TEXT, action TEXT NOT NULL,
    counter INTEGER, label TEXT, target TEXT, detail TEXT, via TEXT, address TEXT);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit(at);
"""
AUDIT_COLUMNS = ("at", "actor", "action", "counter", "label", "target", "detail", "via", "address")


def active_accounts(path: str) -> int | None:
    """How many enabled accounts the staff file at `path` holds, read only (no schema step, no
    file made: `suivant check-config` looks without changing anything); None when there is no
    such file or it cannot be read."""
    from ..store.sqlite_copy import file_uri
    try:
        db = sqlite3.connect(file_uri(path, "ro"), uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM accounts WHERE disabled = 0").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], tuple(json.loads(row[3])), bool(row[4]), row[5])


class StaffStore(SideFile):
    def __init__(self, path: str):
        # no fsync per audit batch or sign-in (SideFile): a power cut may lose the last of them
        super().__init__(path, _SCHEMA)

    # ----- accounts ----------------------------------------------------------------------------
    def account(self, login: str) -> tuple[Account, str, int] | None:
        """The account, its password hash and its failed sign-ins in a row."""
        with self._lock:
            row = self.db.execute("SELECT login, name, role, counters, disabled, locked_until, "
                                  "password, failures FROM accounts WHERE login=?",
                                  (login,)).fetchone()
        return None if row is None else (_account(row), row[6], row[7])

    def accounts(self) -> list[Account]:
        with self._lock:
            rows = self.db.execute("SELECT login, name, role, counters, disabled, locked_until "
                                   "FROM accounts ORDER BY login").fetchall()
        return [_account(r) for r in rows]

    def add(self, account: Account, password_hash: str) -> bool:
        """False when the login is taken."""
        with self._lock:
            try:
                self.db.execute("INSERT INTO accounts(login, name, role, counters, password, "
                                "disabled) VALUES (?,?,?,?,?,?)",
                                (account.login, account.name, account.role,
                                 json.dumps(list(account.counters)), password_hash,
                                 int(account.disabled)))
            except sqlite3.IntegrityError:
                return False
        return True

    def update(self, login: str, **fields: Any) -> None:
        """Change some of name, role, counters, password, disabled, failures, locked_until."""
        if "counters" in fields:
            fields["counters"] = json.dumps(list(fields["counters"]))
        if "disabled" in fields:
            fields["disabled"] = int(fields["disabled"])
        names = ", ".join(f"{k}=?" for k in fields)  # keys are ours, never the caller's text
        with self._lock:
            self.db.execute(f"UPDATE accounts SET {names} WHERE login=?", (*fields.values(), login))

    def with_tries(self, login: str, change: Callable[[Tries], T]) -> T:
        """`change` the account's failed sign-ins, read and written in one transaction (two
        sign-ins at once, or the CLI's reset meanwhile, never count from the same value)."""
        with self._transaction() as db:
            row = db.execute("SELECT failures, locked_until FROM accounts WHERE login=?",
                             (login,)).fetchone()
            tries = Tries(row[0], 0.0, row[1] or 0.0) if row else Tries()
            result = change(tries)
            db.execute("UPDATE accounts SET failures=?, locked_until=? WHERE login=?",
                       (tries.failures, tries.locked_until or None, login))
        return result

    # ----- sessions ----------------------------------------------------------------------------
    def open_session(self, digest: str, login: str, now: float, expires: float,
                     counter: int | None) -> None:
        with self._transaction() as db:
            if counter is not None:  # one person at a counter: the newcomer takes it
                db.execute("UPDATE sessions SET counter=NULL WHERE counter=?", (counter,))
            db.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?)",
                       (digest, login, now, now, expires, counter))

    def session(self, digest: str) -> tuple[Account, float, float, int | None] | None:
        """The session's account, last use, end and counter."""
        with self._lock:
            row = self.db.execute(
                "SELECT a.login, a.name, a.role, a.counters, a.disabled, a.locked_until, "
                "s.last_seen, s.expires, s.counter FROM sessions s JOIN accounts a "
                "ON a.login = s.login WHERE s.token_sha256=?", (digest,)).fetchone()
        return None if row is None else (_account(row), row[6], row[7], row[8])

    def touch(self, digest: str, now: float) -> None:
        with self._lock:
            self.db.execute("UPDATE sessions SET last_seen=? WHERE token_sha256=?", (now, digest))

    def seat(self, digest: str, counter: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sessions SET counter=NULL WHERE counter=? AND token_sha256<>?",
                       (counter, digest))
            db.execute("UPDATE sessions SET counter=? WHERE token_sha256=?", (counter, digest))

    def at_counter(self, counter: int, alive_since: float, now: float) -> tuple[str, str] | None:
        """(login, session digest) of the person signed in at `counter`, if any."""
        with self._lock:
            return self.db.execute(
                "SELECT s.login, s.token_sha256 FROM sessions s JOIN accounts a ON a.login=s.login "
                "WHERE s.counter=? AND s.last_seen>=? AND s.expires>? AND a.disabled=0 "
                "ORDER BY s.last_seen DESC LIMIT 1", (counter, alive_since, now)).fetchone()

    def end_session(self, digest: str) -> None:
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE token_sha256=?", (digest,))

    def end_sessions_of(self, login: str) -> None:
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE login=?", (login,))

    def purge_sessions(self, now: float, alive_since: float) -> None:
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE expires<=? OR last_seen<?",
                            (now, alive_since))

    # ----- audit -------------------------------------------------------------------------------
    def audit(self, entries: list[tuple]) -> None:
        """Entries as AUDIT_COLUMNS tuples, in one transaction."""
        with self._transaction() as db:
            db.executemany(f"INSERT INTO audit({', '.join(AUDIT_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})", entries)

    def audit_after(self, after: int, limit: int, actor: str | None = None) -> list[dict]:
        query = f"SELECT id, {', '.join(AUDIT_COLUMNS)} FROM audit WHERE id>?"
        args: list[Any] = [after]
        if actor is not None:
            query += " AND actor=?"
            args.append(actor)
        with self._lock:
            rows = self.db.execute(query + " ORDER BY id LIMIT ?", (*args, limit)).fetchall()
        return [dict(zip(("id",) + AUDIT_COLUMNS, r)) for r in rows]

    def purge_audit(self, before: float) -> int:
        with self._lock:
            return self.db.execute("DELETE FROM audit WHERE at<?", (before,)).rowcount
