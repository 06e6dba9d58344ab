"""Fan-out of committed events to live subscribers (event stream, later MQTT and serial links).

Subscribers get bounded queues: one that falls behind is dropped and told so, and catches up
from the store by sequence number instead of making the bridge buffer without limit.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE = 1000
LAGGED = object()  # sentinel put in a queue whose subscriber was dropped


@dataclass(eq=False)
class Subscription:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SUBSCRIBER_QUEUE))
    lagged: bool = False


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self._listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    def subscribe(self) -> Subscription:
        sub = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def listen(self, fn: Callable[[list[dict[str, Any]]], None]) -> None:
        """A synchronous listener, called in the committing thread (keep it quick)."""
        self._listeners.append(fn)

    def publish(self, items: list[dict[str, Any]]) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(self._deliver, sub, items)
            except RuntimeError:  # its loop is closed: the subscriber is gone
                self.unsubscribe(sub)
        for fn in self._listeners:
            try:
                fn(items)
            except Exception:
                log.exception("event listener failed; the bus goes on")

    def _deliver(self, sub: Subscription, items: list[dict[str, Any]]) -> None:
        if sub.lagged:
            return
        for item in items:
            if sub.queue.qsize() >= SUBSCRIBER_QUEUE - 1:
                sub.lagged = True
                sub.queue.put_nowait(LAGGED)
                self.unsubscribe(sub)
                return
            sub.queue.put_nowait(item)
