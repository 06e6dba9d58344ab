"""Undoing « Absent » through the HTTP API (issue 13): POST /api/counters/{n}/undo-absent on
the real app (FastAPI's TestClient, real SQLite). The counter says how long the undo stays
possible; the undo is applied once per Idempotency-Key; the ticket page, the event stream and
the indicators all see the ticket back in its line; refusals change nothing."""
from __future__ import annotations

import pytest


from support import AGENT, SUPERVISOR


def post(client, path, headers=AGENT, **kwargs):
    return client.post(path, headers=headers, **kwargs)


def issue(client, service="etat-civil", **kwargs):
    r = client.post("/api/tickets", json={"service": service, **kwargs})
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


@pytest.fixture
def marked_absent(client, clock):
    """Counter 2 open; C001 (cmi) and C002 waiting, C001 called then marked absent 10 s later.
    -> C001's ticket (with its id: the citizen's page)."""
    assert post(client, "/api/counters/2/open").status_code == 200
    first = issue(client, category="cmi")
    clock.advance(30)
    issue(client)
    called = post(client, "/api/counters/2/next").json()["counter"]["ticket"]
    assert called["label"] == "C001" and called["category"] == "cmi"
    clock.advance(10)
    r = post(client, "/api/counters/2/absent")
    assert r.status_code == 200, r.text
    return first


def state(client, bridge):
    return (client.get("/api/services").json(), client.get("/api/counters").json(),
            bridge.service.store.last_seq())


def test_the_counter_says_which_absence_it_can_undo_and_for_how_long(client, clock,
                                                                      marked_absent):
    undo = client.get("/api/counters/2").json()["undo_absent"]
    assert (undo["label"], undo["seconds_left"]) == ("C001", 60)
    clock.advance(45)
    assert client.get("/api/counters/2").json()["undo_absent"]["seconds_left"] == 15
    clock.advance(16)
    assert client.get("/api/counters/2").json()["undo_absent"] is None
    assert client.get("/api/counters/1").json()["undo_absent"] is None


def test_an_undo_puts_the_ticket_back_first_in_its_line_for_every_reader(client, bridge, clock,
                                                                         marked_absent):
    seq = bridge.service.store.last_seq()
    clock.advance(20)
    r = post(client, "/api/counters/2/undo-absent",
             headers={**AGENT, "Idempotency-Key": "undo-absent-c001-000"})
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["undo_absent"] is None
    assert r.json()["counter"]["waiting"] == 2
    # the citizen's page: waiting again, first in line, a priority ticket still
    mine = client.get(f"/api/tickets/{marked_absent['id']}").json()["ticket"]
    assert (mine["status"], mine["ahead"], mine["category"], mine["counter"]) == \
        ("waiting", 0, "cmi", None)
    listed = client.get("/api/services/etat-civil/queue").json()["waiting"]
    assert [t["label"] for t in listed] == ["C001", "C002"]
    # the event stream: one event, with the label and never the ticket's id
    events = bridge.service.public_events_after(seq)
    assert [(ev["type"], ev["label"], ev["counter"]) for ev in events] == \
        [("TicketAbsenceUndone", "C001", 2)]
    assert "ticket_id" not in events[0] and marked_absent["id"] not in str(events[0])
    # a retry of the same press: the first answer, nothing applied twice
    again = post(client, "/api/counters/2/undo-absent",
                 headers={**AGENT, "Idempotency-Key": "undo-absent-c001-000"})
    assert again.json()["replayed"] is True
    assert bridge.service.store.last_seq() == seq + 1
    # served now: the indicators count no absence
    post(client, "/api/counters/2/next")
    clock.advance(120)
    post(client, "/api/counters/2/finish")
    figures = client.get("/api/indicators", params={"from": "2026-11-26", "to": "2026-11-26"},
                         headers=SUPERVISOR).json()
    civil = figures["services"]["etat-civil"]
    assert (civil["absent"], civil["served"], civil["called"]) == (0, 1, 1)


def test_an_undo_after_the_window_is_refused_and_changes_nothing(client, bridge, clock,
                                                                 marked_absent):
    clock.advance(61)
    before = state(client, bridge)
    r = post(client, "/api/counters/2/undo-absent")
    assert r.status_code == 409
    assert r.json()["error"] == "undo_expired" and "60 s" in r.json()["message"]
    assert state(client, bridge) == before


def test_a_second_undo_is_refused_as_nothing_to_undo(client, bridge, marked_absent):
    assert post(client, "/api/counters/2/undo-absent").status_code == 200
    before = state(client, bridge)
    r = post(client, "/api/counters/2/undo-absent")
    assert (r.status_code, r.json()["error"]) == (409, "nothing_to_undo")
    assert state(client, bridge) == before


def test_only_staff_who_may_act_at_the_counter_can_undo(client, bridge, marked_absent):
    before = state(client, bridge)
    assert post(client, "/api/counters/2/undo-absent", headers={}).status_code == 401
    assert post(client, "/api/counters/2/undo-absent", headers=SUPERVISOR).status_code == 403
    assert state(client, bridge) == before


def test_the_undo_is_in_the_api_documentation(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/counters/{number}/undo-absent"]
