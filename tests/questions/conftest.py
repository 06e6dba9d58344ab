"""The example town hall with the citizens' questions: a bridge built in process (its links not
started), Thursday 26 November 2026, 10:00 in Paris, the clock still. Reception (counters 1
and 2) answers; besides the example's accounts, an agent of counter 4 only (urbanisme: not
an answering counter) and one of counter 1."""
from __future__ import annotations

import dataclasses
import hashlib

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from host_bridge.questions.settings import QuestionSettings
from host_bridge.site_config import User
from support import example_settings

from chat_support import RECEPTION_TOKEN, URBANISME_TOKEN


def _user(name: str, token: str, counters: tuple[int, ...]) -> User:
    return User(name, "agent", hashlib.sha256(token.encode()).hexdigest(), counters)


def chat_settings(folder, **questions):
    settings = example_settings(folder)
    users = (*settings.users, _user("guichet-4", URBANISME_TOKEN, (4,)),
             _user("guichet-1", RECEPTION_TOKEN, (1,)))
    rules = QuestionSettings(**{"counters": (1, 2), **questions})
    return dataclasses.replace(settings, users=users, questions=rules)


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
