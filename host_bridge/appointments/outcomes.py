"""Outcomes told back to the booking tool: `seen` or `noshow`, per source, by a `Reporter`
(RDV Service Public's plugs in here). Called from the sweep's thread, never from a command's:
a slow or failing booking tool delays only its own report, retried with a bounded backoff.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from .model import Appointment, Status
from .store import AppointmentStore

log = logging.getLogger(__name__)

FIRST_RETRY_S = 30.0
MAX_RETRY_S = 3600.0
MAX_TRIES = 10  # about 4 h of tries; then the booking tool's own list is the place to fix it


class Reporter(Protocol):
    def report(self, appointment: Appointment, status: Status) -> bool:
        """Tell the booking tool; True once it accepted. May raise: counted as a failure."""
        ...


def retry_after(tries: int) -> float | None:
    """Seconds before the next try after `tries` failures; None: give up."""
    if tries + 1 >= MAX_TRIES:
        return None
    return min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** tries)


class Outcomes:
    """Reporters by source: "rdv-service-public" matches that source, "ical" matches
    "ical:<service>". Appointments of a source without one are never reported."""

    def __init__(self, store: AppointmentStore):
        self.store = store
        self._reporters: dict[str, Reporter] = {}

    def add(self, source: str, reporter: Reporter) -> None:
        self._reporters[source] = reporter

    def reporter_for(self, source: str) -> Reporter | None:
        return self._reporters.get(source) or self._reporters.get(source.split(":", 1)[0])

    def run_once(self, now: float, stop: Callable[[], bool] = lambda: False) -> int:
        """Report what is due at `now` (Unix time). -> how many were accepted."""
        accepted = 0
        for a, tries in self.store.outcomes_due(now):
            if stop():
                break
            reporter = self.reporter_for(a.source)
            if reporter is None:
                self.store.reported(a, ok=False, retry_at=None)  # nobody to tell
                continue
            try:
                ok = bool(reporter.report(a, a.status))
            except Exception:  # noqa: BLE001 - a booking tool's failure is the report's only
                log.exception("appointments: reporting %s of the %s appointment %s failed",
                              a.status.value, a.source, a.logged_as)
                ok = False
            if ok:
                accepted += 1
                self.store.reported(a, ok=True)
                continue
            wait = retry_after(tries)
            if wait is None:
                log.warning("appointments: %s of the %s appointment %s not accepted after %d "
                            "tries; given up", a.status.value, a.source, a.logged_as, tries + 1)
                self.store.reported(a, ok=False, retry_at=None)
            else:
                self.store.reported(a, ok=False, retry_at=now + wait)
        return accepted
