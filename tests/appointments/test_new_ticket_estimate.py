"""A service's `estimate_for_new_ticket` (the kiosk's buttons, the hall screen) is what a
walk-in issued then is told: an appointment checked in early and not yet due is not ahead of it
(selection.people_ahead), so it is not counted ahead of the new ticket either."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.service.views import service_view
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, PARIS


def test_the_estimate_for_a_new_ticket_is_what_a_new_ticket_is_told(tmp_path):
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0))
    service = QueueService(site, SqliteStore(str(tmp_path / "queue.db")),
                           ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    try:
        service.execute(c.OpenCounter(3), "agent")
        # three walk-ins: one called at counter 3 (passeports first), two waiting
        for _ in range(3):
            service.execute(c.IssueTicket("passeports-cni", new_ticket_id()), "kiosk")
        service.execute(c.CallNext(3), "agent")
        # an appointment checked in at 10:00 for 12:00: not callable before 11:55
        noon = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
        service.execute(c.IssueTicket("passeports-cni", new_ticket_id(), appointment_at=noon),
                        "kiosk")
        announced = service.read(lambda s: service_view(s, "passeports-cni"))
        told = service.execute(c.IssueTicket("passeports-cni", new_ticket_id()),
                               "kiosk")["ticket"]
        assert told["ahead"] == 2  # the two walk-ins; the appointment is not due
        new = announced["estimate_for_new_ticket"]
        keys = ("low_minutes", "minutes", "high_minutes")
        assert {k: new[k] for k in keys} == {k: told["estimate"][k] for k in keys}, (new, told)
    finally:
        service.store.close()
