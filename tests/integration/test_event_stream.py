"""The live event stream (/api/events) on a real uvicorn server, read by httpx as a browser would.

The server runs in a background thread of this process, so the tests can also look at the
service behind it (its store's last sequence number, its bus).
"""
from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest

from host_bridge.api import stream as stream_module
from host_bridge.api.limits import Limits
from host_bridge.domain import commands as c
from host_bridge.service import bus as bus_module
from host_bridge.service.queue_service import new_ticket_id

from live_server import WAIT, Server, Stream, running_server
from support import AGENT


@pytest.fixture
def server(settings, clock) -> Iterator[Server]:
    with running_server(settings, clock) as s:
        yield s


@pytest.fixture
def open_stream(server):
    streams: list[Stream] = []

    def _open(headers: dict | None = None, params: dict | None = None) -> Stream:
        s = Stream(f"{server.url}/api/events", headers, params)
        streams.append(s)
        assert s.status == 200
        return s

    yield _open
    for s in streams:
        s.close()


def data(frame: dict) -> dict:
    return json.loads(frame["data"])


def seqs(frames: list[dict]) -> list[int]:
    return [int(f["id"]) for f in frames]


def test_issue_and_call_events_arrive_live_with_increasing_ids_and_no_ticket_id(server, open_stream):
    stream = open_stream()
    assert "text/event-stream" in stream.content_type
    assert stream.until_live() == []  # nothing happened yet: nothing to replay

    server.post("/api/counters/2/open", headers=AGENT)
    ticket = server.post("/api/tickets", json={"service": "etat-civil"}).json()["ticket"]
    server.post("/api/counters/2/next", headers=AGENT)

    # the day was started when the bridge came up, before the stream connected
    frames = stream.events(3)
    assert [f["event"] for f in frames] == ["CounterOpened", "TicketIssued", "TicketCalled"]
    ids = seqs(frames)
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert ids[-1] == server.bridge.service.store.last_seq()
    for frame in frames:
        assert data(frame)["seq"] == int(frame["id"])
        assert data(frame)["type"] == frame["event"]
        assert ticket["id"] not in frame["data"], "the public stream leaks the secret ticket id"
        assert "ticket_id" not in data(frame)
    issued, called = data(frames[1]), data(frames[2])
    assert issued["label"] == "C001" and issued["service"] == "etat-civil"
    assert called["label"] == "C001" and called["counter"] == 2


def test_every_connected_client_gets_the_same_events(server, open_stream):
    first, second = open_stream(), open_stream()
    assert first.until_live() == second.until_live() == []
    server.post("/api/tickets", json={"service": "accueil"})
    a, b = first.events(1), second.events(1)
    assert a == b
    assert data(a[0])["label"] == "A001"


def make_history(server) -> None:
    server.post("/api/counters/1/open", headers=AGENT)
    for service in ("accueil", "etat-civil", "urbanisme"):
        server.post("/api/tickets", json={"service": service})
    server.post("/api/counters/1/next", headers=AGENT)


@pytest.mark.parametrize("how", ["last-event-id", "since"])
def test_reconnecting_after_event_n_replays_the_events_after_n_then_goes_live(server, open_stream, how):
    make_history(server)
    last = server.bridge.service.store.last_seq()
    assert last == 6  # DayStarted, CounterOpened, 3 × TicketIssued, TicketCalled
    n = 3
    stream = open_stream(headers={"Last-Event-ID": str(n)}) if how == "last-event-id" \
        else open_stream(params={"since": n})
    replayed = stream.until_live()
    assert seqs(replayed) == list(range(n + 1, last + 1))
    assert [f["event"] for f in replayed] == ["TicketIssued", "TicketIssued", "TicketCalled"]
    assert [data(f)["label"] for f in replayed] == ["C001", "U001", "A001"]

    server.post("/api/tickets", json={"service": "passeports-cni"})
    (live,) = stream.events(1)
    assert int(live["id"]) == last + 1
    assert data(live)["label"] == "P001"


def test_since_takes_precedence_over_last_event_id(server, open_stream):
    make_history(server)
    stream = open_stream(headers={"Last-Event-ID": "1"}, params={"since": 5})
    assert seqs(stream.until_live()) == [6]


def test_a_client_that_is_up_to_date_gets_no_replay(server, open_stream):
    make_history(server)
    stream = open_stream(headers={"Last-Event-ID": str(server.bridge.service.store.last_seq())})
    assert stream.until_live() == []


def test_a_new_client_without_an_id_starts_from_now(server, open_stream):
    make_history(server)
    stream = open_stream()
    assert stream.until_live() == []
    server.post("/api/tickets", json={"service": "accueil"})
    (frame,) = stream.events(1)
    assert data(frame)["label"] == "A002"


def test_a_garbage_last_event_id_is_ignored_and_a_negative_since_is_refused(server, open_stream):
    make_history(server)
    stream = open_stream(headers={"Last-Event-ID": "abc"})
    assert stream.until_live() == []
    r = server.http.get("/api/events", params={"since": -1})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request"


