"""Each provider call ends at its total deadline (the provider's timeout), not only when one
read waits too long: a provider trickling a byte every 50 ms passes every per-read timeout and
used to hold the sender thread for as long as it trickled."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from host_bridge.notifications.sms.providers import HttpProvider, ProviderError, brevo
from host_bridge.notifications.sms.sender import SmsSender

from sms_provider import forms

NUMBER = "+33612345678"
DEADLINE = 0.5
STEP = 0.05  # between two bytes: far below any per-read timeout
SLACK = 1.0  # the machine is shared: generous, still far below a trickle's length


class Trickler:
    """A local provider that reads a request and answers `head` at once, then `tail` one byte
    every STEP seconds (up to 30 s, or until the client hangs up)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/sms"
        self.answer = (b"", b"")
        self.open = 0  # connections still trickling
        self._changed = threading.Condition()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self._changed:
                self.open += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        head, tail = self.answer
        with conn:
            try:
                conn.recv(65536)  # the request (small: one read holds it on loopback)
                conn.sendall(head)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not self._stop.is_set():
                    for byte in tail:
                        conn.sendall(bytes([byte]))
                        if self._stop.wait(STEP):
                            return
            except OSError:
                pass  # the client hung up on it: what the tests wait for
            finally:
                with self._changed:
                    self.open -= 1
                    self._changed.notify_all()

    def all_ended(self, timeout: float = 5.0) -> bool:
        """Every connection hung up by the client (none left trickling into the void)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.open == 0, timeout)

    def close(self) -> None:
        self._stop.set()
        self.server.close()


@pytest.fixture(scope="module")
def trickler():
    server = Trickler()
    yield server
    server.close()


def timed_send(provider: HttpProvider) -> tuple[float, Exception | None]:
    started = time.monotonic()
    try:
        provider.send(NUMBER, "C017 : présentez-vous au guichet 3")
    except ProviderError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_a_status_line_trickled_is_given_up_at_the_deadline(trickler):
    trickler.answer = (b"", b"HTTP/1.1 201 Created\r\nX-Slow: " + b"a" * 10_000)
    took, error = timed_send(HttpProvider(trickler.url, template={"t": "{text}"}, timeout=DEADLINE))
    assert DEADLINE * 0.9 <= took < DEADLINE + SLACK
    assert error is not None and f"within {DEADLINE:g} s" in str(error)
    assert not any(f in str(error) for f in forms(NUMBER))
    assert trickler.all_ended(), "the connection was left open"


def test_a_tls_handshake_trickled_is_given_up_at_the_deadline(trickler):
    # a TLS record announced 16 KiB long, its bytes trickled: the handshake never ends
    trickler.answer = (b"", b"\x16\x03\x03\x40\x00" + b"\x02" * 20_000)
    https = trickler.url.replace("http:", "https:")
    took, error = timed_send(HttpProvider(https, template={"t": "{text}"}, timeout=DEADLINE))
    assert error is not None and took < DEADLINE + SLACK
    assert trickler.all_ended()


def test_a_2xx_whose_body_trickles_is_sent_at_the_deadline_not_resent(trickler):
    # the provider accepted the message: failing it would send the citizen a second SMS
    trickler.answer = (b"HTTP/1.1 201 Created\r\nContent-Length: 100000\r\n\r\n", b"{" * 100)
    took, error = timed_send(HttpProvider(trickler.url, template={"t": "{text}"}, timeout=DEADLINE))
    assert error is None and took < DEADLINE + SLACK
    assert trickler.all_ended()


def test_a_trickling_provider_frees_the_sender_thread(trickler):
    trickler.answer = (b"", b"HTTP/1.1 201 Created\r\nX-Slow: " + b"a" * 10_000)
    sender = SmsSender(brevo("k", "MAIRIE", url=trickler.url, timeout=DEADLINE), retries=1,
                       backoff=0.01).start()
    try:
        started = time.monotonic()
        assert sender.submit(NUMBER, "un") and sender.submit(NUMBER, "deux")
        assert sender.wait_idle(4 * DEADLINE + SLACK)  # two messages, two tries each
        assert time.monotonic() - started >= 4 * DEADLINE * 0.9
        assert (sender.counts.failed, sender.counts.retried, sender.counts.sent) == (2, 2, 0)
        assert trickler.all_ended()
    finally:
        sender.stop()
