"""Counting failed sign-ins: an attempt is counted when it arrives, before its password is
checked (hashing takes tenths of a second: a burst of guesses sent at once would otherwise all
be checked before the first failure was counted), and given back when it succeeds."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tries:
    failures: int = 0  # attempts counted (the ones in progress included)
    since: float = 0.0  # the first of them
    locked_until: float = 0.0


def arrive(t: Tries, now: float, limit: int, lock_seconds: float,
           window: float | None) -> tuple[float | None, bool]:
    """Count an attempt: -> (until when it is refused as locked, or None; whether this attempt
    locked it). `window`: counts older than this start again (None: until a success)."""
    if t.locked_until > now:
        return t.locked_until, False
    if t.locked_until or (window is not None and t.since and now - t.since > window):
        t.failures, t.since, t.locked_until = 0, 0.0, 0.0  # a lock or a window has passed
    t.failures += 1
    t.since = t.since or now
    if t.failures > limit:  # more at once than the limit lets through: the rest wait
        t.locked_until = now + lock_seconds
        return t.locked_until, True
    return None, False


def failed(t: Tries, now: float, limit: int, lock_seconds: float) -> bool:
    """The counted attempt failed: -> whether that locks it now."""
    if t.failures >= limit and t.locked_until <= now:
        t.locked_until = now + lock_seconds
        return True
    return False


def succeeded(t: Tries, reset: bool) -> None:
    """The counted attempt succeeded: not a failure (`reset`: an account's count starts again)."""
    t.failures = 0 if reset else max(0, t.failures - 1)
    if reset:
        t.since = 0.0
