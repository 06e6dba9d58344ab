"""Retention: the detailed history (each ticket's events) is kept `days` days, then each day is
replaced by its tally — counts, waits and service times with no ticket, label or time of day —
so the indicators and the yearly summary still cover it. Runs at start and then hourly.

    retention = Retention(service, days=400).start()     # a thread; stop() at shutdown
"""
from __future__ import annotations

import logging
from datetime import timedelta

from .periodic import Periodic
from .queue_service import QueueService

log = logging.getLogger(__name__)
EVERY_S = 3600.0


class Retention:
    def __init__(self, service: QueueService, days: int, every_s: float = EVERY_S):
        self.service, self.days, self.every_s = service, days, every_s
        # a full disk, a locked file: tried again next time
        self._rounds = Periodic("retention", self.run_once, every_s,
                                failed="the purge failed; the history is unchanged")

    def run_once(self) -> list[str]:
        today = self.service.clock.now().astimezone(self.service.tz).date()
        purged = self.service.purge_before(today - timedelta(days=self.days))
        if purged:
            log.info("retention: %d day(s) reduced to their tallies (%s to %s)", len(purged),
                     purged[0], purged[-1])
        return purged

    def start(self) -> Retention:
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
