"""The long polls: a reader whose version is current waits, and wakes as soon as the other side
writes; nothing changed, it gets the same view after `wait`; past the cap, 503."""
from __future__ import annotations

import threading
import time

from support import AGENT

from chat_support import QUESTION, REPLY, ask, take_ticket


def _in_thread(fn):
    out: dict = {}

    def run():
        started = time.monotonic()
        out["response"] = fn()
        out["seconds"] = time.monotonic() - started
    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _until_waiting(desk, count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while desk.changes._waiting < count:
        assert time.monotonic() < deadline, "the long poll never waited"
        time.sleep(0.01)


def test_the_citizens_poll_wakes_on_the_staff_answer(client, desk):
    tid = take_ticket(client)
    version = ask(client, tid)["version"]
    cid = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    thread, out = _in_thread(lambda: client.get(f"/api/tickets/{tid}/questions",
                                                params={"after": version, "wait": 20}))
    _until_waiting(desk)
    client.post(f"/api/questions/{cid}/answer", headers=AGENT, json={"text": REPLY})
    thread.join(10)
    assert out["seconds"] < 5
    view = out["response"].json()
    assert view["version"] != version and view["messages"][-1]["text"] == REPLY


def test_the_staff_poll_wakes_on_a_new_question(client, desk, clock):
    listed = client.get("/api/questions", headers=AGENT).json()
    assert listed["conversations"] == []
    thread, out = _in_thread(lambda: client.get("/api/questions", headers=AGENT,
                                                params={"after": listed["version"], "wait": 20}))
    _until_waiting(desk)
    ask(client, take_ticket(client))
    thread.join(10)
    assert out["seconds"] < 5
    assert [c["messages"][0]["text"] for c in out["response"].json()["conversations"]] == [QUESTION]


def test_another_tickets_message_does_not_answer_a_citizens_poll(client, desk):
    mine, other = take_ticket(client), take_ticket(client)
    version = ask(client, mine)["version"]
    thread, out = _in_thread(lambda: client.get(f"/api/tickets/{mine}/questions",
                                                params={"after": version, "wait": 1}))
    _until_waiting(desk)
    ask(client, other)
    thread.join(10)
    assert out["seconds"] >= 0.9  # waited its whole second: nothing of its own changed
    assert out["response"].json()["version"] == version


def test_an_old_version_is_answered_at_once(client):
    tid = take_ticket(client)
    started = time.monotonic()
    r = client.get(f"/api/tickets/{tid}/questions", params={"after": "stale", "wait": 25})
    assert r.status_code == 200 and time.monotonic() - started < 2


def test_past_the_cap_a_poll_is_refused_with_retry_after(client, desk):
    tid = take_ticket(client)
    version = client.get(f"/api/tickets/{tid}/questions").json()["version"]
    desk.changes.max_waiting = 0
    r = client.get(f"/api/tickets/{tid}/questions", params={"after": version, "wait": 5})
    assert r.status_code == 503 and r.json()["error"] == "too_many_waiting"
    assert int(r.headers["Retry-After"]) > 0
    assert client.get(f"/api/tickets/{tid}/questions").status_code == 200  # no wait: answered


def test_wait_is_bounded(client):
    tid = take_ticket(client)
    r = client.get(f"/api/tickets/{tid}/questions", params={"wait": 26})
    assert r.status_code == 422


def test_the_citizens_poll_wakes_when_the_ticket_ends(client, desk):
    """Cancelled (or served) while the phone waits on its conversation: it learns at once that
    it can no longer write, not at the end of the wait (the queue's events wake it)."""
    tid = take_ticket(client)
    view = ask(client, tid)
    assert view["can_write"]
    thread, out = _in_thread(lambda: client.get(f"/api/tickets/{tid}/questions",
                                                params={"after": view["version"], "wait": 20}))
    _until_waiting(desk)
    assert client.post(f"/api/tickets/{tid}/cancel").status_code == 200
    thread.join(10)
    assert out["seconds"] < 5
    assert out["response"].json()["can_write"] is False
