"""The iCal feeds of the site's services, read again every `refresh_minutes` in one thread.
A failed read keeps the list already imported; its error is in `status()` (the appointments'
status endpoint), until a read succeeds.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..service.clock import Clock
from ..service.periodic import Periodic
from . import ical_import
from .store import AppointmentStore

log = logging.getLogger(__name__)


@dataclass
class Feed:
    service: str
    location: str          # a file (relative to the config's folder) or an http(s) URL
    refresh_minutes: float
    code_property: str = ical_import.DEFAULT_CODE_PROPERTY
    next_at: float = 0.0   # Unix time of the next read
    last_ok: str | None = None
    last_error: str | None = None
    count: int | None = None

    def view(self) -> dict[str, Any]:
        return {"service": self.service, "source": ical_import.source_of(self.service),
                "ok": self.last_error is None and self.last_ok is not None,
                "last_import": self.last_ok, "error": self.last_error,
                "appointments": self.count, "refresh_minutes": self.refresh_minutes}


class Feeds:
    def __init__(self, store: AppointmentStore, clock: Clock, tz, base: Path,
                 feeds: list[Feed], imported: Callable[[], None] = lambda: None):
        self.store, self.clock, self.tz, self.base, self.feeds = store, clock, tz, base, feeds
        self.imported = imported  # after each import (the sweep looks at the new list at once)
        # each feed has its own refresh time; the thread looks every 30 s
        self._rounds = Periodic("appointments-feeds", self.run_once, 30.0,
                                failed="reading the iCal feeds failed",
                                join_s=ical_import.FETCH_TIMEOUT_S + 1)

    def refresh(self, feed: Feed) -> None:
        """Read one feed now and replace its service's list (or keep it and say why)."""
        now = self.clock.now()
        feed.next_at = now.timestamp() + feed.refresh_minutes * 60
        try:
            data = ical_import.fetch(feed.location.strip(), self.base)
            day = now.astimezone(self.tz).date()
            items = ical_import.parse(data, feed.service, day, self.tz, feed.code_property)
            self.store.replace_day(ical_import.source_of(feed.service), day, items)
        except ValueError as exc:  # CalendarRefused, TooMany
            feed.last_error = str(exc)
            log.warning("appointments: %s's iCal feed not imported, the last list stays: %s",
                        feed.service, exc)
            return
        feed.last_ok, feed.last_error, feed.count = now.isoformat(), None, len(items)
        self.imported()

    def run_once(self) -> None:
        now = self.clock.now().timestamp()
        for feed in self.feeds:
            if self._rounds.stopping:
                return
            if feed.next_at <= now:
                self.refresh(feed)

    def status(self) -> list[dict[str, Any]]:
        return [f.view() for f in self.feeds]

    def start(self) -> Feeds:
        if self.feeds:
            self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()

