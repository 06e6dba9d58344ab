"""Staff credentials: the config's bearer tokens (their SHA-256; kept for machines and for
sites that have not moved to named accounts) and the named accounts' sessions
(host_bridge/staff), both sent as `Authorization: Bearer <token>`."""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ..site_config import User


class Unauthorized(Exception):
    pass


class Forbidden(Exception):
    pass


class Authenticator:
    def __init__(self, users: tuple[User, ...]):
        self.users = users
        self._by_hash = {u.token_sha256: u for u in users}
        self.staff: Any = None  # the StaffDirectory, attached on first use (api/deps.py)

    def user_for(self, authorization: str | None) -> User:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("staff action: send 'Authorization: Bearer <token>'")
        token = authorization[7:].strip()
        digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        for known, user in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return user
        if self.staff is not None and 0 < len(token) <= 200:
            user = self.staff.user_for_token(token)
            if user is not None:
                return user
        raise Unauthorized("unknown token, or a session that has ended: sign in again")


def may_act_at_counter(user: User, counter: int) -> None:
    if user.role not in ("agent", "admin"):
        raise Forbidden(f"role {user.role!r} cannot act at a counter")
    if user.role == "agent" and user.counters and counter not in user.counters:
        raise Forbidden(f"{user.name} may not act at counter {counter}")
