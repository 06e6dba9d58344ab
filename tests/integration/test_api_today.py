"""/api/indicators/today: what the supervisor's live alert and charts read — each service's
longest current wait against its target, people waiting every 10 minutes, the day's waits in
shares of their target, tickets per hour (site time)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build

from support import AGENT, SUPERVISOR


@pytest.fixture
def day(settings, clock):
    """From 10:00: accueil (target 10) A001 and A002; A001 called at 10:06; 10:25 now."""
    b = build(settings, clock)
    with TestClient(b.app) as c:
        c.post("/api/counters/1/open", headers=AGENT)
        c.post("/api/tickets", json={"service": "accueil"})
        clock.advance(2 * 60)
        c.post("/api/tickets", json={"service": "accueil"})
        clock.advance(4 * 60)
        c.post("/api/counters/1/next", headers=AGENT)  # A001 waited 6 min: within 10
        clock.advance(19 * 60)
        yield c
    b.close()


def test_the_longest_current_wait_is_measured_against_the_target(day):
    r = day.get("/api/indicators/today", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    accueil = r.json()["services"]["accueil"]
    assert accueil["waiting"] == 1 and accueil["target_minutes"] == 10
    assert accueil["longest_wait_minutes"] == 23.0 and accueil["late"] is True  # A002 since 10:02
    assert accueil["oldest_since"].startswith("2026-11-26T10:02")
    assert r.json()["services"]["etat-civil"] == {
        "waiting": 0, "target_minutes": 20, "oldest_since": None, "longest_wait_minutes": None,
        "late": False}


def test_the_alert_clears_once_the_late_ticket_is_called(day):
    day.post("/api/counters/1/finish", headers=AGENT)
    day.post("/api/counters/1/next", headers=AGENT)
    accueil = day.get("/api/indicators/today", headers=SUPERVISOR).json()["services"]["accueil"]
    assert (accueil["waiting"], accueil["late"], accueil["longest_wait_minutes"]) == (0, False, None)


def test_the_days_curves(day):
    body = day.get("/api/indicators/today", headers=SUPERVISOR).json()
    # at each mark, and the most at once in the 10 minutes after: 2 between 10:02 and 10:06
    assert [(p["at"], p["waiting"], p["peak"]) for p in body["waiting_over_day"]] == [
        ("10:00", 1, 2), ("10:10", 1, 1), ("10:20", 1, 1)]
    assert body["per_hour"][10] == 2 and sum(body["per_hour"]) == 2
    assert body["waits"] == {"buckets": [0, 1, 0, 0, 0], "bounds": [0.5, 1.0, 1.5, 2.0],
                             "called": 1, "within_target": 1}


def test_only_supervisors_and_admins_read_it(day):
    assert day.get("/api/indicators/today", headers=AGENT).status_code == 403
    assert day.get("/api/indicators/today").status_code == 401
