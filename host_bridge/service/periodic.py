"""A round of work in its own daemon thread: at start, then every `every_s` seconds, or at once
when woken, until stopped. A round that raises is logged and the next one runs: a locked file
or a full disk must not end the bridge's housekeeping for the day.

    rounds = Periodic("retention", run_once, every_s=3600).start()
    rounds.wake()      # a round now (new data arrived)
    rounds.stop()      # at shutdown: the round in progress finishes first (join_s at most)
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, run: Callable[[], Any], every_s: float,
                 failed: str = "the round failed; trying again next time",
                 expected: tuple[type[BaseException], ...] = (), join_s: float = 5.0,
                 wait_first: bool = False):
        """`failed`: what the log says when a round raises; `expected`: exceptions the round
        has already reported itself (not logged again); `wait_first`: the first round after
        `every_s` (the owner ran one itself at start)."""
        self.name, self.run, self.every_s = name, run, every_s
        self.failed, self.expected, self.join_s = failed, expected, join_s
        self.wait_first = wait_first
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> Periodic:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.join_s)

    def _loop(self) -> None:
        if self.wait_first:
            self._pause()
        while not self._stop.is_set():
            try:
                self.run()
            except self.expected:
                pass
            except Exception:  # noqa: BLE001 - the thread must outlive one round's bug
                log.exception("%s: %s", self.name, self.failed)
            self._pause()

    def _pause(self) -> None:
        self._wake.wait(self.every_s)
        self._wake.clear()
