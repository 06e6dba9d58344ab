"""The iCal feeds of the site's services, read again every `refresh_minutes` in one thread.
A failed read keeps the list already imported; its error is in `status()` (the appointments'
status endpoint), until a read succeeds.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..service.clock import Clock
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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
            if self._stop.is_set():
                return
            if feed.next_at <= now:
                self.refresh(feed)

    def status(self) -> list[dict[str, Any]]:
        return [f.view() for f in self.feeds]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the thread must live: next round
                log.exception("appointments: reading the iCal feeds failed")
            self._stop.wait(30.0)

    def start(self) -> Feeds:
        if self.feeds:
            self._thread = threading.Thread(target=self._run, name="appointments-feeds",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(ical_import.FETCH_TIMEOUT_S + 1)

