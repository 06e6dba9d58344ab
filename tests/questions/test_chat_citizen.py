"""The citizen's side of the chat on the real app: a question opens a conversation, the FAQ
answers first, and every refusal (unknown or closed ticket, empty or oversized text, too fast,
too many, blocked) changes nothing in the store."""
from __future__ import annotations

import dataclasses

import pytest

from host_bridge.questions.rules import CITIZEN_MAX_MESSAGES
from support import AGENT

from chat_support import ABUSE, QUESTION, REPLY, ask, rows, take_ticket


def test_a_question_opens_a_conversation_the_staff_answers_and_the_citizen_closes(client, clock):
    tid = take_ticket(client)
    empty = client.get(f"/api/tickets/{tid}/questions").json()
    assert empty == {"version": empty["version"], "status": "none", "late": False,
                     "answer_within_minutes": 10, "can_write": True, "messages": []}
    view = ask(client, tid)
    assert view["status"] == "open" and view["can_write"]
    assert [(m["from"], m["text"], m["faq"]) for m in view["messages"]] == [("citizen", QUESTION, None)]
    assert view["messages"][0]["at"] == "2026-11-26T10:00:00+01:00"
    assert view["version"] != empty["version"]
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    assert cid != tid  # staff never see the ticket's id: it opens the citizen's page
    clock.advance(60)
    r = client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    assert r.status_code == 200, r.text
    seen = client.get(f"/api/tickets/{tid}/questions").json()
    assert [(m["from"], m["text"]) for m in seen["messages"]] == [("citizen", QUESTION),
                                                                 ("staff", REPLY)]
    closed = client.post(f"/api/tickets/{tid}/questions/close").json()
    assert closed["status"] == "closed" and closed["can_write"]
    clock.advance(10)
    reopened = ask(client, tid, "Et pour un mineur ?")  # a new question in the same conversation
    assert reopened["status"] == "open" and len(reopened["messages"]) == 3


def test_the_faq_is_matched_before_sending_and_stores_nothing(client, desk):
    tid = take_ticket(client)
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions/match",
                    json={"text": "quels papiers apporter après ma pré-demande"})
    assert r.status_code == 200, r.text
    found = r.json()["faq"]
    assert 1 <= len(found) <= 3 and set(found[0]) == {"id", "question", "answer"}
    assert "pré-demande" in found[0]["question"]
    assert rows(desk) == before


def test_faq_answered_counts_once_per_ticket_and_entry(client, desk, clock):
    tid = take_ticket(client)
    for _ in range(2):
        r = client.post(f"/api/tickets/{tid}/questions/faq-answered", json={"entry": 1})
        assert r.status_code == 204, r.text
    assert len(rows(desk)["faq_answered"]) == 1
    day = clock.now().date()
    figures = desk.figures(day, day)
    assert figures["services"]["passeports-cni"]["asked"] == 1
    assert figures["services"]["passeports-cni"]["by_faq"] == 1
    assert figures["total"]["faq_share"] == 1.0
    assert figures["faq_helpful"] == [{"service": "passeports-cni", "count": 1,
                                       "question": "J'ai fait une pré-demande en ligne : que dois-je apporter ?"}]
    r = client.post(f"/api/tickets/{tid}/questions/faq-answered", json={"entry": 40})
    assert r.status_code == 404 and r.json()["error"] == "unknown_faq_entry"


@pytest.mark.parametrize("path, body", [
    ("", {"text": QUESTION}), ("/match", {"text": QUESTION}), ("/faq-answered", {"entry": 0}),
    ("/close", None)])
def test_an_unknown_ticket_is_refused_on_every_route_and_nothing_stored(client, desk, path, body):
    take_ticket(client)
    before = rows(desk)
    r = client.post(f"/api/tickets/nosuchticket/questions{path}", json=body)
    assert r.status_code == 404 and r.json()["error"] == "unknown_ticket"
    assert client.get("/api/tickets/nosuchticket/questions").status_code == 404
    assert rows(desk) == before


@pytest.mark.parametrize("end", ["served", "cancelled", "absent"])
def test_a_closed_ticket_may_not_write(client, desk, end):
    tid = take_ticket(client)
    if end == "cancelled":
        assert client.post(f"/api/tickets/{tid}/cancel").status_code == 200
    else:
        assert client.post("/api/counters/3/open", headers=AGENT).status_code == 200
        assert client.post("/api/counters/3/next", headers=AGENT).status_code == 200
        assert client.post(f"/api/counters/3/{'finish' if end == 'served' else 'absent'}",
                           headers=AGENT).status_code == 200
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions", json={"text": QUESTION})
    assert r.status_code == 409 and r.json()["error"] == "ticket_closed"
    assert rows(desk) == before
    assert client.get(f"/api/tickets/{tid}/questions").json()["can_write"] is False


