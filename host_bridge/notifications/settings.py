"""`[notifications]` of a site's config: when « near » is sent."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

_BOUNDS = {"ahead": (0, 50), "minutes": (0, 240)}


@dataclass(frozen=True)
class NotifySettings:
    ahead: int = 3  # « near » when this many people or fewer are ahead...
    minutes: int = 10  # ...or when the estimated wait (its high end) is this short

    @classmethod
    def parse(cls, table: dict[str, Any] | None) -> "NotifySettings":
        """From the config's table; a ValueError naming the key and its rule otherwise."""
        table = table or {}
        if not isinstance(table, dict):
            raise ValueError("[notifications]: expected a table")
        known = {f.name for f in fields(cls)}
        for key in table:
            if key not in known:
                raise ValueError(f"[notifications] unknown key {key!r} (known: {', '.join(sorted(known))})")
        values = {}
        for key, value in table.items():
            low, high = _BOUNDS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"[notifications] {key}: expected a whole number from {low} "
                                 f"to {high} (got {value!r})")
            values[key] = value
        return cls(**values)
