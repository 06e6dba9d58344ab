"""An appointment checked in early is in its service's line but is not called before a few
minutes ahead of its time (pick_next passes it over): the wait estimate's counters played
forward give it no counter time before then. At the example town hall, counter 3 serves
passeports first, then état civil: with a passport appointment for noon checked in at 10:00,
an état-civil walk-in at the idle counter 3 is called at once, and is told so (not « vers
10 h 15 », the passport's time, as it was)."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, PARIS


def test_an_appointment_not_yet_callable_does_not_delay_another_services_walk_in(tmp_path):
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0))
    service = QueueService(site, SqliteStore(str(tmp_path / "queue.db")),
                           ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    try:
        service.execute(c.OpenCounter(3), "agent")  # passeports-cni first, then etat-civil
        noon = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
        service.execute(c.IssueTicket("passeports-cni", new_ticket_id(), appointment_at=noon),
                        "kiosk")
        walk_in = service.execute(c.IssueTicket("etat-civil", new_ticket_id()),
                                  "kiosk")["ticket"]
        called = service.execute(c.CallNext(3), "agent")["counter"]["ticket"]
        assert called["label"] == walk_in["label"]  # the idle counter takes it at once…
        estimate = walk_in["estimate"]
        assert walk_in["ahead"] == 0
        assert estimate["minutes"] <= 1, estimate  # …yet it was told 15 min
    finally:
        service.store.close()
