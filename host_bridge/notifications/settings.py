"""`[notifications]` of a site's config: when « near » is sent, and Web Push's settings."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

_BOUNDS = {"ahead": (0, 50), "minutes": (0, 240)}
# what py-vapid takes as the VAPID `sub`: a mailto: address or an https URL
_CONTACT = re.compile(r"^(mailto:[^@\s]+@[\w.-]+|https://[\w.-]+(/\S*)?)$")
DEFAULT_CONTACT = "mailto:suivant@localhost"  # accepted by the push services; say who you are


@dataclass(frozen=True)
class NotifySettings:
    ahead: int = 3  # « near » when this many people or fewer are ahead...
    minutes: int = 10  # ...or when the estimated wait (its high end) is this short
    push: bool = True  # Web Push offered on the ticket page
    contact: str = DEFAULT_CONTACT  # the VAPID `sub`: push services write here about abuse

    @classmethod
    def parse(cls, table: dict[str, Any] | None) -> "NotifySettings":
        """From the config's table; a ValueError naming the key and its rule otherwise."""
        table = table or {}
        if not isinstance(table, dict):
            raise ValueError("[notifications]: expected a table")
        known = {f.name for f in fields(cls)} | {"sms"}  # [notifications.sms]: sms/settings.py's
        for key in table:
            if key not in known:
                raise ValueError(f"[notifications] unknown key {key!r} (known: {', '.join(sorted(known))})")
        for key, (low, high) in _BOUNDS.items():
            value = table.get(key, low)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"[notifications] {key}: expected a whole number from {low} "
                                 f"to {high} (got {value!r})")
        if not isinstance(table.get("push", True), bool):
            raise ValueError(f"[notifications] push: expected true or false (got {table['push']!r})")
        contact = table.get("contact", DEFAULT_CONTACT)
        if not isinstance(contact, str) or len(contact) > 200 or not _CONTACT.match(contact):
            raise ValueError("[notifications] contact: expected mailto:someone@example.fr or an "
                             f"https:// address (got {contact!r})")
        return cls(**{k: v for k, v in table.items() if k != "sms"})
