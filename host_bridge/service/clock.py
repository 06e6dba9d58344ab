"""Where time comes from. The domain never reads a clock; the service layer asks one of these."""
from __future__ import annotations

import time
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


class AcceleratedClock:
    """Simulated time running `speed` times faster than the wall clock: `start` at the real
    instant `epoch` (time.time()). Two processes given the same three numbers read the same
    time — the bridge and the simulator's traffic during an accelerated day."""

    def __init__(self, start: datetime, speed: float, epoch: float):
        if start.tzinfo is None:
            raise ValueError("the simulated start needs a time zone")
        if speed <= 0:
            raise ValueError("speed must be above 0")
        self.start, self.speed, self.epoch = start, speed, epoch

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    def real_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds last on the wall clock."""
        return simulated / self.speed
