"""Helpers of the survey's tests (not in conftest.py: tests/unit has one too, and `from conftest
import` picks whichever was imported first)."""
from __future__ import annotations

from support import AGENT


def served(client, clock, service="accueil", counter=1) -> str:
    """A ticket taken, called and served at `counter` (a minute later: past the guard between
    two calls): its id."""
    clock.advance(60)
    client.post(f"/api/counters/{counter}/open", headers=AGENT)
    ticket = client.post("/api/tickets", json={"service": service}).json()["ticket"]["id"]
    assert client.post(f"/api/counters/{counter}/next", headers=AGENT).status_code == 200
    assert client.post(f"/api/counters/{counter}/finish", headers=AGENT).status_code == 200
    return ticket
