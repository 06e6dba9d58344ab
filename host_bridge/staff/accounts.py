"""A staff account as the site sees it: who, which role, which counters, enabled or not."""
from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("agent", "supervisor", "admin")  # kiosks and screens keep the config's tokens
LOGIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # as a token user's name: it is the source
MAX_NAME = 80
MAX_COUNTERS = 999


class AccountRefused(ValueError):
    """An account change that is refused (field, reason); nothing was changed."""

    def __init__(self, field: str, reason: str, status: int = 422):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.status = field, reason, status


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: str
    counters: tuple[int, ...] = ()  # empty: every counter
    disabled: bool = False
    locked_until: float | None = None  # epoch seconds

    def public(self, now: float) -> dict:
        """What an administrator reads: never the password's hash."""
        locked = self.locked_until is not None and self.locked_until > now
        return {"login": self.login, "name": self.name, "role": self.role,
                "counters": list(self.counters), "disabled": self.disabled, "locked": locked}


def check_login(login: object) -> str:
    if not isinstance(login, str) or not LOGIN.match(login):
        raise AccountRefused("login", "1 to 40 lowercase letters, digits and dashes")
    return login


def check_fields(name: object, role: object, counters: object,
                 known_counters: frozenset[int] | None) -> tuple[str, str, tuple[int, ...]]:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise AccountRefused("name", f"1 to {MAX_NAME} characters")
    if role not in ROLES:
        raise AccountRefused("role", f"one of {', '.join(ROLES)}")
    if not isinstance(counters, (list, tuple)) or len(counters) > MAX_COUNTERS:
        raise AccountRefused("counters", "a list of counter numbers")
    for n in counters:
        if isinstance(n, bool) or not isinstance(n, int):
            raise AccountRefused("counters", f"expected counter numbers, got {n!r}")
        if known_counters is not None and n not in known_counters:
            raise AccountRefused("counters", f"unknown counter {n}")
    return name.strip(), str(role), tuple(sorted(set(counters)))
