"""Where time comes from. The domain never reads a clock; the service layer asks one of these."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SiteClock:
    """Wall-clock time in the site's time zone (the business day is the local date)."""

    def __init__(self, timezone: str):
        self.tz = ZoneInfo(timezone)

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock tests and simulations move by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
