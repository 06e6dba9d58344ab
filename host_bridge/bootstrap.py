"""The one place that wires config, store, clock, service and the HTTP app together."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from .api.app import create_app
from .service.clock import Clock, SiteClock
from .service.queue_service import QueueService
from .site_config import Settings
from .store.sqlite_store import SqliteStore


@dataclass
class Bridge:
    settings: Settings
    service: QueueService
    app: FastAPI

    def close(self) -> None:
        self.service.store.close()


def build(settings: Settings, clock: Clock | None = None) -> Bridge:
    store = SqliteStore(settings.db_path, settings.synchronous, ZoneInfo(settings.site.timezone))
    service = QueueService(settings.site, store, clock or SiteClock(settings.site.timezone))
    return Bridge(settings, service, create_app(settings, service))
