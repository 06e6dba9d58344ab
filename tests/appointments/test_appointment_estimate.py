"""« The estimate accounts for appointments » (issue 15; found in review): an
appointment checked in early waits until a little before its time (selection.py), yet its
ticket view's estimate is computed from its place among the appointments only
(service/views.ticket_view -> state.estimate(service, ahead)), as if it could be called now.
Checked in at 10:00 for 12:00, the citizen's page and the kiosk's printed ticket say « a few
minutes », and the page says « C'est bientôt à vous » (ahead 0) — two hours early."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, PARIS


def test_an_early_appointments_estimate_is_not_before_it_can_be_called(tmp_path):
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0))
    service = QueueService(site, SqliteStore(str(tmp_path / "queue.db")),
                           ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    try:
        service.execute(c.OpenCounter(3), "agent")
        noon = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
        view = service.execute(c.IssueTicket("passeports-cni", new_ticket_id(),
                                             appointment_at=noon), "kiosk")["ticket"]
        before = site.service("passeports-cni").appointment_rules.callable_before_minutes
        callable_in = 120 - before  # not called before 11:55
        assert view["estimate"] is not None
        assert view["estimate"]["low_minutes"] >= callable_in - 1, view["estimate"]
    finally:
        service.store.close()
