"""What the public screens read besides the queues: /api/results, the reception area's figures
(Services Publics+) for the hall — the supervisor's figures over the last 30 days, without
per-counter or per-hour detail, worked out at most once every 5 minutes whoever asks — and
/api/site's `open`, for the kiosk to say « fermé » before a tap."""
from __future__ import annotations

from datetime import timedelta

from support import AGENT, SUPERVISOR


def test_the_hall_reads_the_last_30_days_as_the_supervisor_does_without_a_token(client, bridge):
    client.post("/api/counters/1/open", headers=AGENT)
    client.post("/api/tickets", json={"service": "accueil"})
    client.post("/api/counters/1/next", headers=AGENT)
    client.post("/api/counters/1/finish", headers=AGENT)
    r = client.get("/api/results")
    assert r.status_code == 200 and "max-age=60" in r.headers["cache-control"]
    public = r.json()
    today = bridge.service.clock.now().date()
    assert (public["from"], public["to"]) == ((today - timedelta(days=29)).isoformat(),
                                              today.isoformat())
    staff = client.get("/api/indicators", headers=SUPERVISOR,
                       params={"from": public["from"], "to": public["to"]}).json()
    assert public["total"] == staff["total"] and public["services"] == staff["services"]
    assert public["total"]["served"] == 1
    assert "per_hour" not in public and "counters" not in public


def test_asking_again_within_5_minutes_reads_no_history(client, bridge, monkeypatch):
    first = client.get("/api/results").json()
    reads = []
    original = bridge.service.indicators
    monkeypatch.setattr(bridge.service, "indicators",
                        lambda *a, **k: reads.append(a) or original(*a, **k))
    client.post("/api/tickets", json={"service": "accueil"})
    for _ in range(20):
        assert client.get("/api/results").json() == first
    assert reads == []
    bridge.service.clock.advance(300)
    assert client.get("/api/results").json()["total"]["issued"] == first["total"]["issued"] + 1
    assert len(reads) == 1


def test_the_site_says_whether_it_issues_tickets_now_and_when_next(settings, clock):
    """The kiosk says « fermé » before a citizen taps: /api/site's `open`."""
    import dataclasses
    from datetime import datetime

    from fastapi.testclient import TestClient

    from host_bridge.bootstrap import build
    from support import PARIS
    site = dataclasses.replace(settings.site, rules=dataclasses.replace(
        settings.site.rules, refuse_outside_hours=True))
    b = build(dataclasses.replace(settings, site=site), clock)
    try:
        with TestClient(b.app) as c:
            assert c.get("/api/site").json()["open"] == {"now": True, "next": None}  # Thursday 10:00
            clock.advance(10 * 3600)  # 20:00, after Thursday's late opening
            assert c.get("/api/site").json()["open"] == {
                "now": False, "next": datetime(2026, 11, 27, 8, 30, tzinfo=PARIS).isoformat()}
            assert c.post("/api/tickets", json={"service": "accueil"}).json()["error"] == "site_closed"
    finally:
        b.close()


def test_a_site_that_issues_tickets_at_any_hour_is_always_open(client, clock):
    clock.advance(14 * 3600)  # midnight: the test site does not refuse outside hours
    assert client.get("/api/site").json()["open"] == {"now": True, "next": None}