@pytest.mark.parametrize("text", ["", "   \n\t ", "x" * 501, " " + "é" * 501 + " "])
def test_empty_or_oversized_messages_are_refused(client, desk, text):
    tid = take_ticket(client)
    r = client.post(f"/api/tickets/{tid}/questions", json={"text": text})
    assert r.status_code == 422, r.text
    assert rows(desk)["messages"] == [] and rows(desk)["conversations"] == []


def test_500_characters_after_trimming_are_taken(client):
    tid = take_ticket(client)
    view = ask(client, tid, "   " + "a" * 500 + "   ")
    assert view["messages"][0]["text"] == "a" * 500


def test_a_message_within_5_seconds_is_refused_with_retry_after(client, desk, clock):
    tid = take_ticket(client)
    ask(client, tid)
    clock.advance(3)
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions", json={"text": "encore"})
    assert r.status_code == 429 and r.json()["error"] == "too_frequent"
    assert r.headers["Retry-After"] == "2"
    assert rows(desk) == before
    clock.advance(2)
    ask(client, tid, "encore")


def test_the_21st_message_of_a_ticket_is_refused(client, desk, clock):
    tid = take_ticket(client)
    for n in range(CITIZEN_MAX_MESSAGES):
        ask(client, tid, f"message {n}")
        clock.advance(5)
    assert client.get(f"/api/tickets/{tid}/questions").json()["can_write"] is False
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions", json={"text": "un de plus"})
    assert r.status_code == 429 and r.json()["error"] == "too_frequent"
    assert int(r.headers["Retry-After"]) == 14 * 3600 - 20 * 5  # until midnight
    assert rows(desk) == before


def test_a_blocked_conversation_takes_no_more_messages(client, desk, clock):
    tid = take_ticket(client)
    ask(client, tid, ABUSE)
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    r = client.post(f"/api/questions/{cid}/close", headers=AGENT, json={"abusive": True})
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    clock.advance(60)
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions", json={"text": QUESTION})
    assert r.status_code == 409 and r.json()["error"] == "conversation_blocked"
    view = client.get(f"/api/tickets/{tid}/questions").json()
    assert view["status"] == "blocked" and view["can_write"] is False
    # the citizen's « réglé » does not unblock it
    assert client.post(f"/api/tickets/{tid}/questions/close").json()["status"] == "blocked"
    assert rows(desk) == before


def test_late_after_the_site_minutes_without_a_staff_answer(client, clock):
    tid = take_ticket(client)
    ask(client, tid)
    clock.advance(10 * 60)
    assert client.get(f"/api/tickets/{tid}/questions").json()["late"] is False
    clock.advance(1)
    late = client.get(f"/api/tickets/{tid}/questions").json()
    assert late["late"] is True
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    assert client.get(f"/api/tickets/{tid}/questions").json()["late"] is False


def test_questions_off_answers_404_everywhere(tmp_path, clock):
    from fastapi.testclient import TestClient

    from host_bridge.bootstrap import build

    from chat_support import chat_settings
    bridge = build(chat_settings(tmp_path, enabled=False), clock)
    try:
        with TestClient(bridge.app) as client:
            tid = take_ticket(client)
            base = f"/api/tickets/{tid}/questions"
            answers = [client.get(base), client.post(base, json={"text": QUESTION}),
                       client.post(base + "/match", json={"text": QUESTION}),
                       client.post(base + "/faq-answered", json={"entry": 0}),
                       client.post(base + "/close"), client.get("/api/questions", headers=AGENT),
                       client.post("/api/questions/abc/answer", headers=AGENT, json={"text": "x"}),
                       client.post("/api/questions/abc/close", headers=AGENT, json={}),
                       client.post("/api/questions/abc/faq", headers=AGENT,
                                   json={"question": "q", "answer": "a"})]
            assert [(r.status_code, r.json()["error"]) for r in answers] == \
                [(404, "questions_off")] * len(answers)
            assert rows(bridge.app.state.questions)["conversations"] == []
    finally:
        bridge.close()


def test_settings_built_in_code_use_the_defaults(tmp_path, clock):
    from host_bridge.bootstrap import build
    from support import example_settings
    settings = dataclasses.replace(example_settings(tmp_path), questions=None)
    bridge = build(settings, clock)
    try:
        assert bridge.app.state.questions.settings.enabled is True
        assert bridge.app.state.questions.settings.counters == ()
    finally:
        bridge.close()


def test_a_reply_right_after_the_desks_answer_is_not_a_burst(client, clock):
    """« Merci ! » a second after the answer is accepted; two messages of the citizen in a row
    within the pace are not (found by the two-page browser test: the thanks was refused)."""
    tid = take_ticket(client)
    ask(client, tid)
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    assert client.post(f"/api/questions/{cid}/answer", headers=AGENT,
                       json={"text": REPLY}).status_code == 200
    clock.advance(1)
    ask(client, tid, "Merci beaucoup")
    clock.advance(1)
    refused = client.post(f"/api/tickets/{tid}/questions", json={"text": "Encore merci"})
    assert refused.status_code == 429 and refused.json()["error"] == "too_frequent"
