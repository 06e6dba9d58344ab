"""Central's staff accounts: the network's IT and supervisors, each with a session on sign-in.

Kept in central's PostgreSQL (not a file beside central.toml): every central process behind
the reverse proxy sees the same accounts and sessions, a disabled account is disabled on all
of them at once, and PostgreSQL's backups and replicas carry them with the figures.

Roles: `network` sees every site; `region` sees only its region's sites, everywhere (lists,
figures, CSV, totals). Passwords are the site's rules (staff/passwords.py: argon2id, 12 to 128
characters); failed sign-ins are counted as on the site (staff/lockout.py): five lock the
account for 15 minutes, unknown logins too, 30 lock an address.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..staff.accounts import LOGIN, MAX_NAME, AccountRefused
from ..staff.directory import SignInRefused
from ..staff.lockout import Tries, arrive, failed, succeeded
from ..staff.passwords import Passwords, password_problem

ROLES = ("network", "region")
LOCK_AFTER = 5
LOCK_SECONDS = 15 * 60
ADDRESS_FAILURES = 30
TRACKED = 10_000  # addresses and unknown logins remembered, the oldest forgotten
IDLE_SECONDS = 2 * 3600  # a session unused this long ends
SESSION_SECONDS = 12 * 3600  # and any session after this long
TOUCH_SECONDS = 60  # a session's last use is written at most this often
MAX_ACCOUNTS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS central_accounts (
    login        text PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('network', 'region')),
    region       text NOT NULL DEFAULT '',
    password     text NOT NULL,              -- argon2id, its parameters in it
    disabled     boolean NOT NULL DEFAULT false,
    failures     integer NOT NULL DEFAULT 0,
    locked_until double precision,           -- epoch seconds
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS central_sessions (
    token_sha256 text PRIMARY KEY,           -- the token itself is never stored
    login        text NOT NULL REFERENCES central_accounts (login) ON DELETE CASCADE,
    created      double precision NOT NULL,
    last_seen    double precision NOT NULL,
    expires      double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS central_sessions_login ON central_sessions (login);
"""


