"""The example town hall's bridge (tests/conftest.py's settings and clock: Thursday 26
November 2026, 10:00 in Paris), built but not started: the tests run the survey's retention
round by hand. `make_client(**settings changes)` for a site with other switches."""
from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build


@pytest.fixture
def make_client(settings, clock):
    opened = []

    def make(**changes):
        b = build(dataclasses.replace(settings, **changes), clock)
        client = TestClient(b.app)
        opened.append((b, client))
        return client
    yield make
    for b, client in opened:
        client.close()
        b.app.state.survey.stop()  # its file (the bridge's links were never started)
        b.close()


@pytest.fixture
def client(make_client):
    return make_client()
