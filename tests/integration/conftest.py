"""The bridge of the example site (tests/conftest.py's settings and clock), built in process,
and an HTTP client on its app: what most API tests start from."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build


@pytest.fixture
def bridge(settings, clock):
    b = build(settings, clock)
    yield b
    b.close()


@pytest.fixture
def client(bridge):
    with TestClient(bridge.app) as c:
        yield c
