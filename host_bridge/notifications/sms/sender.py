"""The thread that talks to the provider, so nobody else waits for it.

`submit` only enqueues (a full queue drops the message, counted and logged): a command, a
page or the notifier never waits on the network. Each message is tried `1 + retries` times
with a doubling pause, each try ended at the provider's timeout (the whole call, however the
provider trickles: deadline.py), and given up when it has become too old to be true
(« c'est bientôt à vous » ten minutes late is worse than nothing).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .numbers import mask
from .providers import Provider, ProviderError

log = logging.getLogger(__name__)

QUEUE_SIZE = 200  # messages waiting for the provider: a full hall's « near » notices, twice
RETRIES = 3
BACKOFF = 2.0  # seconds before the first retry, doubled after each
MAX_AGE = 180.0  # seconds after which an unsent message is given up


@dataclass
class Counts:
    sent: int = 0
    failed: int = 0  # given up after its tries, or too old
    dropped: int = 0  # the queue was full
    retried: int = 0


class SmsSender:
    def __init__(self, provider: Provider, retries: int = RETRIES, backoff: float = BACKOFF,
                 max_age: float = MAX_AGE, queue_size: int = QUEUE_SIZE,
                 clock: Callable[[], float] = time.monotonic):
        self.provider, self.retries, self.backoff, self.max_age = provider, retries, backoff, max_age
        self.counts = Counts()
        self._clock = clock
        self._queue: queue.Queue[tuple[str, str, float] | None] = queue.Queue(queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._busy = 0  # messages submitted and not yet done (sent or given up)

    def start(self) -> "SmsSender":
        self._thread = threading.Thread(target=self._run, name="sms-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass  # the thread sees _stop at its next message
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, number: str, text: str) -> bool:
        """Queue one SMS; False (and nothing queued) when the queue is full or stopped."""
        if self._stop.is_set():
            return False
        with self._idle:
            self._busy += 1
        try:
            self._queue.put_nowait((number, text, self._clock()))
        except queue.Full:
            self.counts.dropped += 1
            self._done()
            log.warning("SMS to %s dropped: %d already waiting for the provider",
                        mask(number), self._queue.maxsize)
            return False
        return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted message is sent or given up (for tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                break
            try:
                self._deliver(*item)
            except Exception:  # noqa: BLE001 - a bug must not end the thread: log, go on
                self.counts.failed += 1
                log.exception("SMS sender: unexpected failure; going on")
            finally:
                self._done()

    def _deliver(self, number: str, text: str, queued_at: float) -> None:
        for attempt in range(1 + self.retries):
            if self._clock() - queued_at > self.max_age:
                self.counts.failed += 1
                log.warning("SMS to %s given up: not sent within %g s", mask(number), self.max_age)
                return
            try:
                self.provider.send(number, text)
            except ProviderError as exc:
                if attempt == self.retries:
                    self.counts.failed += 1
                    log.warning("SMS to %s given up after %d tries: %s", mask(number),
                                attempt + 1, exc)
                    return
                self.counts.retried += 1
                log.info("SMS to %s failed (%s); retrying", mask(number), exc)
                if self._stop.wait(self.backoff * 2 ** attempt):
                    return
            else:
                self.counts.sent += 1
                return
