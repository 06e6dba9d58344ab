"""The example town hall's queue for the notification tests: a real QueueService on SQLite."""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE


def example_queue(db: Path, clock: ManualClock, **rules) -> QueueService:
    """The example site, open at any hour, no guard between presses (the tests press fast),
    `rules` changed."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0, **rules))
    return QueueService(site, SqliteStore(str(db)), clock)


def issue(service: QueueService, service_id: str = "passeports-cni") -> dict:
    return service.execute(c.IssueTicket(service_id, new_ticket_id()), "public")["ticket"]


class FakeChannel:
    """Keeps what it is sent; `wait(n)` returns once n notices arrived (no sleeping)."""

    def __init__(self):
        self.notices: list = []
        self._arrived = threading.Condition()

    def send(self, notice) -> None:
        with self._arrived:
            self.notices.append(notice)
            self._arrived.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.notices) >= count, timeout), \
                f"{len(self.notices)} notices, expected {count}: {self.notices}"
            return list(self.notices)

    def texts(self) -> list[str]:
        return [n.text for n in self.notices]
