"""One HTTP call ended at a total deadline, connection to answer.

urllib's timeout bounds each socket operation only: a provider that trickles a byte now and
then passes every one of them and holds the sender thread for as long as it likes. Here a
timer shuts the call's sockets down at the deadline, which ends whatever read, write or TLS
handshake is in progress (the caller then sees an OSError or an HTTPException, and `expired`).
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request
from typing import Any


class Deadline:
    """`with Deadline(seconds) as deadline: deadline.opener().open(request, timeout=...)`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()
        with self._lock:
            socks, self._socks = self._socks, []
        for sock in socks:
            sock.close()

    def opener(self) -> urllib.request.OpenerDirector:
        """urllib's usual opener (proxies, redirects, errors), its connections under this
        deadline."""
        return urllib.request.build_opener(_HttpHandler(self), _HttpsHandler(self))

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def _connect(self, address: Any, timeout: Any = None, source_address: Any = None,
                 *args: Any, **kwargs: Any) -> socket.socket:
        left = max(self._at - time.monotonic(), 0.001)  # connecting is bounded by what is left
        timeout = min(timeout, left) if isinstance(timeout, (int, float)) else left
        sock = socket.create_connection(address, timeout, source_address, *args, **kwargs)
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("deadline passed while connecting")
            # a duplicate of the descriptor: TLS takes the socket object over, and shutting
            # down the duplicate ends the same connection
            self._socks.append(sock.dup())
        return sock

    def _connection(self, http_class: type) -> Any:
        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            connection = http_class(host, **kwargs)
            connection._create_connection = self._connect
            return connection
        return make


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already: nothing left to end


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
        return super().do_open(self._deadline._connection(http_class), req, **kwargs)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
        return super().do_open(self._deadline._connection(http_class), req, **kwargs)
