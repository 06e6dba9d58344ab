"""Browsers' push subscriptions, checked and kept only while their ticket lives.

A subscription is personal data (it reaches one person's phone): in memory, and in a small
SQLite file beside the queue's so a restart does not silently stop the alerts; rows go when
the ticket ends or the day changes (the notifier's on_ended).
"""
from __future__ import annotations

import base64
import ipaddress
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_ENDPOINT = 2048
MAX_PER_TICKET = 3  # a phone, a tablet, a second browser: more is a script
# The browsers' push services (Chrome/Edge on Android, Firefox, Safari, Edge on Windows). The
# bridge posts only there: a subscription is a URL a stranger chooses, and an open list would
# let anyone make the bridge post to hosts on the town hall's network.
DEFAULT_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com",
                 ".push.services.mozilla.com", "web.push.apple.com", ".push.apple.com",
                 ".notify.windows.com")


class SubscriptionRefused(ValueError):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict[str, Any]:
        """As pywebpush takes it (the browser's PushSubscription.toJSON())."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def _b64(value: Any, size: int, name: str) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise SubscriptionRefused(f"keys.{name}: expected base64url text", "bad_key")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise SubscriptionRefused(f"keys.{name}: not base64url", "bad_key") from None
    if len(raw) != size or (name == "p256dh" and raw[0] != 4):
        raise SubscriptionRefused(f"keys.{name}: expected {size} bytes", "bad_key")
    return value


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check(body: dict[str, Any], hosts: tuple[str, ...] = DEFAULT_HOSTS,
          allow_loopback: bool = False) -> Subscription:
    """The subscription the browser sent, or SubscriptionRefused saying what is wrong.
    `allow_loopback`: http://127.0.0.1 endpoints too (the tests' push service)."""
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
        raise SubscriptionRefused(f"endpoint: expected a URL of at most {MAX_ENDPOINT} characters",
                                  "bad_endpoint")
    try:
        if any(ch.isspace() or not ch.isprintable() for ch in endpoint):
            raise ValueError("spaces or control characters")
        url = urlsplit(endpoint)
        host = (url.hostname or "").lower()
    except ValueError:  # "https://[x/": urlsplit's own refusal of a malformed address
        raise SubscriptionRefused("endpoint: not a URL", "bad_endpoint") from None
    if allow_loopback and url.scheme in ("http", "https") and _loopback(host):
        pass
    elif url.scheme != "https" or url.username or url.password:
        raise SubscriptionRefused("endpoint: expected an https URL", "not_https")
    elif not any(host == h or (h.startswith(".") and host.endswith(h)) for h in hosts):
        raise SubscriptionRefused(f"endpoint: {host!r} is not a known push service",
                                  "unknown_push_service")
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionRefused("keys: expected p256dh and auth", "bad_key")
    return Subscription(endpoint, _b64(keys.get("p256dh"), 65, "p256dh"),
                        _b64(keys.get("auth"), 16, "auth"))


class Subscriptions:
    """ticket id -> its subscriptions; every change written through to the file."""

    def __init__(self, path: Path | str):
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS push_subscriptions (ticket_id TEXT NOT NULL,"
                         " endpoint TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL,"
                         " PRIMARY KEY (ticket_id, endpoint))")
        self._by_ticket: dict[str, dict[str, Subscription]] = {}
        for tid, endpoint, p256dh, auth in self._db.execute(
                "SELECT ticket_id, endpoint, p256dh, auth FROM push_subscriptions"):
            self._by_ticket.setdefault(tid, {})[endpoint] = Subscription(endpoint, p256dh, auth)

    def tickets(self) -> list[str]:
        with self._lock:
            return list(self._by_ticket)

    def of(self, ticket_id: str) -> list[Subscription]:
        with self._lock:
            return list(self._by_ticket.get(ticket_id, {}).values())

    def add(self, ticket_id: str, sub: Subscription) -> None:
        with self._lock:
            subs = self._by_ticket.setdefault(ticket_id, {})
            if sub.endpoint not in subs and len(subs) >= MAX_PER_TICKET:
                raise SubscriptionRefused(f"at most {MAX_PER_TICKET} devices per ticket",
                                          "too_many_devices")
            self._db.execute("INSERT OR REPLACE INTO push_subscriptions VALUES (?, ?, ?, ?)",
                             (ticket_id, sub.endpoint, sub.p256dh, sub.auth))
            subs[sub.endpoint] = sub

    def drop(self, ticket_id: str, endpoint: str | None = None) -> bool:
        """One subscription, or all of the ticket's; whether the ticket has any left."""
        with self._lock:
            subs = self._by_ticket.get(ticket_id, {})
            if endpoint is None:
                subs.clear()
                self._db.execute("DELETE FROM push_subscriptions WHERE ticket_id = ?", (ticket_id,))
            else:
                subs.pop(endpoint, None)
                self._db.execute("DELETE FROM push_subscriptions WHERE ticket_id = ? AND "
                                 "endpoint = ?", (ticket_id, endpoint))
            if not subs:
                self._by_ticket.pop(ticket_id, None)
            return bool(subs)

    def close(self) -> None:
        with self._lock:
            self._db.close()
