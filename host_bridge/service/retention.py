"""Retention: the detailed history (each ticket's events) is kept `days` days, then each day is
replaced by its tally — counts, waits and service times with no ticket, label or time of day —
so the indicators and the yearly summary still cover it. Runs at start and then hourly.

    retention = Retention(service, days=400).start()     # a thread; stop() at shutdown
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from .queue_service import QueueService

log = logging.getLogger(__name__)
EVERY_S = 3600.0


class Retention:
    def __init__(self, service: QueueService, days: int, every_s: float = EVERY_S):
        self.service, self.days, self.every_s = service, days, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[str]:
        today = self.service.clock.now().astimezone(self.service.tz).date()
        purged = self.service.purge_before(today - timedelta(days=self.days))
        if purged:
            log.info("retention: %d day(s) reduced to their tallies (%s to %s)", len(purged),
                     purged[0], purged[-1])
        return purged

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a full disk, a locked file: try again next time
                log.exception("retention: the purge failed; the history is unchanged")
            self._stop.wait(self.every_s)

    def start(self) -> Retention:
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
