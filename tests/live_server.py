"""A bridge behind a real uvicorn in a thread, and an SSE client, for the tests of the live
event stream (tests/integration/test_event_stream.py) and of the pages that read it
(tests/browser/test_stream_cap.py).

    with running_server(settings, clock, limits=Limits(max_streams=1)) as server:
        stream = Stream(server.url + "/api/events")
"""
from __future__ import annotations

import contextlib
import dataclasses
import queue
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from host_bridge.api.limits import Limits, configure
from host_bridge.bootstrap import build

from support import free_port

WAIT = 5.0  # seconds an expected frame may take before the test fails instead of hanging


@dataclasses.dataclass
class Server:
    url: str
    bridge: object
    http: httpx.Client

    def post(self, path: str, **kwargs) -> httpx.Response:
        r = self.http.post(path, **kwargs)
        assert r.status_code in (200, 201), r.text
        return r


@contextlib.contextmanager
def running_server(settings, clock, send_buffer: int | None = None,
                   limits: Limits | None = None) -> Iterator[Server]:
    """The bridge behind a real uvicorn in a thread; stopped (and its store closed) on exit.

    `send_buffer` shrinks the kernel's send buffer of every connection (accepted sockets
    inherit it from the listening one), so a client that does not read fills it quickly.
    """
    bridge = build(dataclasses.replace(settings, synchronous="NORMAL"), clock)
    # the test's client writes far faster than anyone may anonymously: listed, as a kiosk
    configure(bridge.app.state, limits or Limits(unlimited_addresses=("127.0.0.1",)))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    port = free_port()
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(bridge.app, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=2)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not uv.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=WAIT) as http:
            yield Server(url, bridge, http)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        bridge.close()
    assert not thread.is_alive(), "uvicorn did not stop within 10 s"


class Stream:
    """An SSE client in a thread: frames (and ': live'/': keepalive' comments) land in a queue."""

    LIVE = object()

    def __init__(self, url: str, headers: dict | None = None, params: dict | None = None):
        self.items: queue.Queue = queue.Queue()
        self.status: int | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(WAIT, read=60.0))
        self._response = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers, params), daemon=True)
        self._thread.start()
        assert self._ready.wait(WAIT), "the stream did not answer"

    def _read(self, url, headers, params) -> None:
        try:
            with self._client.stream("GET", url, headers=headers, params=params) as response:
                self._response, self.status = response, response.status_code
                self.content_type = response.headers.get("content-type", "")
                self._ready.set()
                frame: dict[str, str] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        if line.strip() == ": live":
                            self.items.put(self.LIVE)
                    elif line == "":
                        if frame:
                            self.items.put(frame)
                        frame = {}
                    else:
                        field, _, value = line.partition(":")
                        frame[field] = value[1:] if value.startswith(" ") else value
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test
        finally:
            self._ready.set()
            self.items.put(None)  # end of stream

    def next(self, timeout: float = WAIT):
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no frame from the event stream within {timeout} s")

    def until_live(self) -> list[dict]:
        """The catch-up frames, up to the ': live' marker."""
        replayed = []
        while (item := self.next()) is not self.LIVE:
            assert item is not None, "the stream ended before going live"
            replayed.append(item)
        return replayed

    def events(self, n: int) -> list[dict]:
        out = []
        for _ in range(n):
            item = self.next()
            assert item is not None and item is not self.LIVE, f"expected an event, got {item!r}"
            out.append(item)
        return out

    def close(self) -> None:
        """Hang up as a browser tab being closed does: the reader thread ends at once."""
        if self._response is not None:
            sock = self._response.extensions["network_stream"].get_extra_info("socket")
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
        self._thread.join(timeout=WAIT)
        assert not self._thread.is_alive(), "the stream reader did not stop"
        self._client.close()


@contextlib.contextmanager
def appointment_server(settings, clock, service: str, booked: list[dict]) -> Iterator[Server]:
    """`running_server` with the bridge's appointments wired as `suivant serve` wires them,
    their rounds (iCal refreshes, the no-show sweep) not started — the clock stands still,
    nothing races — and today's list of `service` sent through the REST API."""
    from host_bridge.appointments import runtime
    with running_server(settings, clock) as server:
        appointments = runtime.build(settings, server.bridge.service, server.bridge.app)
        try:
            r = server.http.put(f"/api/appointments/{service}", json={"appointments": booked},
                                headers={"Authorization": "Bearer demo-admin"})
            assert r.status_code == 200, r.text
            yield server
        finally:
            appointments.stop()
