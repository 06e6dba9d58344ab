"""The one door to the queue: every entry point hands its command to `execute`.

Under one lock: look up the request id, decide, commit events + answer (durable), then apply and
publish. A request is acknowledged only after its commit, so a crash can lose only requests that
were never acknowledged, and a retried request gets the stored answer instead of a second effect.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from time import perf_counter
from datetime import date, datetime
from zoneinfo import ZoneInfo
from typing import Any, TypeVar

from ..domain import commands as c
from ..domain.errors import DomainError, UnknownFaqEntry
from ..domain.indicators import Indicators, Tally, indicators, tally
from ..domain.queue import QueueState
from ..domain.site import Site
from ..store.event_codec import event_body
from ..store.sqlite_store import Record, SqliteStore, StoredAnswer, StoredEvent
from .requests import Request, Stale, fingerprint, replay, replay_result
from .bus import EventBus
from .clock import Clock
from .views import counter_view, public_event, ticket_view

log = logging.getLogger(__name__)
T = TypeVar("T")
SYSTEM = "system"


def new_ticket_id() -> str:
    return secrets.token_urlsafe(12)  # 96 bits: not guessable, short enough for a QR code


class Observer:
    """What the service tells the bridge's metrics (host_bridge/metrics): a command answered
    or refused, with the time it took (lock wait included), and each commit's time. This one
    does nothing: a service without metrics pays a call."""

    def answered(self, command: c.Command, seconds: float) -> None:
        pass

    def refused(self, command: c.Command, error: DomainError, seconds: float) -> None:
        pass

    def committed(self, seconds: float) -> None:
        pass


def _log_refusal(command: c.Command, error: DomainError, source: str) -> None:
    # the code, never the message: a message may name a ticket's id, which opens its page
    log.info("command refused", extra={"event": "command_refused", "kind": type(command).__name__,
                                       "code": error.code, "source": source})


class QueueService:
    def __init__(self, site: Site, store: SqliteStore, clock: Clock, bus: EventBus | None = None):
        self.site, self.store, self.clock = site, store, clock
        self.bus = bus or EventBus()
        self.observer = Observer()
        self.tz = ZoneInfo(site.timezone)
        self._lock = threading.Lock()
        self.state = self._rebuild()
        with self._lock:
            self._start_day_if_due()

    def _rebuild(self) -> QueueState:
        state = QueueState(self.site)
        for stored in self.store.current_day_events():
            state.apply(stored.event)
        return state

    def _start_day_if_due(self) -> datetime:
        """Day change is the clock's doing, not a request's: it is committed on its own as soon
        as the bridge notices it (start-up, any read, any command), so a refused request never
        carries it and nobody reads yesterday's queue after midnight."""
        # the domain reads the business day and opening hours off `now`: give it local time
        now = self.clock.now().astimezone(self.tz)
        if self.state.needs_day(now):
            command = c.StartDay(now.date())
            self._commit(self.state.decide(command, now), command, now, SYSTEM)
        return now

    def read(self, fn: Callable[[QueueState], T]) -> T:
        """Run a read under the lock so it never sees a half-applied command."""
        with self._lock:
            self._start_day_if_due()
            self.state.observe(self.clock.now())  # estimates count from now, not the last event
            return fn(self.state)

    def execute(self, command: c.Command, source: str, request_id: str | None = None) -> dict[str, Any]:
        """Apply a command once per (source, request id): a repeat gets the first answer
        (`replayed`), and a repeat asking for something else is refused (KeyReused). Refusals
        are not recorded here: a person's retried request is decided afresh."""
        started = perf_counter()
        try:
            answer = self._execute(command, source, request_id)
        except DomainError as exc:
            self.observer.refused(command, exc, perf_counter() - started)
            _log_refusal(command, exc, source)
            raise
        self.observer.answered(command, perf_counter() - started)
        return answer

    def _execute(self, command: c.Command, source: str, request_id: str | None) -> dict[str, Any]:
        with self._lock:
            if request_id is not None:
                earlier = self.store.answer_for(source, request_id)
                if earlier is not None:
                    return replay(earlier, fingerprint(command))
            now = self._start_day_if_due()
            events = self.state.decide(command, now)  # raises DomainError: nothing changed
            return self._commit(events, command, now, source, request_id)

    def execute_batch(self, requests: list[Request]) -> list[dict[str, Any] | DomainError]:
        """Several requests decided in order, each on the state the previous left, and
        committed together in one transaction: one fsync for a burst of presses (group
        commit). Each result is the answer, or the DomainError that refused it. A request id
        already answered (in the store or earlier in the batch) gets that first answer again,
        refusals included. An *ordered* request (a device's press: its stream is the boot, its
        position the seq) keeps its first answer whatever it was, and one whose stream already
        decided a later position is refused as Stale, never applied: a late resend must not
        act after the presses that followed it. If the commit fails nothing of the batch is
        applied and the exception is raised."""
        started = perf_counter()
        results = self._execute_batch(requests)
        took, observer = perf_counter() - started, self.observer
        for r, result in zip(requests, results):  # each waited for the whole batch
            if isinstance(result, DomainError):
                observer.refused(r.command, result, took)
                _log_refusal(r.command, result, r.source)
            else:
                observer.answered(r.command, took)
        return results

    def _execute_batch(self, requests: list[Request]) -> list[dict[str, Any] | DomainError]:
        with self._lock:
            now = self._start_day_if_due()
            results: list[dict[str, Any] | DomainError] = []
            records: list[Record] = []
            orders: dict[str, tuple[str, int] | None] = {}
            try:
                # the answers already recorded for the batch's keys, and its sources' positions,
                # read once for the batch; the batch's own answers are added as it goes
                answered = self.store.answers_for(list({(r.source, r.request_id): None
                                                        for r in requests
                                                        if r.request_id is not None}))
                ordered = list({r.source: None for r in requests if r.order is not None})
                if ordered:
                    orders.update(dict.fromkeys(ordered))
                    orders.update(self.store.orders_of(ordered))
                for r in requests:
                    key = (r.source, r.request_id or "")
                    earlier = answered.get(key) if r.request_id is not None else None
                    if earlier is not None:
                        results.append(replay_result(earlier, fingerprint(r.command)))
                        continue
                    record, result = self._decide(r, now, orders)
                    if record is not None:
                        records.append(record)
                        if r.request_id is not None:
                            answered[key] = StoredAnswer(record.answer or {}, record.fingerprint)
                    results.append(result)
                seqs = self._commit_many(now.date().isoformat(), records) if records else []
            except BaseException:
                self.state = self._rebuild()
                raise
            state = self.state
            published = [public_event(s, ev, state, body)
                         for record, item_seqs in zip(records, seqs)
                         for s, ev, body in zip(item_seqs, record.events, record.bodies or ())]
            if published:
                self.bus.publish(published)
            return results

    def _decide(self, r: Request, now: datetime, orders: dict[str, tuple[str, int] | None]
                ) -> tuple[Record | None, dict[str, Any] | DomainError]:
        """One request of a batch, applied in memory: -> what to commit (None: nothing, a
        refusal that is not kept) and the result."""
        keep = r.refused is not None or r.order is not None  # ordered requests keep refusals
        refusal = r.refused
        order = None  # the source's new highest position, if this request moves it
        if refusal is None and r.order is not None:
            known = orders[r.source]
            if known is not None and known[0] == r.order[0] and known[1] > r.order[1]:
                refusal = Stale(f"a later message of this boot (seq {known[1]}) was decided first")
            else:
                order = orders[r.source] = r.order
        events: list[Any] = []
        if refusal is None:
            try:
                events = self.state.decide(r.command, now)
            except DomainError as exc:
                refusal = exc
        if refusal is not None:
            if not keep or r.request_id is None:
                return None, refusal
            answer = {"refused": refusal.code, "message": refusal.message}
            return Record([], answer, r.source, r.request_id, fingerprint(r.command),
                          order), refusal
        for event in events:
            self.state.apply(event)
        answer = self._answer(r.command)
        return Record(events, answer, r.source, r.request_id, fingerprint(r.command),
                      order, [event_body(ev) for ev in events]), answer

    def _commit(self, events: list[Any], command: c.Command, now: datetime, source: str,
                request_id: str | None = None) -> dict[str, Any]:
        state = self.state
        try:
            for event in events:
                state.apply(event)
            answer = self._answer(command)
            # each event's fields as JSON values, once: the store's row and the public stream's
            bodies = [event_body(ev) for ev in events]
            started = perf_counter()
            seqs = self.store.commit(now.date().isoformat(), Record(
                events, answer, source, request_id,
                fingerprint(command) if request_id is not None else None, bodies=bodies))
            self.observer.committed(perf_counter() - started)
        except BaseException:
            # the state moved ahead of the disk: put it back to what the disk says
            self.state = self._rebuild()
            raise
        if events:
            self.bus.publish([public_event(s, ev, state, body)
                              for s, ev, body in zip(seqs, events, bodies)])
        return answer

    def _commit_many(self, day: str, records: list[Record]) -> list[list[int]]:
        started = perf_counter()
        seqs = self.store.commit_many(day, records)
        self.observer.committed(perf_counter() - started)
        return seqs

    def _answer(self, command: c.Command) -> dict[str, Any]:
        state = self.state
        if isinstance(command, c.IssueTicket):
            return {"ticket": ticket_view(state, state.tickets[command.ticket_id])}
        if isinstance(command, (c.CancelTicket, c.DelayTicket, c.ComeBack)):
            return {"ticket": ticket_view(state, state.tickets[command.ticket_id])}
        if isinstance(command, c.MissAppointment):
            return {"missed": {"service": command.service,
                               "appointment_at": command.appointment_at.isoformat()}}
        if isinstance(command, c.StartDay):
            return {"day": command.day.isoformat()}
        if isinstance(command, c.GiveFeedback) and command.ticket_id is not None:
            # the survey after the visit: what its comment is filed under (api: "answered")
            ticket = state.tickets[command.ticket_id]
            return {"answered": {"day": state.day.isoformat(), "service": ticket.service,
                                 "counter": ticket.counter}}
        return {"counter": counter_view(state, command.counter)}

    def public_events_after(self, seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        with self._lock:
            stored: list[StoredEvent] = self.store.events_after(seq, limit)
            return [public_event(s.seq, s.event, self.state) for s in stored]

    def store_last_seq(self) -> int:
        with self._lock:
            return self.store.last_seq()

    # ----- the FAQ of a service: most read first ----------------------------------------------
    def faq(self, service_id: str) -> dict[str, Any]:
        service = self.state.service_config(service_id)
        with self._lock:
            views = self.store.faq_views(service_id)
        entries = [{"id": i, "question": q.question, "answer": q.answer,
                    "views": views.get(q.question, 0)} for i, q in enumerate(service.faq)]
        entries.sort(key=lambda x: (-x["views"], x["id"]))
        return {"service": service_id, "faq": entries}

    def faq_viewed(self, service_id: str, entry: int, ticket_id: str) -> None:
        """A reading by the holder of one of today's tickets, counted once per ticket."""
        service = self.state.service_config(service_id)
        if not 0 <= entry < len(service.faq):
            raise UnknownFaqEntry(f"{service_id} has no FAQ entry {entry}")
        with self._lock:
            self._start_day_if_due()
            self.state.ticket(ticket_id)  # UnknownTicket: not a reader of today
            self.store.add_faq_view(service_id, service.faq[entry].question, ticket_id,
                                    self.state.day.isoformat())

    def change_site(self, site: Site) -> None:
        """The administration's new site, at once (SiteChangeRefused: nothing changed)."""
        with self._lock:
            self._start_day_if_due()
            self.state.change_site(site)
            self.site = site

    # ----- indicators: read from the history, outside the queue's lock ------------------------
    def indicators(self, first: date, last: date, per_counter: bool = False) -> Indicators:
        """Days still in detail, plus the tallies of the days the retention purged."""
        kept = tally(self.store.events_of_days(first.isoformat(), last.isoformat()), self.tz)
        for body in self.store.tallies_of_days(first.isoformat(), last.isoformat()):
            kept.merge(Tally.from_json(body))
        return indicators(kept, self.site, per_counter)

    def purge_before(self, day: date) -> list[str]:
        """Retention: each business day before `day` keeps only its tally (no ticket, no
        time of day); -> the days purged."""
        purged = []
        for d in self.store.days_before(day.isoformat()):
            with self._lock:
                t = tally(self.store.events_for_tally(d), self.tz)
                t.days = [d]
                self.store.purge_day(d, t.to_json())
            purged.append(d)
        return purged
