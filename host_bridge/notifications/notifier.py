"""Watches tickets for their channels and sends « near » once, « called » at each call.

The bus listener runs in the committing thread, under the queue's lock: it only notes which
services the commit touched (a set, as large as the site's services at most) and wakes the
notifier's own thread. That thread reads the watched tickets of those services through
`service.read` and hands notices to the channels, which queue them: no command ever waits on
a notice, and a burst of commits is coalesced into one read.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain.tickets import TicketStatus
from ..service.views import comeback_until, public_ticket, ticket_view
from .notice import Channel, called_notice, near_notice
from .settings import NotifySettings

log = logging.getLogger(__name__)

MAX_WATCHED = 5000
TICK_SECONDS = 30.0
READ_CHUNK = 250  # tickets read per hold of the queue's lock  # estimates drift with time and absence windows close without an event
_ALL = "*"


class TooManyWatched(RuntimeError):
    """The notifier watches MAX_WATCHED tickets already: the caller says « réessayez »."""


@dataclass
class _Watch:
    channels: set[str]
    service: str | None = None  # unknown until first read
    near_sent: bool = False
    call_sent: tuple[Any, ...] | None = None  # (called_at, recalls) last told
    absent_until: datetime | None = None


@dataclass
class _Pending:
    services: set[str] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)


class Notifier:
    def __init__(self, service: Any, rules: NotifySettings | None = None,
                 tick_seconds: float = TICK_SECONDS, max_watched: int = MAX_WATCHED):
        self.service, self.rules = service, rules or NotifySettings()
        self.tick_seconds, self.max_watched = tick_seconds, max_watched
        self._channels: dict[str, Channel] = {}
        self._watched: dict[str, _Watch] = {}
        self._ended: list[Callable[[str], None]] = []
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening = False
        self.checks = 0  # rounds done: tests wait on it instead of sleeping

    # ----- wiring --------------------------------------------------------------------------
    def add_channel(self, name: str, channel: Channel) -> None:
        self._channels[name] = channel

    def on_ended(self, callback: Callable[[str], None]) -> None:
        """`callback(ticket_id)` when a watched ticket ends (served, cancelled, absent past its
        windows, gone with the day): channels drop what they keep of the citizen there."""
        self._ended.append(callback)

    def listen(self) -> None:
        """Hear the queue's commits (once; `start` does it): they say which tickets to read."""
        if not self._listening:
            self.service.bus.listen(self._on_events)
            self._listening = True

    def start(self) -> None:
        if self._thread is not None:
            return
        self.listen()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ----- watching ------------------------------------------------------------------------
    def watch(self, ticket_id: str, channel: str) -> None:
        if channel not in self._channels:
            raise ValueError(f"unknown channel {channel!r}")
        with self._lock:
            watch = self._watched.get(ticket_id)
            if watch is None:
                if len(self._watched) >= self.max_watched:
                    raise TooManyWatched(f"{self.max_watched} tickets are watched already")
                watch = self._watched[ticket_id] = _Watch(set())
            watch.channels.add(channel)
            self._pending.tickets.add(ticket_id)  # it may be near already
        self._wake.set()

    def unwatch(self, ticket_id: str, channel: str) -> None:
        with self._lock:
            watch = self._watched.get(ticket_id)
            if watch is not None:
                watch.channels.discard(channel)
                if not watch.channels:
                    del self._watched[ticket_id]

    def watching(self, ticket_id: str) -> set[str]:
        with self._lock:
            watch = self._watched.get(ticket_id)
            return set(watch.channels) if watch else set()

    def __len__(self) -> int:
        return len(self._watched)

    # ----- in the committing thread: note and wake, nothing more ----------------------------
    def _on_events(self, items: list[dict[str, Any]]) -> None:
        if self._stop.is_set() or not self._watched:
            return
        touched: set[str] = set()
        for item in items:
            services = [item[k] for k in ("service", "from_service", "to_service") if k in item]
            touched.update(services if services else (_ALL,))  # a counter, a day: all
        with self._lock:
            self._pending.services |= touched
        self._wake.set()

    # ----- the notifier's thread -------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.tick_seconds)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self.check(everything=not woken)
            except Exception:
                log.exception("notifier round failed; the next event or tick retries")

    def check(self, everything: bool = False) -> None:
        """One round: read the tickets to look at, send what is due, forget what ended."""
        with self._lock:
            pending, self._pending = self._pending, _Pending()
            everything = everything or _ALL in pending.services
            # (id, whether its place and estimate are needed: only until « near » was sent)
            ids = [(tid, not w.near_sent) for tid, w in self._watched.items()
                   if everything or tid in pending.tickets or w.service is None
                   or w.service in pending.services]
        if ids:
            views: dict[str, Any] = {}
            for i in range(0, len(ids), READ_CHUNK):  # the lock is let go between chunks
                chunk = ids[i:i + READ_CHUNK]
                views.update(self.service.read(
                    lambda state, chunk=chunk: {tid: _read(state, tid, full) for tid, full in chunk}))
            now = self.service.clock.now()
            for tid, seen in views.items():
                self._decide(tid, seen, now)
        self.checks += 1

    def _decide(self, ticket_id: str, seen: tuple[dict, datetime | None] | None,
                now: datetime) -> None:
        with self._lock:
            watch = self._watched.get(ticket_id)
            if watch is None:
                return
            notice = None
            view: dict[str, Any] = seen[0] if seen is not None else {}
            absent_until = seen[1] if seen is not None else None
            status = view.get("status")  # None: no such ticket today
            if view:
                watch.service = view["service"]
            if status == TicketStatus.CALLED.value:
                key = (view.get("called_at"), view.get("recalls"))
                if key != watch.call_sent:
                    watch.call_sent, watch.near_sent = key, True
                    notice = called_notice(view)
            elif status == TicketStatus.WAITING.value:
                watch.call_sent = None  # back in line (undone absence, transfer): tell the next call
                if not watch.near_sent and self._near(view, now):
                    watch.near_sent = True
                    notice = near_notice(view)
            elif status == TicketStatus.ABSENT.value and absent_until is not None \
                    and now < absent_until:
                watch.call_sent = None  # it may still come back (and be called): keep it
            else:
                del self._watched[ticket_id]
            ended = ticket_id not in self._watched
            channels = [self._channels[n] for n in watch.channels]
        if ended:
            self._end(ticket_id)
            return
        if notice is not None:
            for channel in channels:
                try:
                    channel.send(notice)
                except Exception:
                    log.exception("a channel refused a notice; the others still get it")

    def _near(self, view: dict[str, Any], now: datetime) -> bool:
        appointment = view.get("appointment_at")
        if appointment:  # an appointment is not near before its time, whatever the line
            at = datetime.fromisoformat(appointment)
            if at - now > timedelta(minutes=self.rules.minutes):
                return False
        ahead = view.get("ahead")
        estimate = view.get("estimate") or {}
        high = estimate.get("high_minutes")
        return (ahead is not None and ahead <= self.rules.ahead) or \
            (high is not None and high <= self.rules.minutes)

    def _end(self, ticket_id: str) -> None:
        for callback in self._ended:
            try:
                callback(ticket_id)
            except Exception:
                log.exception("an on_ended callback failed")


def _read(state: Any, ticket_id: str, full: bool
          ) -> tuple[dict[str, Any], datetime | None] | None:
    """Under the queue's lock: the ticket's view (`full`: with its place and estimate, the
    costly part; else only its status and call) and, if absent, until when it may come back
    (the counter's undo, the citizen's « Je suis là »). None: no such ticket today."""
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        return None
    view = ticket_view(state, ticket) if full else {"id": ticket.id, **public_ticket(ticket)}
    return view, absent_until(state, ticket)


def absent_until(state: Any, ticket: Any) -> datetime | None:
    """Until when an absent ticket may still be back in line: the counter's undo window or
    the citizen's « Je suis là », whichever ends later (None: not absent). The notifier keeps
    its watch and the SMS hub its number until then: one rule for both."""
    if ticket.status is not TicketStatus.ABSENT or ticket.finished_at is None:
        return None
    until = ticket.finished_at + timedelta(seconds=state.site.rules.undo_absent_seconds)
    comeback = comeback_until(state, ticket)
    return until if comeback is None else max(until, comeback)
