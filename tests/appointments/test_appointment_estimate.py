"""The wait estimate with appointments checked in early: an appointment waits until a little
before its time (selection.py: pick_next passes it over).

- Its own estimate is not before it can be called (issue 15, found in review: checked in at
  10:00 for 12:00, its page said « a few minutes », two hours early).
- It takes no counter time before it is due in the counters played forward (issue 18, found by
  a docs walkthrough: an état-civil walk-in at an idle counter 3, which serves passeports
  first, was told 15 min, a noon passport's time, and called at once).
- A service's `estimate_for_new_ticket` (the kiosk's buttons) is what a walk-in issued then
  is told: the early appointment is not ahead of it (issue 18, same walkthrough)."""
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


def _service(tmp_path) -> QueueService:
    """The example town hall at 10:00, open at any hour, no double-press guard."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0))
    return QueueService(site, SqliteStore(str(tmp_path / "queue.db")),
                        ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))


def test_an_early_appointments_estimate_is_not_before_it_can_be_called(tmp_path):
    service = _service(tmp_path)
    try:
        service.execute(c.OpenCounter(3), "agent")
        noon = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
        view = service.execute(c.IssueTicket("passeports-cni", new_ticket_id(),
                                             appointment_at=noon), "kiosk")["ticket"]
        before = service.site.service("passeports-cni").appointment_rules.callable_before_minutes
        callable_in = 120 - before  # not called before 11:55
        assert view["estimate"] is not None
        assert view["estimate"]["low_minutes"] >= callable_in - 1, view["estimate"]
    finally:
        service.store.close()


def test_an_appointment_not_yet_callable_does_not_delay_another_services_walk_in(tmp_path):
    service = _service(tmp_path)
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


def test_the_estimate_for_a_new_ticket_is_what_a_new_ticket_is_told(tmp_path):
    service = _service(tmp_path)
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
