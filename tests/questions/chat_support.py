"""Helpers of the questions' tests: tokens, a ticket, the store's rows as they are."""
from __future__ import annotations

import sqlite3

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
