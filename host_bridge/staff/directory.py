"""Sign-in, sessions and lockout for the named accounts, and the account changes an
administrator makes (the API and `suivant agent` both come here)."""
from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..site_config import User
from .accounts import Account, AccountRefused, check_fields, check_login
from .audit import AuditLog
from .lockout import Tries, arrive, failed, succeeded
from .passwords import Passwords, password_problem
from .store import StaffStore

LOCK_AFTER = 5  # failed sign-ins in a row lock an account (or a login nobody has) ...
LOCK_SECONDS = 15 * 60  # ... for this long
ADDRESS_FAILURES = 30  # failed sign-ins from one address per LOCK_SECONDS, whatever the logins
TRACKED = 10_000  # addresses and unknown logins remembered for the lockout, the oldest forgotten
IDLE_SECONDS = 2 * 3600  # a session unused this long ends (a board's presses use it too)
TOUCH_SECONDS = 60  # a session's last use is written at most this often


def staff_path(db_path: str) -> str:
    """The staff file beside the queue's: suivant.db -> suivant.staff.db (a queue in memory:
    staff in memory too, not a file named after it in the working folder)."""
    if db_path == ":memory:":
        return db_path
    p = Path(db_path)
    return str(p.with_name(p.stem + ".staff.db"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class SignInRefused(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after


class _Bounded(OrderedDict):
    """Failure counts by address or unknown login: the oldest forgotten past TRACKED."""

    def get_tries(self, key: str) -> Tries:
        tries = self.pop(key, None) or Tries()
        self[key] = tries
        while len(self) > TRACKED:
            self.popitem(last=False)
        return tries


class StaffDirectory:
    def __init__(self, path: str, clock: Any, tz: ZoneInfo,
                 known_counters: Callable[[], frozenset[int]] | frozenset[int] | None = None,
                 passwords: Passwords | None = None,
                 reserved: frozenset[str] = frozenset()):
        self.store = StaffStore(path)
        self.clock, self.tz = clock, tz
        self._known = known_counters  # a callable: the site's counters as they are now
        self.passwords = passwords or Passwords()
        self.reserved = reserved  # the config's token users' names: a login must differ
        self._lock = threading.Lock()
        self._addresses = _Bounded()
        self._unknown = _Bounded()
        self.audit = AuditLog(self.store, self.now, self._board_actor, self._seat_acting)

    @property
    def known_counters(self) -> frozenset[int] | None:
        return self._known() if callable(self._known) else self._known

    def now(self) -> float:
        return self.clock.now().timestamp()

    def close(self) -> None:
        self.audit.stop()
        self.store.close()

    # ----- sign-in -----------------------------------------------------------------------------
    def sign_in(self, login: str, password: str, address: str | None = None,
                counter: int | None = None) -> tuple[str, Account, float]:
        """-> (session token, account, end of the session). Unknown login and wrong password
        get the same answer after the same work; a locked account or address is refused
        without checking anything."""
        now = self.now()
        found = self.store.account(login) if isinstance(login, str) and len(login) <= 40 else None
        actor = found[0].login if found else None  # an unknown login's text may be a password
        with self._lock:
            by_address = self._addresses.get_tries(address or "-")
            until, _ = arrive(by_address, now, ADDRESS_FAILURES, LOCK_SECONDS, LOCK_SECONDS)
        if until is not None:
            raise self._locked(until - now)
        if found is None:
            with self._lock:
                until, locks = arrive(self._unknown.get_tries(login), now, LOCK_AFTER,
                                      LOCK_SECONDS, LOCK_SECONDS)
        else:
            until, locks = self.store.with_tries(
                login, lambda t: arrive(t, now, LOCK_AFTER, LOCK_SECONDS, None))
        if until is not None:
            with self._lock:
                succeeded(by_address, reset=False)  # refused unchecked: no guess was made
            if locks:
                self.audit.record("locked", actor, detail="too many sign-ins at once",
                                  via="console", address=address)
            raise self._locked(until - now)
        ok = self.passwords.verify(found[1] if found else None,
                                   password if isinstance(password, str) else "")
        if not ok:
            self._failed(login, actor, by_address, now, address)
        account, stored, _ = found  # type: ignore[misc]
        with self._lock:
            succeeded(by_address, reset=False)
        self.store.with_tries(account.login, lambda t: succeeded(t, reset=True))
        if account.disabled:
            self.audit.record("sign_in_refused", account.login, detail="account disabled",
                              via="console", address=address)
            raise SignInRefused(403, "account_disabled",
                                "this account is disabled: ask an administrator")
        if self.passwords.needs_rehash(stored):  # hashed with older parameters: hash it anew
            self.store.update(account.login, password=self.passwords.hash(password))
        if counter is not None and not self._may_sit(account, counter):
            counter = None  # a counter it may not use is not taken: the console says so later
        self.store.purge_sessions(now, now - IDLE_SECONDS)  # the tabs closed without signing out
        token = secrets.token_urlsafe(32)
        expires = self._end_of_day(now)
        self.store.open_session(_digest(token), account.login, now, expires, counter)
        self.audit.record("sign_in", account.login, counter=counter, via="console",
                          address=address)
        return token, account, expires

    def _failed(self, login: str, actor: str | None, by_address: Tries, now: float,
                address: str | None) -> None:
        with self._lock:
            failed(by_address, now, ADDRESS_FAILURES, LOCK_SECONDS)
            if actor is None:
                locks = failed(self._unknown.get_tries(login), now, LOCK_AFTER, LOCK_SECONDS)
        if actor is not None:
            locks = self.store.with_tries(actor, lambda t: failed(t, now, LOCK_AFTER,
                                                                  LOCK_SECONDS))
        self.audit.record("sign_in_failed", actor,
                          detail="unknown login" if actor is None else "wrong password",
                          via="console", address=address)
        if locks:
            self.audit.record("locked", actor, detail=f"{LOCK_AFTER} failed sign-ins",
                              via="console", address=address)
        raise SignInRefused(401, "sign_in_refused", "wrong login or password")

    @staticmethod
    def _locked(seconds: float) -> SignInRefused:
        minutes = max(1, round(seconds / 60))
        return SignInRefused(429, "sign_in_locked",
                             f"too many failed sign-ins: try again in {minutes} min, or ask an "
                             "administrator to reset the password", retry_after=int(seconds) + 1)

    def _end_of_day(self, now: float) -> float:
        local = datetime.fromtimestamp(now, self.tz)
        return datetime.combine(local.date() + timedelta(days=1), time(0), self.tz).timestamp()

    def _may_sit(self, account: Account, counter: int) -> bool:
        if account.role == "supervisor":
            return False
        if self.known_counters is not None and counter not in self.known_counters:
            return False
        return account.role == "admin" or not account.counters or counter in account.counters

    # ----- sessions ----------------------------------------------------------------------------
    def user_for_token(self, token: str) -> User | None:
        digest = _digest(token)
        found = self.store.session(digest)
        if found is None:
            return None
        account, last_seen, expires, _ = found
        now = self.now()
        if account.disabled or expires <= now or now - last_seen > IDLE_SECONDS:
            self.store.end_session(digest)
            return None
        if now - last_seen > TOUCH_SECONDS:
            self.store.touch(digest, now)
        return User(account.login, account.role, "", account.counters, account.name, digest)

    def sign_out(self, user: User) -> bool:
        if not user.session:
            return False
        self.store.end_session(user.session)
        self.audit.record("sign_out", user.name, via="console")
        return True

    def take_counter(self, user: User, counter: int) -> bool:
        """The signed-in person is at `counter` from now on: its board's presses are theirs."""
        account = Account(user.name, user.full_name, user.role, user.counters)
        if not user.session or not self._may_sit(account, counter):
            return False
        self.store.seat(user.session, counter)
        self.audit.record("counter_taken", user.name, counter=counter, via="console")
        return True

    def seat_of(self, user: User) -> int | None:
        """The counter the signed-in person sits at (None: a config token, or not seated)."""
        found = self.store.session(user.session) if user.session else None
        return None if found is None else found[3]

    def _seat_acting(self, user: User, counter: int) -> None:
        found = self.store.session(user.session or "")
        if found is not None and found[3] != counter:
            self.store.seat(user.session, counter)  # type: ignore[arg-type]

    def _board_actor(self, counter: int | None, now: float) -> str | None:
        if counter is None:
            return None
        found = self.store.at_counter(counter, now - IDLE_SECONDS, now)
        if found is None:
            return None
        self.store.touch(found[1], now)  # pressing the board is using the session
        return found[0]

    # ----- accounts ----------------------------------------------------------------------------
    def accounts(self) -> list[dict]:
        now = self.now()
        return [a.public(now) for a in self.store.accounts()]

    def create(self, actor: str, login: object, name: object, role: object, counters: object,
               password: object, via: str) -> Account:
        login = check_login(login)
        if login in self.reserved:
            raise AccountRefused("login", "a staff token of the site's config has this name", 409)
        name, role, numbers = check_fields(name, role, counters, self.known_counters)
        problem = password_problem(password)
        if problem:
            raise AccountRefused("password", problem)
        account = Account(login, name, role, numbers)
        if not self.store.add(account, self.passwords.hash(password)):  # type: ignore[arg-type]
            raise AccountRefused("login", "an account has this login already", 409)
        self.audit.record("account_created", actor, target=login, detail=f"role {role}", via=via)
        return account

    def change(self, actor: str, login: str, via: str, *, name: object = None,
               role: object = None, counters: object = None, disabled: object = None,
               password: object = None, unlock: bool = False) -> Account:
        """Some fields of an account; a new password or a disabling ends its sessions."""
        found = self.store.account(login)
        if found is None:
            raise AccountRefused("login", "no such account", 404)
        old = found[0]
        new_name, new_role, numbers = check_fields(
            old.name if name is None else name, old.role if role is None else role,
            list(old.counters) if counters is None else counters, self.known_counters)
        if disabled is not None and not isinstance(disabled, bool):
            raise AccountRefused("disabled", "true or false")
        fields: dict[str, Any] = {}
        for key, before, after in (("name", old.name, new_name), ("role", old.role, new_role),
                                   ("counters", old.counters, numbers),
                                   ("disabled", old.disabled, old.disabled if disabled is None
                                    else disabled)):
            if before != after:
                fields[key] = after
        if password is not None:
            problem = password_problem(password)
            if problem:
                raise AccountRefused("password", problem)
            fields["password"] = self.passwords.hash(password)  # type: ignore[arg-type]
        if password is not None or unlock:
            fields.update(failures=0, locked_until=None)
        if fields:
            self.store.update(login, **fields)
        if "password" in fields or fields.get("disabled") or "role" in fields:
            self.store.end_sessions_of(login)
        said = sorted(k for k in fields if k not in ("password", "failures", "locked_until"))
        if "password" in fields:
            self.audit.record("password_reset", actor, target=login, via=via)
        elif unlock and (found[2] or old.locked_until):  # it was counting or locked
            self.audit.record("account_unlocked", actor, target=login, via=via)
        if said:
            self.audit.record("account_changed", actor, target=login,
                              detail=", ".join(f"{k}={fields[k]}" for k in said), via=via)
        return self.store.account(login)[0]  # type: ignore[index]
