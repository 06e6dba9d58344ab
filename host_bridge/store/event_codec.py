"""Events to and from JSON text for the history table."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, tzinfo
from typing import Any

from ..domain.events import EVENT_TYPES, Event


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def event_to_json(event: Event) -> str:
    body = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _typed(kind: str, value: Any, tz: tzinfo | None) -> Any:
    # field types are strings (postponed annotations); the few kinds used by events suffice
    if value is None:
        return None
    if kind == "datetime":
        # back in the site's zone: JSON keeps only the offset, and Python never finds an
        # ambiguous (autumn) local time equal to the same instant in another tzinfo
        at = datetime.fromisoformat(value)
        return at.astimezone(tz) if tz is not None else at
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("tuple"):
        return tuple(value)
    return value


def event_from_json(type_name: str, text: str, tz: tzinfo | None = None) -> Event:
    cls = EVENT_TYPES[type_name]
    body = json.loads(text)
    return cls(**{f.name: _typed(str(f.type), body[f.name], tz) for f in dataclasses.fields(cls)})
