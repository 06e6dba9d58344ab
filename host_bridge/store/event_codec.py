"""Events to and from JSON text for the history table."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, tzinfo
from typing import Any

from ..domain.events import EVENT_TYPES, Event


# per event type, its field names in declaration order: dataclasses.fields() on every event
# of every command cost more than the encoding itself
FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()}
# one encoder, made once (json.dumps with any option makes a new JSONEncoder per call)
encode_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def event_body(event: Event) -> dict[str, Any]:
    """The event's fields as JSON values (times as ISO text), in declaration order."""
    return {name: _plain(getattr(event, name)) for name in FIELD_NAMES[type(event)]}


def event_to_json(event: Event) -> str:
    return encode_compact(event_body(event))


def _typed(kind: str, value: Any, tz: tzinfo | None) -> Any:
    # field types are strings (postponed annotations); the few kinds used by events suffice
    if value is None:
        return None
    if kind.startswith("datetime"):  # "datetime", or "datetime | None" for an optional one
        # back in the site's zone: JSON keeps only the offset, and Python never finds an
        # ambiguous (autumn) local time equal to the same instant in another tzinfo
        at = datetime.fromisoformat(value)
        return at.astimezone(tz) if tz is not None else at
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("tuple"):
        return tuple(value)
    return value


# per event type, (field name, its annotation as text): what _typed converts by
FIELD_KINDS: dict[type, tuple[tuple[str, str], ...]] = {
    cls: tuple((f.name, str(f.type)) for f in dataclasses.fields(cls))
    for cls in EVENT_TYPES.values()}


def event_from_json(type_name: str, text: str, tz: tzinfo | None = None) -> Event:
    """A field added to an event type since a day was recorded (with a default, as every
    added field must have) is absent from that day's rows: the default stands in."""
    cls = EVENT_TYPES[type_name]
    body = json.loads(text)
    return cls(**{name: _typed(kind, body[name], tz) for name, kind in FIELD_KINDS[cls]
                  if name in body})
