"""The desk's side of the chat: who reads (answering agents, supervisors, admins), who writes
(answering agents and admins), and refusals that leave the store and the site file as they
were; the list's order; a good answer turned into a FAQ entry through the administration's
path."""
from __future__ import annotations

from pathlib import Path

import pytest

from host_bridge.site_config import load
from support import ADMIN, AGENT, SUPERVISOR

from chat_support import KIOSK, QUESTION, RECEPTION, REPLY, URBANISME, ask, rows, take_ticket


@pytest.fixture
def opened(client):
    tid = take_ticket(client)
    ask(client, tid)
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    return tid, cid


@pytest.mark.parametrize("who, reads", [
    (AGENT, True), (RECEPTION, True), (SUPERVISOR, True), (ADMIN, True), (URBANISME, False),
    (KIOSK, False), ({}, False), ({"Authorization": "Bearer not-a-token"}, False)])
def test_who_reads_the_list(client, opened, who, reads):
    r = client.get("/api/questions", headers=who)
    if reads:
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"version", "answer_within_minutes", "counters", "may_answer",
                             "may_add_faq", "conversations"}
        assert body["counters"] == [1, 2]  # the consoles that show the questions
        assert body["may_answer"] is (who is not SUPERVISOR)
        assert body["may_add_faq"] is (who is ADMIN)
        assert len(body["conversations"]) == 1
    else:
        assert r.status_code == (401 if who in ({}, {"Authorization": "Bearer not-a-token"}) else 403)
        assert "conversations" not in r.json()


@pytest.mark.parametrize("who, status", [
    (SUPERVISOR, 403), (URBANISME, 403), (KIOSK, 403), ({}, 401)])
@pytest.mark.parametrize("action, body", [
    ("answer", {"text": REPLY}), ("close", {"abusive": True}),
    ("faq", {"question": "Une question ?", "answer": "Une réponse."})])
def test_who_may_not_write_changes_nothing(client, desk, bridge, opened, who, status, action, body):
    _, cid = opened
    before, site = rows(desk), Path(bridge.settings.source).read_bytes()
    r = client.post(f"/api/questions/{cid}/{action}", headers=who, json=body)
    assert r.status_code == status, r.text
    assert rows(desk) == before
    assert Path(bridge.settings.source).read_bytes() == site


def test_an_answering_agent_may_answer_with_a_faq_entry_and_an_empty_text(client, opened):
    tid, cid = opened
    r = client.post(f"/api/questions/{cid}/answer", headers=RECEPTION,
                    json={"text": "", "faq_entry": 0})
    assert r.status_code == 200, r.text
    item = r.json()
    assert item["id"] == cid and item["label"] == "P001" and item["service"] == "passeports-cni"
    assert item["service_name"] == "Passeports / CNI" and item["ticket_status"] == "waiting"
    assert item["status"] == "open" and item["waiting_since"] is None and item["late"] is False
    staff = item["messages"][-1]
    assert staff["from"] == "staff" and staff["text"] == ""
    assert staff["faq"]["id"] == 0 and staff["faq"]["question"] == "Faut-il un rendez-vous ?"
    assert "guichet" not in str(item).lower()  # no staff name anywhere
    citizen = client.get(f"/api/tickets/{tid}/questions").json()
    assert citizen["messages"][-1]["faq"] == staff["faq"]


@pytest.mark.parametrize("body, status, code", [
    ({"text": ""}, 422, "invalid_text"), ({"text": "x" * 1001}, 422, "invalid_text"),
    ({"text": "   "}, 422, "invalid_text"), ({"text": "ok", "faq_entry": 99}, 404, "unknown_faq_entry"),
    ({"text": "ok", "extra": 1}, 422, "invalid_request")])
def test_bad_answers_are_refused_and_nothing_stored(client, desk, opened, body, status, code):
    _, cid = opened
    before = rows(desk)
    r = client.post(f"/api/questions/{cid}/answer", headers=AGENT, json=body)
    assert (r.status_code, r.json()["error"]) == (status, code)
    assert rows(desk) == before


