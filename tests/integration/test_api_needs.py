"""Citizens' needs over HTTP (issue 13): asked with the ticket, seen by the citizen on their own
ticket and by the agent at the counter, kept off the public event stream; counters that offer
them (examples/mairie.toml: guichet 1, a hearing loop and a seated desk) are preferred."""
from __future__ import annotations

from test_api_tickets_counters import refused

from support import AGENT


def test_the_citizen_and_the_agent_see_the_needs_and_the_public_stream_does_not(client, bridge):
    client.post("/api/counters/1/open", headers=AGENT)
    r = client.post("/api/tickets", json={"service": "etat-civil", "needs": ["seated", "hearing_loop"]})
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert ticket["needs"] == ["hearing_loop", "seated"]
    assert client.get(f"/api/tickets/{ticket['id']}").json()["ticket"]["needs"] == ["hearing_loop", "seated"]
    called = client.post("/api/counters/1/next", headers=AGENT).json()["counter"]["ticket"]
    assert (called["label"], called["needs"]) == (ticket["label"], ["hearing_loop", "seated"])
    events = bridge.service.public_events_after(0)
    issued = [ev for ev in events if ev["type"] == "TicketIssued"]
    assert issued and all("needs" not in ev for ev in issued)


def test_a_ticket_with_a_need_waits_for_the_counter_offering_it(client):
    for counter in (1, 2):
        client.post(f"/api/counters/{counter}/open", headers=AGENT)
    needing = client.post("/api/tickets", json={"service": "etat-civil", "needs": ["hearing_loop"]}).json()
    other = client.post("/api/tickets", json={"service": "etat-civil"}).json()
    at_2 = client.post("/api/counters/2/next", headers=AGENT).json()["counter"]["ticket"]
    assert at_2["label"] == other["ticket"]["label"]  # guichet 2 has no loop
    at_1 = client.post("/api/counters/1/next", headers=AGENT).json()["counter"]["ticket"]
    assert at_1["label"] == needing["ticket"]["label"]


def test_an_unknown_or_repeated_need_list_is_refused_and_changes_nothing(client, bridge):
    refused(client, bridge, "POST", "/api/tickets", 422,
            json={"service": "etat-civil", "needs": ["wheelchair"]})
    refused(client, bridge, "POST", "/api/tickets", 422,
            json={"service": "etat-civil", "needs": ["seated"] * 4})
    refused(client, bridge, "POST", "/api/tickets", 422,
            json={"service": "etat-civil", "needs": "seated"})
