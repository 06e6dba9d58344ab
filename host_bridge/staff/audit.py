"""The audit log of staff actions: who, when, what, at which counter. No citizen data: a
ticket's label (C017) is the most it says about a citizen (see docs/operations.md).

Counter actions are read off the queue's committed events (the bus's listener, in the
committing thread, under the queue's lock): there they are only put in a bounded queue, and a
writer thread stores them and finds who acted. A person's HTTP request says who through
`ACTING`, a context variable the staff dependency sets and the request's worker thread
inherits; an event without one came from a board, done by whoever is signed in at its counter.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from .store import StaffStore

log = logging.getLogger(__name__)

ACTING: ContextVar[Any] = ContextVar("suivant_acting_user", default=None)
RETENTION_DAYS = 365  # CNIL: logs of access and actions are kept six months to a year
IDLE_SECONDS = 5.0  # the writer thread ends after this long without anything to write
PENDING_MAX = 10_000  # events waiting for the writer; beyond that they are counted and dropped
ACTIONS = {"TicketCalled": "called", "TicketRecalled": "recalled", "TicketServed": "served",
           "TicketAbsent": "absent", "TicketAbsenceUndone": "absence_undone",
           "TicketTransferred": "transferred",
           "CounterOpened": "counter_opened", "CounterPaused": "counter_paused",
           "CounterClosed": "counter_closed"}


class AuditLog:
    def __init__(self, store: StaffStore, now: Callable[[], float],
                 board_actor: Callable[[int | None, float], str | None],
                 seat: Callable[[Any, int], None]):
        self.store, self.now = store, now
        self._board_actor, self._seat = board_actor, seat
        self._pending: deque[tuple[dict[str, Any], Any]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._stopped = False
        self.dropped = 0
        self._purged_day = -1
        self._thread: threading.Thread | None = None

    def record(self, action: str, actor: str | None = None, *, counter: int | None = None,
               label: str | None = None, target: str | None = None, detail: str | None = None,
               via: str | None = None, address: str | None = None,
               at: float | None = None) -> None:
        """One entry, written now (sign-ins and account changes: not under the queue's lock)."""
        self.store.audit([(self.now() if at is None else at, actor, action, counter, label,
                           target, detail, via, address)])

    # ----- counter actions from the queue's events ----------------------------------------------
    def on_events(self, items: list[dict[str, Any]]) -> None:
        """The bus's listener: cheap, under the queue's lock."""
        acting = ACTING.get()
        with self._cond:
            for item in items:
                if item.get("type") in ACTIONS:
                    if len(self._pending) >= PENDING_MAX:
                        self.dropped += 1
                        continue
                    self._pending.append((item, acting))
            if not self._pending:
                return
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="staff-audit", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        """The writer: ends after IDLE_SECONDS with nothing to write (the next event starts
        another), so a bridge that is dropped without being closed leaves no thread behind."""
        while True:
            with self._cond:
                if not self._pending and not self._stopped:
                    self._cond.wait(IDLE_SECONDS)
                if not self._pending:
                    self._thread = None
                    self._cond.notify_all()
                    return
                batch = list(self._pending)
                self._pending.clear()
                self._busy = True
            try:
                self._write(batch)
            except Exception:  # the log goes on; the entries of a failed write are lost, said
                log.exception("audit: %d counter actions not written", len(batch))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, batch: list[tuple[dict[str, Any], Any]]) -> None:
        now = self.now()
        rows = []
        for item, acting in batch:
            counter = item.get("counter")
            if acting is not None:
                actor, via = acting.name, "console"
                if getattr(acting, "session", None) and counter is not None:
                    self._seat(acting, counter)  # acting at a counter takes it
            else:
                actor, via = self._board_actor(counter, now), "board"
            detail = None
            if item["type"] == "TicketTransferred":
                detail = f"{item.get('from_service')} -> {item.get('to_service')}"
            rows.append((now, actor, ACTIONS[item["type"]], counter, item.get("label"), None,
                         detail, via, None))
        self.store.audit(rows)
        day = int(now // 86400)
        if day != self._purged_day:  # once a day: entries older than the retention go
            self._purged_day = day
            self.store.purge_audit(now - RETENTION_DAYS * 86400)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was handed over is written (the audit's readers and the tests)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self) -> None:
        """Write what is pending, then no more writer."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(5)
