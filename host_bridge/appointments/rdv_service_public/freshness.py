"""The webhook's memory: how old a message may be, which ones were already taken (replays),
and the newest taken for each rdv (RDV-SP's retries may arrive after a newer change)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from .webhook import Refused

FUTURE_SKEW = timedelta(seconds=60)  # a sender's clock this far ahead is still believed
REMEMBERED = 10_000  # messages (and rdvs) remembered against replays, within max_age


class Freshness:
    """Refuses messages older than `max_age` (408) and a message seen before (409), and says
    when a message is older than one already applied for its rdv (superseded: RDV-SP's
    retries can arrive out of order). Memory: at most `capacity` messages and rdvs, and only
    those younger than `max_age` (older ones are refused as stale anyway)."""

    def __init__(self, max_age: timedelta, capacity: int = REMEMBERED):
        self.max_age, self.capacity = max_age, capacity
        self._seen: OrderedDict[str, datetime] = OrderedDict()    # signature -> sent at
        self._latest: OrderedDict[str, datetime] = OrderedDict()  # rdv id -> newest applied
        self._lock = threading.Lock()

    def admit(self, signature: str, rdv_id: str, at: datetime, now: datetime) -> Claim:
        age = now - at
        if age > self.max_age:
            raise Refused(408, "stale", f"sent {int(age.total_seconds())} s ago; at most "
                          f"{int(self.max_age.total_seconds())} s accepted")
        if -age > FUTURE_SKEW:
            raise Refused(408, "stale", f"sent {int(-age.total_seconds())} s in the future: "
                          "check the clocks")
        with self._lock:
            self._forget(now - self.max_age)
            if signature in self._seen:
                raise Refused(409, "replay", "this message was received before")
            previous = self._latest.get(rdv_id)
            superseded = previous is not None and at < previous
            self._seen[signature] = at
            if not superseded:
                self._latest[rdv_id] = at
                self._latest.move_to_end(rdv_id)
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            while len(self._latest) > self.capacity:
                self._latest.popitem(last=False)
        return Claim(self, signature, rdv_id, at, previous, superseded)

    def _forget(self, cutoff: datetime) -> None:
        for memory in (self._seen, self._latest):
            while memory and next(iter(memory.values())) < cutoff:
                memory.popitem(last=False)

    def _undo(self, claim: Claim) -> None:
        with self._lock:
            self._seen.pop(claim.signature, None)
            # put back what it replaced, unless a newer message came in between
            if not claim.superseded and self._latest.get(claim.rdv_id) == claim.at:
                if claim.previous is None:
                    self._latest.pop(claim.rdv_id, None)
                else:
                    self._latest[claim.rdv_id] = claim.previous


@dataclass
class Claim:
    """An admitted message; `undo()` when it could not be applied, so RDV-SP's retry is taken."""
    freshness: Freshness
    signature: str
    rdv_id: str
    at: datetime
    previous: datetime | None
    superseded: bool

    def undo(self) -> None:
        self.freshness._undo(self)
