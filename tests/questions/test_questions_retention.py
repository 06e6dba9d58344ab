"""A conversation lives with its ticket: when the business day changes its texts are deleted
from the questions' file (bytes included) and only counts per day and service remain, with the
figures they had."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from support import AGENT

from chat_support import ABUSE, QUESTION, REPLY, ask, rows, take_ticket

THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)
FOLLOW_UP = "Et pour un enfant mineur, faut-il sa présence ?"


def _a_day_of_questions(client, clock) -> list[str]:
    """Passeports: one question answered after 2 minutes then reopened and left unanswered,
    one unanswered, one blocked as abusive, two answered by the FAQ; accueil: one answered
    after 6 minutes."""
    a, b, c, d = (take_ticket(client) for _ in range(4))
    e = take_ticket(client, "accueil")
    ask(client, a)
    ask(client, b, "Ma question sans réponse aujourd'hui")
    ask(client, c, ABUSE)
    ask(client, e, "Où est la salle des mariages ?")
    convs = {x["label"]: x["id"] for x in client.get("/api/questions", headers=AGENT).json()["conversations"]}
    clock.advance(120)
    client.post(f"/api/questions/{convs['P001']}/answer", headers=AGENT, json={"text": REPLY})
    client.post(f"/api/questions/{convs['P003']}/close", headers=AGENT, json={"abusive": True})
    clock.advance(240)
    client.post(f"/api/questions/{convs['A001']}/answer", headers=AGENT, json={"text": REPLY})
    client.post(f"/api/tickets/{a}/questions/close")
    ask(client, a, FOLLOW_UP)
    for entry in (1, 1, 0):
        assert client.post(f"/api/tickets/{d}/questions/faq-answered",
                           json={"entry": entry}).status_code == 204
    return [a, b, c, d, e]


EXPECTED = {
    "services": {
        "accueil": {"asked": 1, "by_faq": 0, "by_staff": 1, "unanswered": 0, "abusive": 0,
                    "faq_share": 0.0, "first_answer_median_minutes": 6.0},
        "passeports-cni": {"asked": 6, "by_faq": 2, "by_staff": 1, "unanswered": 3, "abusive": 1,
                           "faq_share": 2 / 6, "first_answer_median_minutes": 2.0}},
    "total": {"asked": 7, "by_faq": 2, "by_staff": 2, "unanswered": 3, "abusive": 1,
              "faq_share": 2 / 7, "first_answer_median_minutes": 4.0},
    "faq_helpful": [
        {"service": "passeports-cni", "question": "Faut-il un rendez-vous ?", "count": 1},
        {"service": "passeports-cni",
         "question": "J'ai fait une pré-demande en ligne : que dois-je apporter ?", "count": 1}]}


def test_the_day_change_deletes_the_texts_and_keeps_the_counts(client, desk, clock):
    tickets = _a_day_of_questions(client, clock)
    assert desk.figures(THURSDAY, THURSDAY) == EXPECTED
    path = Path(desk.store.path)
    assert QUESTION.encode() in path.read_bytes()  # the test reads what it means to

    clock.advance(24 * 3600)  # Friday 10:06: the next read starts the day
    assert desk.reduce() == ["2026-11-26"]

    left = rows(desk)
    assert left["conversations"] == left["messages"] == left["faq_answered"] == []
    assert [r[:7] for r in left["day_counts"]] == [
        ("2026-11-26", "accueil", 1, 0, 1, 0, 0), ("2026-11-26", "passeports-cni", 6, 2, 1, 3, 1)]
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for text in (QUESTION, REPLY, ABUSE, FOLLOW_UP, "salle des mariages", *tickets):
        assert text.encode() not in raw, text
    assert desk.figures(THURSDAY, THURSDAY) == EXPECTED  # the counts outlive the texts
    assert desk.figures(FRIDAY, FRIDAY) == {"services": {}, "faq_helpful": [], "total": {
        "asked": 0, "by_faq": 0, "by_staff": 0, "unanswered": 0, "abusive": 0, "faq_share": None,
        "first_answer_median_minutes": None}}
    assert client.get(f"/api/tickets/{tickets[0]}/questions").status_code == 404
    assert client.get("/api/questions", headers=AGENT).json()["conversations"] == []
    assert desk.reduce() == []  # nothing left to reduce


def test_the_running_bridge_reduces_when_the_day_starts(client, desk, clock):
    _a_day_of_questions(client, clock)
    desk.start()
    try:
        clock.advance(24 * 3600)
        client.get("/api/questions", headers=AGENT)  # a read: the queue starts Friday
        deadline = time.monotonic() + 5
        while rows(desk)["messages"]:
            assert time.monotonic() < deadline, "the day's texts were never deleted"
            time.sleep(0.02)
        assert desk.figures(THURSDAY, FRIDAY)["total"]["asked"] == 7
    finally:
        desk._rounds.stop()


def test_a_day_left_over_is_reduced_at_start(tmp_path, clock):
    from host_bridge.bootstrap import build
    from fastapi.testclient import TestClient

    from chat_support import chat_settings
    settings = chat_settings(tmp_path)
    first = build(settings, clock)
    with TestClient(first.app) as client:
        ask(client, take_ticket(client))
    first.close()
    first.app.state.questions.store.close()
    clock.advance(3 * 24 * 3600)  # the bridge was off until Sunday
    second = build(settings, clock)
    desk = second.app.state.questions
    try:
        desk.start()
        deadline = time.monotonic() + 5
        while rows(desk)["conversations"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert desk.figures(THURSDAY, THURSDAY)["total"]["unanswered"] == 1
    finally:
        desk.stop()
        second.close()
