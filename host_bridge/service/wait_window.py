"""The estimated wait as clock times, as citizens plan with it: « vers 10 h 40 — entre 10 h 35
et 10 h 50 ». Made once here for every page and the printed ticket.

Times are in the site's zone (a zone whole hours from UTC, as France's), rounded so they read
easily: to 5 minutes when the wait may be
longer than a quarter of an hour (the earliest down, the latest up, the guess to the nearest),
to the minute otherwise; the earliest is never before now.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

FIVE_MINUTES_FROM = 15  # a latest end beyond this many minutes: times to 5 minutes


def _floor(t: datetime, step: int) -> datetime:
    t = t.replace(second=0, microsecond=0)
    return t - timedelta(minutes=t.minute % step)


def _ceil(t: datetime, step: int) -> datetime:
    f = _floor(t, step)
    return f if f == t else f + timedelta(minutes=step)


def clock_window(now: datetime, zone: str, minutes: float, low: float, high: float
                 ) -> dict[str, Any]:
    """expected_at, earliest_at, latest_at: ISO times with the site's offset. Reckoned in UTC
    (adding minutes to a local time is wall-clock arithmetic: wrong across a change of hour);
    rounding there is the same, the zones of France being whole hours from UTC."""
    now = now.astimezone(timezone.utc)
    step = 5 if high > FIVE_MINUTES_FROM else 1
    earliest = max(_floor(now + timedelta(minutes=low), step), _ceil(now, 1))
    latest = max(_ceil(now + timedelta(minutes=high), step), earliest)
    guess = _floor(now + timedelta(minutes=minutes + step / 2), step)
    guess = min(max(guess, earliest), latest)
    site = ZoneInfo(zone)
    return {"expected_at": guess.astimezone(site).isoformat(),
            "earliest_at": earliest.astimezone(site).isoformat(),
            "latest_at": latest.astimezone(site).isoformat()}
