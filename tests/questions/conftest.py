"""The example town hall with the citizens' questions: a bridge built in process (its links not
started), Thursday 26 November 2026, 10:00 in Paris, the clock still. Reception (counters 1
and 2) answers; besides the example's accounts, an agent of counter 4 only (urbanisme: not
an answering counter) and one of counter 1."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build

from chat_support import chat_settings


@pytest.fixture
def bridge(tmp_path, clock):
    b = build(chat_settings(tmp_path), clock)
    yield b
    b.close()


@pytest.fixture
def client(bridge):
    with TestClient(bridge.app) as c:
        yield c


@pytest.fixture
def desk(bridge):
    return bridge.app.state.questions