def test_a_closed_client_does_not_block_commands_and_its_subscription_is_released(server, open_stream):
    stream = open_stream()
    stream.until_live()
    bus = server.bridge.service.bus
    assert len(bus._subs) == 1
    stream.close()
    deadline = time.monotonic() + WAIT
    while bus._subs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not bus._subs, "the server kept the closed client's subscription"

    started = time.monotonic()
    for _ in range(20):
        server.post("/api/tickets", json={"service": "accueil"})
    assert time.monotonic() - started < 10

    late = open_stream(params={"since": 0})
    assert [data(f)["label"] for f in late.until_live() if f["event"] == "TicketIssued"] == [
        f"A{n:03d}" for n in range(1, 21)]


def test_a_client_that_never_reads_does_not_block_commands(settings, clock, monkeypatch):
    monkeypatch.setattr(bus_module, "SUBSCRIBER_QUEUE", 50)  # lag sooner than in production
    with running_server(settings, clock, send_buffer=4096) as server:
        service = server.bridge.service
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        slow.settimeout(WAIT)
        slow.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
        try:
            slow.sendall(b"GET /api/events HTTP/1.1\r\nHost: test\r\n\r\n")
            deadline = time.monotonic() + WAIT
            while not service.bus._subs:
                assert time.monotonic() < deadline, "the slow client never subscribed"
                time.sleep(0.02)
            (slow_sub,) = service.bus._subs

            # far more events than the buffers hold, for a reader that reads nothing (over
            # three services: a letter has 999 numbers)
            for i in range(2000):
                service.execute(c.IssueTicket(("accueil", "etat-civil", "passeports-cni")[i % 3],
                                              new_ticket_id()), "public")
            slowest = 0.0
            for _ in range(30):
                started = time.monotonic()
                server.post("/api/tickets", json={"service": "urbanisme"})
                slowest = max(slowest, time.monotonic() - started)
            assert slowest < 2.0, f"a command took {slowest:.2f} s while a client was not reading"
            assert server.http.get("/api/health").json()["last_seq"] == service.store.last_seq()

            # the laggard was cut loose instead of being buffered for without limit
            assert slow_sub.lagged
            assert slow_sub not in service.bus._subs
            assert slow_sub.queue.qsize() <= 50

            # while a reader who keeps up still gets the latest events live
            with contextlib.closing(Stream(f"{server.url}/api/events")) as fresh:
                fresh.until_live()
                label = server.post("/api/tickets", json={"service": "urbanisme"}).json()["ticket"]["label"]
                (frame,) = fresh.events(1)
                assert data(frame)["label"] == label == "U031"
        finally:
            slow.close()


def test_readers_beyond_the_cap_are_refused_503_while_the_others_keep_receiving(settings, clock):
    with running_server(settings, clock, limits=Limits(max_streams=3)) as server:
        readers = [Stream(f"{server.url}/api/events") for _ in range(3)]
        try:
            for r in readers:
                assert r.status == 200
                r.until_live()
            refused = server.http.get("/api/events")
            assert refused.status_code == 503
            assert refused.json()["error"] == "too_many_streams" and refused.json()["message"]
            assert int(refused.headers["Retry-After"]) > 0
            assert len(server.bridge.service.bus._subs) == 3  # the refused one never subscribed

            label = server.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["label"]
            assert [data(r.events(1)[0])["label"] for r in readers] == [label] * 3

            readers.pop().close()  # a screen goes away: its place is free again
            deadline = time.monotonic() + WAIT
            while server.bridge.app.state.stream_slots.open > 2:
                assert time.monotonic() < deadline, "the closed stream kept its place"
                time.sleep(0.02)
            readers.append(Stream(f"{server.url}/api/events"))
            assert readers[-1].status == 200
            readers[-1].until_live()
        finally:
            for r in readers:
                r.close()


def test_each_event_is_serialised_once_for_all_readers(server, open_stream, monkeypatch):
    encoded = []
    real = stream_module._frame
    monkeypatch.setattr(stream_module, "_frame", lambda item: encoded.append(item["seq"]) or real(item))
    readers = [open_stream() for _ in range(8)]
    for r in readers:
        r.until_live()
    server.post("/api/counters/1/open", headers=AGENT)
    server.post("/api/tickets", json={"service": "accueil"})
    frames = [r.events(2) for r in readers]
    assert all(f == frames[0] for f in frames)
    assert sorted(encoded) == seqs(frames[0]), "an event was serialised more than once"


def test_every_reader_gets_a_keepalive_from_one_shared_timer(settings, clock, monkeypatch):
    monkeypatch.setattr(stream_module, "KEEPALIVE_SECONDS", 0.2)
    with running_server(settings, clock) as server:
        port = int(server.url.rsplit(":", 1)[1])
        readers = [socket.create_connection(("127.0.0.1", port), timeout=WAIT) for _ in range(3)]
        try:
            for r in readers:
                r.sendall(b"GET /api/events HTTP/1.1\r\nHost: test\r\n\r\n")
            for r in readers:
                got = b""
                while b": keepalive" not in got:
                    chunk = r.recv(4096)
                    assert chunk, "the stream ended"
                    got += chunk
            assert server.bridge.app.state.stream_slots._timer is not None  # one, for all
        finally:
            for r in readers:
                r.close()
        deadline = time.monotonic() + WAIT
        while server.bridge.app.state.stream_slots.open:
            assert time.monotonic() < deadline, "closed streams kept their places"
            time.sleep(0.02)
        assert server.bridge.app.state.stream_slots._timer is None  # no reader, no timer
