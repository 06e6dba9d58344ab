"""Real time between two moments. Python subtracts two datetimes of the same zone on the wall
clock (`end - start` is an hour off across a DST change), so the domain measures with this."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def elapsed(start: datetime, end: datetime) -> timedelta:
    return end.astimezone(timezone.utc) - start.astimezone(timezone.utc)


def minutes(start: datetime, end: datetime) -> float:
    return elapsed(start, end).total_seconds() / 60
