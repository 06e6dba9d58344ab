"""The wait estimate through the HTTP API: every field a client is told about in
docs/architecture.md, uncertain on a fresh day, a calibrated range once the service has
history, uncertain again for 10 minutes after a counter serving it closes."""
from __future__ import annotations

from datetime import datetime

from support import AGENT

FIELDS = {"low_minutes", "high_minutes", "minutes", "counters_open", "reliable",
          "uncertain_because", "expected_at", "earliest_at", "latest_at"}


def _issue(client, service="accueil") -> dict:
    r = client.post("/api/tickets", json={"service": service})
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def _serve(client, clock, counter: int, count: int, minutes: float) -> None:
    for _ in range(count):
        _issue(client)
        r = client.post(f"/api/counters/{counter}/next", headers=AGENT)
        assert r.status_code == 200, r.text
        clock.advance(minutes * 60)
    r = client.post(f"/api/counters/{counter}/finish", headers=AGENT)
    assert r.status_code == 200, r.text


def _estimate(client, ticket_id: str) -> dict:
    r = client.get(f"/api/tickets/{ticket_id}")
    assert r.status_code == 200, r.text
    return r.json()["ticket"]["estimate"]


def _check_shape(est: dict, ahead: int, now: datetime) -> None:
    assert set(est) == FIELDS
    assert 0 <= est["low_minutes"] <= est["minutes"] <= est["high_minutes"]
    if ahead > 0:
        assert est["low_minutes"] >= 1  # never « entre 0 et … » with people ahead
    times = [datetime.fromisoformat(est[k]) for k in ("earliest_at", "expected_at", "latest_at")]
    assert now <= times[0] <= times[1] <= times[2]
    assert all(t.utcoffset().total_seconds() == 3600 for t in times)  # Paris in November


def test_a_fresh_day_says_uncertain_then_a_range_once_the_service_has_history(client, clock):
    assert client.post("/api/counters/1/open", headers=AGENT).status_code == 200
    clock.advance(15 * 60)  # past the opening's 10 minutes
    first = [_issue(client) for _ in range(3)]
    est = _estimate(client, first[-1]["id"])
    _check_shape(est, 2, clock.now())
    assert est["reliable"] is False and est["uncertain_because"] == "little_history"
    _serve(client, clock, 1, 14, minutes=3)  # the three first and eleven more
    waiting = [_issue(client) for _ in range(4)]
    est = _estimate(client, waiting[-1]["id"])
    _check_shape(est, 3, clock.now())
    assert est["reliable"] is True and est["uncertain_because"] is None
    # the service list's estimate for a new ticket is the same object
    services = client.get("/api/services").json()["services"]
    new = next(s for s in services if s["id"] == "accueil")["estimate_for_new_ticket"]
    assert set(new) == FIELDS and new["reliable"] is True


def test_a_counter_closing_makes_its_services_uncertain_for_ten_minutes(client, clock):
    for n in (1, 2):
        assert client.post(f"/api/counters/{n}/open", headers=AGENT).status_code == 200
    clock.advance(15 * 60)
    _serve(client, clock, 1, 14, minutes=3)
    clock.advance(15 * 60)
    ticket = [_issue(client) for _ in range(3)][-1]
    assert _estimate(client, ticket["id"])["reliable"] is True
    assert client.post("/api/counters/2/close", headers=AGENT).status_code == 200
    est = _estimate(client, ticket["id"])
    assert est["reliable"] is False and est["uncertain_because"] == "counters_changed"
    clock.advance(11 * 60)
    assert _estimate(client, ticket["id"])["reliable"] is True


def test_the_clock_times_move_with_the_clock_without_any_event(client, clock):
    assert client.post("/api/counters/1/open", headers=AGENT).status_code == 200
    ticket = [_issue(client) for _ in range(4)][-1]
    before = datetime.fromisoformat(_estimate(client, ticket["id"])["earliest_at"])
    clock.advance(20 * 60)  # nobody called: the wait still ahead starts later
    after = datetime.fromisoformat(_estimate(client, ticket["id"])["earliest_at"])
    assert after > before
