"""Bounds on what one HTTP client can make the bridge hold, wait for or do (issue 10).

Every value is one a real site never reaches and a flood always does:

- a request body over its cap is refused (413) before it is read: on its Content-Length when
  it has one, else by counting the bytes as they come (chunked);
- a body must arrive whole within `body_timeout` (408, and the connection closed);
- anonymous writes are limited per client address (429 with Retry-After, rate_limit.py);
  staff with a valid token are not;
- a request's head (request line and headers) must be complete within HEAD_TIMEOUT and
  MAX_HEAD bytes, and uvicorn serves at most max_streams + OTHER_CONNECTIONS connections
  and requests (`server_options`, used where `suivant serve` starts uvicorn);
- the live event stream serves at most `max_streams` readers (api/stream.py).

The middleware is plain ASGI: a request without a body costs it one pass over the headers.
"""
from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Unauthorized
from .rate_limit import ClientKeys, TokenBuckets

# A ticket request is ~100 bytes and no public body is over 1 KB: 64 KiB is 60 times the largest.
MAX_BODY = 64 * 1024
# PUT /api/admin/config with an admin token: the whole site in JSON (examples/mairie.toml:
# 3.2 KB with its FAQ); 1 MiB holds a site 300 times its size. Anyone else gets MAX_BODY.
MAX_ADMIN_BODY = 1024 * 1024
# A whole body within 10 s: a kiosk's takes milliseconds, 1 MiB over a 1 Mbit/s link 8 s.
BODY_TIMEOUT = 10.0
# The anonymous writes one address may make at once: a family at the kiosk, or the kiosk
# itself on its busiest minute (the kiosk page sends no token: it counts as anonymous).
PUBLIC_BURST = 20
# ... and then per minute: one every 3 s, faster than people take tickets at one kiosk
# (a few seconds each, however fast they tap), far slower than a script (500 in 2.7 s).
PUBLIC_PER_MINUTE = 20.0
# Addresses whose buckets are remembered (about 150 bytes each): more than any site has clients.
TRACKED_CLIENTS = 10_000
# Not limited by default: nobody. A flood from the bridge's own machine is a flood too; a site
# lists its kiosk PC's address in [limits] unlimited_addresses (the kiosk page sends no token),
# and its own tools send a staff token. A reverse proxy must send X-Forwarded-For (uvicorn
# trusts it from 127.0.0.1), so the limit applies to the clients behind it.
UNLIMITED_ADDRESSES: tuple[str, ...] = ()
# Open event streams: a hall screen, a kiosk, consoles, and one phone per person waiting with
# the ticket page open; 500 is several times the busiest hall (+1.5 ms a command, 18 MB RSS).
MAX_STREAMS = 500
# uvicorn answers 503 past `limit_concurrency` connections or running requests (open streams
# count): the streams plus this much room for the pages' ordinary requests and keep-alives.
OTHER_CONNECTIONS = 500
# The request line and headers: browsers send 0.5-2 KB; Node.js refuses past 16 KiB.
MAX_HEAD = 32 * 1024
# The head of a request within 10 s of its first byte (or of the connection being opened):
# a browser sends it in one packet; a slowloris client holds a connection for nothing.
HEAD_TIMEOUT = 10.0
# An idle keep-alive connection is closed after 5 s (uvicorn's default, kept on purpose).
KEEP_ALIVE_SECONDS = 5
# A stop (SIGTERM) waits this long for requests in progress, then ends what is left: open
# event streams never end by themselves, and without it a stop waited for them for ever.
GRACEFUL_SHUTDOWN_SECONDS = 5

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_CONFIG = ("PUT", "/api/admin/config")


@dataclass(frozen=True)
class Limits:
    """The app's limits (app.state.limits). The defaults are the constants above; a site's
    config may change them when site_config.py reads a [limits] table."""

    max_body: int = MAX_BODY
    max_admin_body: int = MAX_ADMIN_BODY
    body_timeout: float = BODY_TIMEOUT
    public_burst: int = PUBLIC_BURST
    public_per_minute: float = PUBLIC_PER_MINUTE
    tracked_clients: int = TRACKED_CLIENTS
    unlimited_addresses: tuple[str, ...] = UNLIMITED_ADDRESSES
    max_streams: int = MAX_STREAMS
    max_head: int = MAX_HEAD  # these two bound uvicorn's protocol (server_options)
    head_timeout: float = HEAD_TIMEOUT


def configure(state: Any, limits: Limits) -> None:
    """Set (or change) an app's limits: `state` is `app.state`."""
    state.limits = limits
    state.rate_limiter = TokenBuckets(limits.public_burst, limits.public_per_minute,
                                      limits.tracked_clients)
    state.client_keys = ClientKeys(limits.unlimited_addresses)


def _json(status: int, code: str, message: str, headers: dict[str, str] | None = None
          ) -> tuple[Message, Message]:
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           # the request's body is left unread: the connection cannot carry another request
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return ({"type": "http.response.start", "status": status, "headers": raw},
            {"type": "http.response.body", "body": body, "more_body": False})


async def _refuse(send: Send, status: int, code: str, message: str,
                  headers: dict[str, str] | None = None) -> None:
    start, body = _json(status, code, message, headers)
    await send(start)
    await send(body)


_TOO_LARGE, _TOO_SLOW = object(), object()  # what _read_body returns instead of a body


