"""Behind a real uvicorn: more waiting long polls than the worker threads FastAPI runs sync
routes in (40), and the desk's answer still goes through at once and wakes its citizen; each
of the others wakes when its own conversation changes."""
from __future__ import annotations

import threading
import time

import httpx

from live_server import running_server
from support import AGENT

from chat_support import REPLY
from chat_support import chat_settings

POLLS = 60  # past anyio's 40 worker threads: a poll that held one would starve the answer


def test_waiting_polls_hold_no_worker_thread_and_the_answer_wakes_its_reader(tmp_path, clock):
    with running_server(chat_settings(tmp_path), clock) as server:
        tickets = [server.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["id"]
                   for _ in range(POLLS)]
        versions = [server.post(f"/api/tickets/{t}/questions", json={"text": f"question {n}"})
                    .json()["version"] for n, t in enumerate(tickets)]
        desk = server.bridge.app.state.questions
        answers: dict[int, tuple[float, dict]] = {}

        def poll(n: int) -> None:
            started = time.monotonic()
            with httpx.Client(base_url=server.url, timeout=20) as http:
                r = http.get(f"/api/tickets/{tickets[n]}/questions",
                             params={"after": versions[n], "wait": 20})
            answers[n] = (time.monotonic() - started, r.json())
        threads = [threading.Thread(target=poll, args=(n,)) for n in range(POLLS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while desk.changes._waiting < POLLS:
            assert time.monotonic() < deadline, "the polls never all waited"
            time.sleep(0.02)
        listed = server.http.get("/api/questions", headers=AGENT).json()["conversations"]
        first = next(c["id"] for c in listed if c["messages"][0]["text"] == "question 0")
        sent = time.monotonic()
        server.post(f"/api/questions/{first}/answer", headers=AGENT, json={"text": REPLY})
        assert time.monotonic() - sent < 2
        threads[0].join(10)
        seconds, view = answers[0]
        assert seconds < 10 and view["messages"][-1]["text"] == REPLY
        assert len(answers) == 1  # the others wait on: each wakes with its own conversation
        for t in tickets[1:]:
            server.post(f"/api/tickets/{t}/questions/close")
        for t in threads:
            t.join(10)
        assert all(answers[n][1]["status"] == "closed" and answers[n][0] < 15
                   for n in range(1, POLLS))
