"""/api/results: the reception area's figures (Services Publics+), public for the hall screen:
the supervisor's figures over the last 30 days, without per-counter or per-hour detail, worked
out at most once every 5 minutes whoever asks."""
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
