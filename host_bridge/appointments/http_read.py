"""An HTTP request answered within a total time, not only within each socket wait: urllib's
timeout bounds every recv, so a server sending a byte a second (of its headers or its body)
would hold the reading thread (the feeds', the RDV Service Public pull's or reporter's) for as
long as it liked.

    status, body = http_read.fetch(request, cap, seconds, NoRedirect)   # or TooSlow, ...

A watchdog shuts the request's socket down when `seconds` are up (a blocked recv returns at
once), and the body is read a chunk at a time against the same deadline.
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request

CHUNK = 64 * 1024


class TooSlow(TimeoutError):
    """Not answered within the time given (an OSError, as urllib's timeouts are)."""


class Watchdog:
    """Shuts down the sockets it is given when its time is up."""

    def __init__(self, seconds: float):
        self.seconds, self.expired = seconds, False
        self.deadline = time.monotonic() + seconds
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shut(sock)
        return sock

    def connection(self, http_class):
        """`http_class` (an http.client connection class) whose sockets are watched."""
        def make(*args, **kwargs):
            conn = http_class(*args, **kwargs)
            create = conn._create_connection  # socket.create_connection, per connection
            conn._create_connection = lambda *a, **k: self.watch(create(*a, **k))
            return conn
        return make

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, dog: Watchdog):
        super().__init__()
        self.dog = dog

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(self.dog.connection(http_class), req, **kwargs)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, dog: Watchdog):
        super().__init__()
        self.dog = dog

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(self.dog.connection(http_class), req, **kwargs)


def fetch(request: urllib.request.Request, cap: int, seconds: float,
          *handlers) -> tuple[int, bytes]:
    """`request`'s status and at most `cap` + 1 bytes of its body, all within `seconds`
    (TooSlow otherwise). urllib's errors (HTTPError, URLError, InvalidURL) come out as they
    are, a malformed answer as a ConnectionError. `handlers`: more for build_opener."""
    with Watchdog(seconds) as dog:
        opener = urllib.request.build_opener(*handlers, _HTTP(dog), _HTTPS(dog))
        try:
            with opener.open(request, timeout=seconds) as answer:
                return answer.status, _body(answer, cap, dog)
        except Exception as exc:
            if dog.expired:  # whatever the cut socket made of it
                raise TooSlow(f"not read within {seconds:g} s") from None
            if isinstance(exc, http.client.HTTPException) and \
                    not isinstance(exc, http.client.InvalidURL):
                raise ConnectionError(f"a malformed HTTP answer ({type(exc).__name__})") from None
            raise


def _body(answer, cap: int, dog: Watchdog) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        if time.monotonic() > dog.deadline:
            raise TooSlow(f"not read within {dog.seconds:g} s")
        chunk = answer.read1(min(CHUNK, cap + 1 - size))  # one recv at most: back here soon
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if dog.expired:  # the cut socket ended the body early: not the whole of it
        raise TooSlow(f"not read within {dog.seconds:g} s")
    return b"".join(chunks)
