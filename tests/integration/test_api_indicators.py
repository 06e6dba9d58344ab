"""The supervisor's indicators through the API: a day played through the real service and
store, read back per day (a period picks its business days, nothing of the day after), as JSON,
as a French spreadsheet's CSV and as the yearly summary; who may read them; bad periods."""
from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build

from support import ADMIN, AGENT, SUPERVISOR

DAY1, DAY2 = "2026-11-26", "2026-11-27"


@pytest.fixture
def client(settings, clock):
    b = build(settings, clock)
    with TestClient(b.app) as c:
        # Thursday 26: accueil A001 waits 6 min, served in 4; A002 cancelled
        c.post("/api/counters/1/open", headers=AGENT)
        c.post("/api/tickets", json={"service": "accueil"})
        a2 = c.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["id"]
        c.post(f"/api/tickets/{a2}/cancel")
        clock.advance(6 * 60)
        c.post("/api/counters/1/next", headers=AGENT)
        clock.advance(4 * 60)
        c.post("/api/counters/1/finish", headers=AGENT)
        # Friday 27: one état-civil ticket, called after 30 min (target 20)
        clock.advance(24 * 3600)
        c.post("/api/counters/2/open", headers=AGENT)
        c.post("/api/tickets", json={"service": "etat-civil"})
        clock.advance(30 * 60)
        c.post("/api/counters/2/next", headers=AGENT)
        yield c
    b.close()


def test_one_day_only_its_own_tickets(client):
    r = client.get(f"/api/indicators?from={DAY1}&to={DAY1}", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["days"] == [DAY1]
    a = body["services"]["accueil"]
    assert (a["issued"], a["served"], a["cancelled"], a["wait_mean"], a["service_mean"]) == \
        (2, 1, 1, 6.0, 4.0)
    assert body["services"]["etat-civil"]["issued"] == 0
    assert body["per_hour"][3][10] == 2  # Thursday, 10 h (the site's time)


def test_two_days_add_up(client):
    body = client.get(f"/api/indicators?from={DAY1}&to={DAY2}", headers=ADMIN).json()
    assert body["days"] == [DAY1, DAY2]
    assert body["total"]["issued"] == 3 and body["total"]["called"] == 2
    assert body["total"]["within_target"] == 0.5  # 6 ≤ 10 yes; 30 ≤ 20 no


def test_the_csv_is_for_a_french_spreadsheet(client):
    r = client.get(f"/api/indicators.csv?from={DAY1}&to={DAY2}", headers=SUPERVISOR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())  # the BOM
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["jour", "service", "tickets émis", "appelés"]
    accueil = next(x for x in rows if x[0] == DAY1 and x[1] == "Accueil et renseignements")
    header = rows[0]
    assert accueil[header.index("attente moyenne (min)")] == "6,0"
    assert accueil[header.index("taux d'abandon (%)")] == "50,0"
    assert [x[1] for x in rows if x[0] == DAY2][-1] == "tous services"


def test_the_yearly_summary(client):
    body = client.get("/api/indicators/annual?year=2026", headers=SUPERVISOR).json()
    assert (body["year"], body["days_open"], body["tickets"], body["received"]) == (2026, 2, 3, 1)
    assert body["received_within_target"] == 0.5 and body["opinions"] == 0
    assert body["targets_minutes"]["accueil"] == 10


@pytest.mark.parametrize("headers, status", [({}, 401), (AGENT, 403)])
def test_only_supervisors_and_admins_read_them(client, headers, status):
    for url in (f"/api/indicators?from={DAY1}&to={DAY1}",
                f"/api/indicators.csv?from={DAY1}&to={DAY1}", "/api/indicators/annual?year=2026"):
        assert client.get(url, headers=headers).status_code == status


@pytest.mark.parametrize("query, code", [
    (f"from={DAY2}&to={DAY1}", "invalid_period"), ("from=2025-01-01&to=2026-12-31", "invalid_period"),
    ("from=2026-02-30&to=2026-03-01", "invalid_request"), ("to=2026-03-01", "invalid_request"),
    ("from=yesterday&to=today", "invalid_request"),
])
def test_a_bad_period_is_refused_clearly(client, query, code):
    r = client.get(f"/api/indicators?{query}", headers=SUPERVISOR)
    assert r.status_code == 422 and r.json()["error"] == code, r.text
    assert r.json()["message"]


def test_no_per_counter_figure_unless_the_site_wants_them(client):
    body = client.get(f"/api/indicators?from={DAY1}&to={DAY2}", headers=SUPERVISOR).json()
    assert "counters" not in body


def test_per_counter_figures_when_the_site_turns_them_on(settings, clock):
    import dataclasses
    b = build(dataclasses.replace(settings, figures_per_counter=True), clock)
    with TestClient(b.app) as c:
        c.post("/api/counters/1/open", headers=AGENT)
        c.post("/api/tickets", json={"service": "accueil"})
        c.post("/api/tickets", json={"service": "accueil"})
        clock.advance(60)
        c.post("/api/counters/1/next", headers=AGENT)
        clock.advance(3 * 60)
        c.post("/api/counters/1/next", headers=AGENT)  # the first served in 3 min
        clock.advance(60)
        c.post("/api/counters/1/absent", headers=AGENT)
        body = c.get(f"/api/indicators?from={DAY1}&to={DAY1}", headers=SUPERVISOR).json()
    b.close()
    assert body["counters"] == {"1": {"served": 1, "absent": 1, "service_mean": 3.0}}
