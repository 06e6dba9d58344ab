"""Fan-out of committed events to live subscribers (event stream, later MQTT and serial links).

Subscribers get bounded queues: one that falls behind is dropped and told so, and catches up
from the store by sequence number instead of making the bridge buffer without limit.

What a command pays for its readers: `publish` runs in the committing thread, under the
service's lock, so it does one thing per event loop (normally one: uvicorn's), never one per
subscriber: it hands the whole batch to that loop. The loop then puts the same `Batch` object
in every subscriber's queue (an enqueue each), one step later, so the command's own answer
is sent first; whatever a reader makes of the batch (the event stream's SSE bytes) is made
once, by the first reader, and shared by all the others.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE = 1000  # batches (one per commit) a subscriber may leave unread before it is dropped
LAGGED = object()  # sentinel put in a queue whose subscriber was dropped


class Batch:
    """The events of one commit, the same object for every subscriber."""

    __slots__ = ("items", "_encoded")

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items
        self._encoded: Any = None

    def encoded(self, encode: Callable[[list[dict[str, Any]]], Any]) -> Any:
        """`encode(items)`, computed by the first subscriber that asks and kept for the others
        (only the loop's thread calls it, so no lock). One encoding per batch: the stream's."""
        if self._encoded is None:
            self._encoded = encode(self.items)
        return self._encoded


@dataclass(eq=False)
class Subscription:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SUBSCRIBER_QUEUE))
    lagged: bool = False


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self._by_loop: dict[asyncio.AbstractEventLoop, set[Subscription]] = {}
        self._listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    def subscribe(self) -> Subscription:
        sub = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
            self._by_loop.setdefault(sub.loop, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)
            subs = self._by_loop.get(sub.loop)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_loop[sub.loop]

    def listen(self, fn: Callable[[list[dict[str, Any]]], None]) -> None:
        """A synchronous listener, called in the committing thread (keep it quick)."""
        self._listeners.append(fn)

    def publish(self, items: list[dict[str, Any]]) -> None:
        with self._lock:
            loops = list(self._by_loop)
        if loops:
            batch = Batch(items)
            for loop in loops:
                try:
                    loop.call_soon_threadsafe(self._defer, loop, batch)
                except RuntimeError:  # the loop is closed: its subscribers are gone
                    with self._lock:
                        gone = self._by_loop.pop(loop, set())
                        self._subs.difference_update(gone)
        for fn in self._listeners:
            try:
                fn(items)
            except Exception:
                log.exception("event listener failed; the bus goes on")

    def _defer(self, loop: asyncio.AbstractEventLoop, batch: Batch) -> None:
        """In `loop`'s thread: the fan-out waits one step, behind the callbacks already queued;
        among them, the thread pool's answer to the command that made these events, which so
        goes out before any reader is woken."""
        loop.call_soon(self._deliver, loop, batch)

    def _deliver(self, loop: asyncio.AbstractEventLoop, batch: Batch) -> None:
        """In `loop`'s thread: one enqueue per subscriber of that loop."""
        with self._lock:
            subs = tuple(self._by_loop.get(loop, ()))
        for sub in subs:
            if sub.lagged:
                continue
            queue = sub.queue
            if queue.qsize() >= queue.maxsize - 1:
                sub.lagged = True
                queue.put_nowait(LAGGED)
                self.unsubscribe(sub)
                continue
            queue.put_nowait(batch)
