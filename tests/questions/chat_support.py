"""Helpers of the questions' tests: the site, tokens, a ticket, the store's rows as they are
(not in conftest.py: `from conftest import` finds another folder's conftest when the run
imports one first)."""
from __future__ import annotations

import dataclasses
import hashlib
import sqlite3

from host_bridge.questions.settings import QuestionSettings
from host_bridge.site_config import User
from support import example_settings

# two agents' tokens besides the example's (tests/log_secrets.py knows them)
URBANISME_TOKEN = "jeton-du-guichet-quatre"
RECEPTION_TOKEN = "jeton-du-guichet-un"
URBANISME = {"Authorization": f"Bearer {URBANISME_TOKEN}"}
RECEPTION = {"Authorization": f"Bearer {RECEPTION_TOKEN}"}
KIOSK = {"Authorization": "Bearer demo-borne"}

# what the tests' citizens and staff type (tests/log_secrets.py watches the logs for them)
QUESTION = "Faut-il la photocopie du livret de famille ?"
REPLY = "Oui, apportez aussi l'original du livret."
ABUSE = "Message injurieux de test numéro sept"


def take_ticket(client, service: str = "passeports-cni") -> str:
    r = client.post("/api/tickets", json={"service": service})
    assert r.status_code == 201, r.text
    return r.json()["ticket"]["id"]


def rows(desk) -> dict[str, list[tuple]]:
    """Every row of the questions' file, table by table (read on a connection of its own)."""
    db = sqlite3.connect(desk.store.path)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()  # noqa: S608
                for t in ("conversations", "messages", "faq_answered", "day_counts", "faq_helpful")}
    finally:
        db.close()


def ask(client, ticket_id: str, text: str = QUESTION, status: int = 201) -> dict:
    r = client.post(f"/api/tickets/{ticket_id}/questions", json={"text": text})
    assert r.status_code == status, r.text
    return r.json()


def _user(name: str, token: str, counters: tuple[int, ...]) -> User:
    return User(name, "agent", hashlib.sha256(token.encode()).hexdigest(), counters)


def chat_settings(folder, **questions):
    settings = example_settings(folder)
    users = (*settings.users, _user("guichet-4", URBANISME_TOKEN, (4,)),
             _user("guichet-1", RECEPTION_TOKEN, (1,)))
    rules = QuestionSettings(**{"counters": (1, 2), **questions})
    return dataclasses.replace(settings, users=users, questions=rules)