@dataclass(frozen=True)
class CentralUser:
    login: str
    name: str
    role: str
    region: str = ""  # the region a `region` account sees
    disabled: bool = False
    locked_until: float | None = None
    session: str | None = None  # the session's token digest

    def sees(self, region: str) -> bool:
        return self.role == "network" or region == self.region

    def public(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        return {"login": self.login, "name": self.name, "role": self.role,
                "region": self.region or None, "disabled": self.disabled,
                "locked": bool(self.locked_until and self.locked_until > now)}


def migrate(conn: Any) -> None:
    """The tables, made if missing (each central at start; a lock: several may start at once)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(74062)")
        conn.execute(SCHEMA)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _user(row: tuple) -> CentralUser:
    return CentralUser(row[0], row[1], row[2], row[3], row[4], row[5])


_COLUMNS = "login, name, role, region, disabled, locked_until"


def check_fields(login: object, name: object, role: object, region: object,
                 regions: set[str] | None) -> tuple[str, str, str, str]:
    """-> (login, name, role, region) or AccountRefused. `regions`: those central.toml knows."""
    if not isinstance(login, str) or not LOGIN.match(login):
        raise AccountRefused("login", "1 to 40 lowercase letters, digits and dashes")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise AccountRefused("name", f"1 to {MAX_NAME} characters")
    if role not in ROLES:
        raise AccountRefused("role", f"one of {', '.join(ROLES)}")
    region = region or ""
    if not isinstance(region, str):
        raise AccountRefused("region", "a region's name")
    if role == "region":
        if not region:
            raise AccountRefused("region", "a `region` account needs --region")
        if regions is not None and region not in regions:
            known = ", ".join(sorted(regions)) or "none"
            raise AccountRefused("region", f"no site of central.toml is in {region!r} "
                                           f"(regions: {known})")
    elif region:
        raise AccountRefused("region", "a `network` account sees every region: no --region")
    return login, name.strip(), str(role), region


class _Bounded(OrderedDict):
    def tries(self, key: str) -> Tries:
        t = self.pop(key, None) or Tries()
        self[key] = t
        while len(self) > TRACKED:
            self.popitem(last=False)
        return t


class CentralAccounts:
    """Accounts and sessions on connections `connect()` gives (psycopg 3, autocommit)."""

    def __init__(self, connect: Any, passwords: Passwords | None = None, clock: Any = time.time):
        self.connect = connect  # a context manager -> a connection
        self.passwords = passwords or Passwords()
        self.clock = clock
        self._lock = threading.Lock()
        self._addresses = _Bounded()
        self._unknown = _Bounded()

    # ----- accounts -------------------------------------------------------------------------
    def add(self, login: object, name: object, role: object, region: object,
            password: object, regions: set[str] | None = None) -> CentralUser:
        login, name, role, region = check_fields(login, name, role, region, regions)
        problem = password_problem(password)
        if problem:
            raise AccountRefused("password", problem)
        hashed = self.passwords.hash(password)  # type: ignore[arg-type]
        with self.connect() as conn, conn.transaction():
            if conn.execute("SELECT count(*) FROM central_accounts").fetchone()[0] \
                    >= MAX_ACCOUNTS:
                raise AccountRefused("login", f"at most {MAX_ACCOUNTS} accounts", 409)
            row = conn.execute("INSERT INTO central_accounts (login, name, role, region, "
                               "password) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING "
                               f"RETURNING {_COLUMNS}",
                               (login, name, role, region, hashed)).fetchone()
        if row is None:
            raise AccountRefused("login", "an account has this login already", 409)
        return _user(row)

    def list(self) -> list[CentralUser]:
        with self.connect() as conn:
            return [_user(r) for r in conn.execute(
                f"SELECT {_COLUMNS} FROM central_accounts ORDER BY login").fetchall()]

    def get(self, login: str) -> CentralUser | None:
        with self.connect() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM central_accounts WHERE login = %s",
                               (login,)).fetchone()
        return None if row is None else _user(row)

    def reset_password(self, login: str, password: object) -> None:
        """A new password; unlocks the account and ends its sessions."""
        problem = password_problem(password)
        if problem:
            raise AccountRefused("password", problem)
        hashed = self.passwords.hash(password)  # type: ignore[arg-type]
        with self.connect() as conn, conn.transaction():
            if conn.execute("UPDATE central_accounts SET password = %s, failures = 0, "
                            "locked_until = NULL WHERE login = %s",
                            (hashed, login)).rowcount == 0:
                raise AccountRefused("login", "no such account", 404)
            conn.execute("DELETE FROM central_sessions WHERE login = %s", (login,))

    def set_disabled(self, login: str, disabled: bool) -> None:
        """Disabling ends the account's sessions at once."""
        with self.connect() as conn, conn.transaction():
            if conn.execute("UPDATE central_accounts SET disabled = %s WHERE login = %s",
                            (disabled, login)).rowcount == 0:
                raise AccountRefused("login", "no such account", 404)
            if disabled:
                conn.execute("DELETE FROM central_sessions WHERE login = %s", (login,))

    # ----- sign-in --------------------------------------------------------------------------
    def sign_in(self, login: object, password: object,
                address: str | None = None) -> tuple[str, CentralUser, float]:
        """-> (session token, account, end of the session). An unknown login and a wrong
        password get the same answer after the same work; a locked one is refused unchecked."""
        now = self.clock()
        login = login if isinstance(login, str) and len(login) <= 40 else ""
        with self._lock:
            by_address = self._addresses.tries(address or "-")
            until, _ = arrive(by_address, now, ADDRESS_FAILURES, LOCK_SECONDS, LOCK_SECONDS)
        if until is not None:
            raise self._locked(until - now)
        with self.connect() as conn, conn.transaction():
            row = conn.execute(f"SELECT {_COLUMNS}, password, failures FROM central_accounts "
                               "WHERE login = %s FOR UPDATE", (login,)).fetchone()
            if row is None:
                with self._lock:
                    tries = self._unknown.tries(login)
                    until, _ = arrive(tries, now, LOCK_AFTER, LOCK_SECONDS, LOCK_SECONDS)
            else:
                tries = Tries(row[7], 0.0, row[5] or 0.0)
                until, _ = arrive(tries, now, LOCK_AFTER, LOCK_SECONDS, None)
                conn.execute("UPDATE central_accounts SET failures = %s, locked_until = %s "
                             "WHERE login = %s", (tries.failures, tries.locked_until or None,
                                                  login))
        if until is not None:
            with self._lock:
                succeeded(by_address, reset=False)  # refused unchecked: no guess was made
            raise self._locked(until - now)
        ok = self.passwords.verify(row[6] if row else None,
                                   password if isinstance(password, str) else "")
        if not ok:
            with self._lock:
                failed(by_address, now, ADDRESS_FAILURES, LOCK_SECONDS)
                if row is None:
                    failed(self._unknown.tries(login), now, LOCK_AFTER, LOCK_SECONDS)
            if row is not None:
                self._count(login, lambda t: failed(t, now, LOCK_AFTER, LOCK_SECONDS))
            raise SignInRefused(401, "sign_in_refused", "wrong login or password")
        with self._lock:
            succeeded(by_address, reset=False)
        self._count(login, lambda t: succeeded(t, reset=True))
        user = _user(row)
        if user.disabled:
            raise SignInRefused(403, "account_disabled",
                                "this account is disabled: ask the network's IT")
        token = secrets.token_urlsafe(32)
        expires = now + SESSION_SECONDS
        with self.connect() as conn, conn.transaction():
            if self.passwords.needs_rehash(row[6]):
                conn.execute("UPDATE central_accounts SET password = %s WHERE login = %s",
                             (self.passwords.hash(password), login))  # type: ignore[arg-type]
            conn.execute("DELETE FROM central_sessions WHERE expires <= %s OR last_seen < %s",
                         (now, now - IDLE_SECONDS))
            conn.execute("INSERT INTO central_sessions VALUES (%s, %s, %s, %s, %s)",
                         (_digest(token), login, now, now, expires))
        return token, user, expires

    def _count(self, login: str, change: Any) -> None:
        with self.connect() as conn, conn.transaction():
            row = conn.execute("SELECT failures, locked_until FROM central_accounts "
                               "WHERE login = %s FOR UPDATE", (login,)).fetchone()
            if row is None:
                return
            tries = Tries(row[0], 0.0, row[1] or 0.0)
            change(tries)
            conn.execute("UPDATE central_accounts SET failures = %s, locked_until = %s "
                         "WHERE login = %s", (tries.failures, tries.locked_until or None, login))

    @staticmethod
    def _locked(seconds: float) -> SignInRefused:
        minutes = max(1, round(seconds / 60))
        return SignInRefused(429, "sign_in_locked",
                             f"too many failed sign-ins: try again in {minutes} min, or ask "
                             "the network's IT to reset the password",
                             retry_after=int(seconds) + 1)

    # ----- sessions -------------------------------------------------------------------------
    def user_for_token(self, token: str) -> CentralUser | None:
        if not 0 < len(token) <= 200:
            return None
        digest = _digest(token)
        now = self.clock()
        with self.connect() as conn:
            row = conn.execute(
                f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}, "
                "s.last_seen, s.expires FROM central_sessions s JOIN central_accounts a "
                "USING (login) WHERE s.token_sha256 = %s", (digest,)).fetchone()
            if row is None:
                return None
            user = _user(row)
            if user.disabled or row[7] <= now or now - row[6] > IDLE_SECONDS:
                conn.execute("DELETE FROM central_sessions WHERE token_sha256 = %s", (digest,))
                return None
            if now - row[6] > TOUCH_SECONDS:
                conn.execute("UPDATE central_sessions SET last_seen = %s "
                             "WHERE token_sha256 = %s", (now, digest))
        return CentralUser(user.login, user.name, user.role, user.region, session=digest)

    def sign_out(self, user: CentralUser) -> None:
        if user.session:
            with self.connect() as conn:
                conn.execute("DELETE FROM central_sessions WHERE token_sha256 = %s",
                             (user.session,))
