"""Staff credentials: bearer tokens whose SHA-256 is in the site config."""
from __future__ import annotations

import hashlib
import hmac

from ..site_config import User


class Unauthorized(Exception):
    pass


class Forbidden(Exception):
    pass


class Authenticator:
    def __init__(self, users: tuple[User, ...]):
        self._by_hash = {u.token_sha256: u for u in users}

    def user_for(self, authorization: str | None) -> User:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("staff action: send 'Authorization: Bearer <token>'")
        digest = hashlib.sha256(authorization[7:].strip().encode("utf-8", "replace")).hexdigest()
        for known, user in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return user
        raise Unauthorized("unknown token")


def may_act_at_counter(user: User, counter: int) -> None:
    if user.role not in ("agent", "admin"):
        raise Forbidden(f"role {user.role!r} cannot act at a counter")
    if user.role == "agent" and user.counters and counter not in user.counters:
        raise Forbidden(f"{user.name} may not act at counter {counter}")