def test_an_unknown_conversation_is_404_and_a_ticket_id_is_not_a_conversation(client, opened):
    tid, _ = opened
    for cid in ("nosuchconversation", tid):
        r = client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
        assert (r.status_code, r.json()["error"]) == (404, "unknown_conversation")


def test_a_closed_conversation_takes_no_answer_until_the_citizen_asks_again(client, desk, clock, opened):
    tid, cid = opened
    r = client.post(f"/api/questions/{cid}/close", headers=AGENT, json={"abusive": False})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    before = rows(desk)
    r = client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    assert (r.status_code, r.json()["error"]) == (409, "conversation_closed")
    assert rows(desk) == before
    clock.advance(30)
    ask(client, tid, "Une autre question")
    r = client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    assert r.status_code == 200
    day = clock.now().date()
    assert desk.figures(day, day)["total"]["asked"] == 2  # the reopening is a new question


def test_the_list_puts_the_longest_waiting_first_then_the_answered_then_the_closed(client, clock):
    ids = [take_ticket(client) for _ in range(4)]
    for tid in ids:
        ask(client, tid)
        clock.advance(60)
    convs = {c["label"]: c["id"] for c in client.get("/api/questions", headers=AGENT).json()["conversations"]}
    client.post(f"/api/questions/{convs['P001']}/answer", headers=AGENT, json={"text": REPLY})
    client.post(f"/api/questions/{convs['P002']}/close", headers=AGENT, json={})
    clock.advance(1)
    client.post(f"/api/questions/{convs['P003']}/close", headers=AGENT, json={"abusive": True})
    listed = client.get("/api/questions", headers=SUPERVISOR).json()["conversations"]
    assert [(c["label"], c["status"]) for c in listed] == [
        ("P004", "open"), ("P001", "open"), ("P003", "blocked"), ("P002", "closed")]
    assert listed[0]["waiting_since"] == "2026-11-26T10:03:00+01:00"


def test_an_admin_turns_an_answer_into_a_faq_entry_written_to_the_site_file(client, bridge, opened):
    _, cid = opened
    r = client.post(f"/api/questions/{cid}/faq", headers=ADMIN,
                    json={"question": "Peut-on venir sans photo ?", "answer": "Non, apportez-en une."})
    assert r.status_code == 201, r.text
    assert r.json() == {"service": "passeports-cni", "entry": 2}
    written = load(bridge.settings.source).site.service("passeports-cni").faq
    assert written[2].question == "Peut-on venir sans photo ?"
    live = client.get("/api/services/passeports-cni/faq").json()["faq"]
    assert "Peut-on venir sans photo ?" in [e["question"] for e in live]


def test_an_agent_may_not_add_to_the_faq_and_an_oversized_entry_changes_nothing(client, bridge, opened):
    _, cid = opened
    site = Path(bridge.settings.source).read_bytes()
    r = client.post(f"/api/questions/{cid}/faq", headers=AGENT, json={"question": "q", "answer": "a"})
    assert r.status_code == 403
    r = client.post(f"/api/questions/{cid}/faq", headers=ADMIN,
                    json={"question": "q" * 301, "answer": "a"})
    assert r.status_code == 422
    assert Path(bridge.settings.source).read_bytes() == site


def test_without_a_site_file_the_faq_cannot_grow(client, bridge, opened):
    _, cid = opened
    Path(bridge.settings.source).unlink()
    r = client.post(f"/api/questions/{cid}/faq", headers=ADMIN, json={"question": "q", "answer": "a"})
    assert r.status_code == 409, r.text


def test_texts_never_reach_the_logs(client, caplog, opened):
    import logging
    caplog.set_level(logging.DEBUG)
    tid, cid = opened
    client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    client.post(f"/api/tickets/{tid}/questions", json={"text": QUESTION})  # refused: too soon
    # the bridge's records (the test client's own httpx lines name the URL it was given)
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records
                       if r.name.startswith("host_bridge"))
    for secret in (QUESTION, REPLY, tid):
        assert secret not in logged