async def _read_body(receive: Receive, cap: int, timeout: float) -> bytes | object | None:
    """The whole body; _TOO_LARGE past `cap` bytes, _TOO_SLOW after `timeout` seconds, None
    when the client went away. One timer per body (a loop TimerHandle: asyncio.timeout costs
    several times more, on every request with a body)."""
    task = asyncio.current_task()
    assert task is not None  # called from a request's task
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(timeout, expire)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                return _TOO_LARGE
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except asyncio.CancelledError:
        if not expired or task.uncancel() > 0:
            raise  # cancelled by someone else (a shutdown)
        return _TOO_SLOW
    finally:
        timer.cancel()


class InputLimits:
    """ASGI middleware: rate limit, body cap and body timeout, before any route runs.

    `state` is the app's state, read on each request, so `configure` takes effect at once."""

    def __init__(self, app: ASGIApp, state: Any):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = authorization = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"authorization":
                authorization = value
        limits: Limits = self.state.limits
        method = scope["method"]
        if method not in SAFE_METHODS and await self._rate_limited(scope, authorization, send):
            return
        if not chunked and (length is None or length == b"0"):
            await self.app(scope, receive, send)  # no body: nothing to bound
            return
        cap = limits.max_body
        if (method, scope["path"]) == ADMIN_CONFIG and self._role(authorization) == "admin":
            cap = limits.max_admin_body
        if length is not None and not chunked:
            try:
                declared = int(length)
            except ValueError:  # uvicorn's parser lets only digits through; be safe anyway
                declared = cap + 1
            if declared > cap:
                await _refuse(send, 413, "body_too_large",
                              f"the body is {declared} bytes; {cap} at most here")
                return
        body = await _read_body(receive, cap, limits.body_timeout)
        if body is None:
            return  # the client went away: nobody to answer
        if body is _TOO_LARGE:
            await _refuse(send, 413, "body_too_large",
                          f"the body is over {cap} bytes, the most accepted here")
            return
        if body is _TOO_SLOW:
            await _refuse(send, 408, "request_timeout",
                          f"the body did not arrive within {limits.body_timeout:g} s")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then what the server says next (a disconnect)

        await self.app(scope, replay, send)

    def _role(self, authorization: bytes | None) -> str | None:
        if authorization is None:
            return None
        try:
            return self.state.auth.user_for(authorization.decode("latin-1")).role
        except Unauthorized:
            return None

    async def _rate_limited(self, scope: Scope, authorization: bytes | None, send: Send) -> bool:
        client = scope.get("client")
        if not client:
            return False
        key = self.state.client_keys.key(client[0])
        if key is None or self._role(authorization) is not None:
            return False
        wait = self.state.rate_limiter.take(key)
        if not wait:
            return False
        retry = max(1, math.ceil(wait))
        await _refuse(send, 429, "rate_limited",
                      f"too many requests from this address without a staff token: "
                      f"try again in {retry} s", {"Retry-After": str(retry)})
        return True


def server_options(limits: Limits | None = None) -> dict[str, Any]:
    """uvicorn.Config / uvicorn.run keyword arguments bounding connections and request heads."""
    limits = limits or Limits()
    protocol = _bounded_httptools(limits.head_timeout, limits.max_head)
    return {
        "http": protocol if protocol is not None else "h11",
        "limit_concurrency": limits.max_streams + OTHER_CONNECTIONS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "h11_max_incomplete_event_size": limits.max_head,  # used only when uvicorn runs h11
    }


_PROTOCOLS: dict[tuple[float, int], type] = {}


def _bounded_httptools(head_timeout: float, max_head: int) -> type | None:
    """uvicorn's httptools protocol with a bound on the request head's time and size, which
    uvicorn lacks (its only timeout is between requests; httptools keeps any header size).
    None without httptools: then uvicorn's h11, whose head size is bounded by
    h11_max_incomplete_event_size (its time is not)."""
    try:
        import httptools  # noqa: F401  (uvicorn's protocol below needs it)
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None
    if (head_timeout, max_head) in _PROTOCOLS:
        return _PROTOCOLS[head_timeout, max_head]

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            self._head_timer: asyncio.TimerHandle | None = None
            # True from a request's first byte (or the connection's opening) to its headers' end
            self._head_open = True
            self._head_bytes = self._head_parsed = 0  # bytes read, bytes parsed of the head
            self._head_too_large = False
            super().connection_made(transport)
            self._head_timer = self.loop.call_later(head_timeout, self._head_expired)

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._head_open:
                self._head_bytes += len(data)
            super().data_received(data)
            # checked after parsing: a read holding a whole head and part of the body is fine
            if self._head_open and self._head_bytes > max_head and not self._head_too_large \
                    and not self.transport.is_closing():
                self._head_too_large = True
                self.send_400_response("")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_open, self._head_bytes, self._head_parsed = True, 0, 0
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout, self._head_expired)

        def on_url(self, url: bytes) -> None:
            self._head_parsed += len(url)
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._head_parsed += len(name) + len(value) + 4
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._head_open = False
            self._stop_head_timer()
            if self._head_parsed > max_head:  # a whole head too large that came in one read
                self._head_too_large = True
                raise ValueError("request head too large")  # a parser error to uvicorn: 431
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if not self._head_too_large:
                super().send_400_response(msg)
                return
            text = f"request line and headers over {max_head} bytes".encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                b"charset=utf-8\r\nconnection: close\r\ncontent-length: "
                + str(len(text)).encode() + b"\r\n\r\n" + text)
            self.transport.close()

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_expired(self) -> None:
            self._head_timer = None
            if self._head_open and not self.transport.is_closing():
                self.transport.close()  # no answer: the client has not finished asking

    _PROTOCOLS[head_timeout, max_head] = BoundedHttpToolsProtocol
    return BoundedHttpToolsProtocol
