"""The chat between a ticket's holder and the reception desk: its rules over the store
(store.py), the queue read only through QueueService, and the views both sides get.

A bridge link (bootstrap.py starts it): its one thread reduces past days to counts — woken by
the queue's DayStarted, at start for days left over, and hourly in case.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..domain.errors import UnknownFaqEntry, UnknownService
from ..domain.faq_match import matches
from ..domain.tickets import TicketStatus
from ..service.periodic import Periodic
from .counts import Counts
from .errors import (ConversationBlocked, ConversationClosed, ConversationFull, FaqChanged,
                     FaqExists, QuestionsOff, TicketClosed, UnknownConversation)
from .rules import (CITIZEN_MAX_CHARS, CITIZEN_MAX_MESSAGES, MAX_CONVERSATIONS_SHOWN, MAX_MESSAGES,
                    STAFF_MAX_CHARS, check_pace, clean, is_late)
from .settings import QuestionSettings
from .store import Conversation, QuestionStore
from .waiting import Changes

REDUCE_SECONDS = 3600.0


@dataclass(frozen=True)
class _Ticket:
    """What the chat needs of a ticket, copied under the queue's lock."""
    id: str
    day: str
    label: str
    service: str
    status: TicketStatus


LABEL = "#"  # a key of Changes for a ticket's label (ticket ids never start with it)
TICKET_MOVES = frozenset({"TicketCalled", "TicketRecalled", "TicketServed", "TicketAbsent",
                          "TicketAbsenceUndone", "TicketCancelled", "TicketTransferred",
                          "TicketCameBack", "TicketDelayed"})


def _version(view: dict[str, Any]) -> str:
    """Opaque: changes whenever anything the reader sees changes (a late flag included)."""
    return hashlib.blake2b(json.dumps(view, sort_keys=True, ensure_ascii=False).encode(),
                           digest_size=8).hexdigest()


def _faq_view(entries: Any, entry: int) -> dict[str, Any]:
    return {"id": entry, "question": entries[entry].question, "answer": entries[entry].answer}


class Questions:
    def __init__(self, service: Any, settings: QuestionSettings, store: QuestionStore,
                 changes: Changes | None = None,
                 seat_of: Callable[[Any], int | None] = lambda user: None):
        self.service, self.settings, self.store = service, settings, store
        self.seat_of = seat_of  # the counter a named account sits at, if it told
        self.changes = changes or Changes()
        self._rounds = Periodic("questions-retention", self.reduce, REDUCE_SECONDS,
                                failed="reducing past days' questions failed; trying again later")
        service.bus.listen(self._on_events)

    # ----- the link ------------------------------------------------------------------------------
    def start(self) -> "Questions":
        self._rounds.start()  # its first round reduces what days left over
        return self

    def stop(self) -> None:
        self._rounds.stop()
        self.store.close()

    def _on_events(self, items: list[dict[str, Any]]) -> None:
        # the committing thread, under the queue's lock: only a flag here, and wake-ups
        if any(item.get("type") == "DayStarted" for item in items):
            self._rounds.wake()
        # a ticket called, served, gone...: its reader may no longer write, and the desk's list
        # shows its status. The public events name tickets by label: readers wait on it too
        # (a label given again later wakes a reader for nothing; it reads, and waits again)
        for label in {item["label"] for item in items
                      if item.get("type") in TICKET_MOVES and item.get("label")}:
            self.changes.bump(LABEL + label)

    def citizen_keys(self, ticket_id: str) -> tuple[str, ...]:
        """What a citizen's long poll waits on: its conversation, and its ticket's moves."""
        return (ticket_id, LABEL + self._ticket(ticket_id).label)

    def reduce(self) -> list[str]:
        """Every day before the queue's own becomes counts; its texts are deleted."""
        day = self.service.read(lambda s: s.day)
        return [] if day is None else self.store.reduce_before(day.isoformat())

    # ----- reading the queue ------------------------------------------------------------------------
    def gate(self) -> None:
        if not self.settings.enabled:
            raise QuestionsOff("the questions are off on this site")

    def _ticket(self, ticket_id: str) -> _Ticket:
        """Today's ticket (UnknownTicket otherwise)."""
        def read(state: Any) -> _Ticket:
            t = state.ticket(ticket_id)
            return _Ticket(t.id, state.day.isoformat(), t.label, t.service, t.status)
        return self.service.read(read)

    def _faq(self, service_id: str) -> Any:
        return self.service.state.service_config(service_id).faq

    # ----- the citizen's side -------------------------------------------------------------------
    def citizen_view(self, ticket_id: str) -> dict[str, Any]:
        self.gate()
        ticket = self._ticket(ticket_id)
        return self._citizen_view(ticket, self.store.of_ticket(ticket_id))

    def _citizen_view(self, ticket: _Ticket, conv: Conversation | None) -> dict[str, Any]:
        now = self.service.clock.now()
        status = "none" if conv is None else conv.status
        messages = () if conv is None else conv.messages
        # a ticket ended (served, gone): nobody waits for an answer here any more
        since = conv.waiting_since() if conv is not None and ticket.status.live else None
        can_write = (self.settings.enabled and ticket.status.live and status != "blocked"
                     and len(messages) < MAX_MESSAGES
                     and sum(m.sender == "citizen" for m in messages) < CITIZEN_MAX_MESSAGES)
        view = {"status": status, "late": is_late(since, now, self.settings.answer_within_minutes),
                "answer_within_minutes": self.settings.answer_within_minutes,
                "can_write": can_write, "messages": [m.view() for m in messages]}
        return {"version": _version(view), **view}

    def match(self, ticket_id: str, text: str) -> dict[str, Any]:
        """The FAQ entries of the ticket's service that answer `text`: nothing stored."""
        self.gate()
        ticket = self._ticket(ticket_id)
        text = clean(text, CITIZEN_MAX_CHARS)
        entries = self._faq(ticket.service)
        return {"faq": [_faq_view(entries, i) for i in matches(text, entries, limit=3)]}

    def faq_answered(self, ticket_id: str, entry: int) -> None:
        """The citizen's question was answered by this entry, without staff."""
        self.gate()
        ticket = self._ticket(ticket_id)
        if not ticket.status.live:  # as for a question: the ticket's questions end with it
            raise TicketClosed("the ticket is no longer waiting nor called")
        conv = self.store.of_ticket(ticket_id)
        if conv is not None and conv.status == "blocked":
            raise ConversationBlocked("this conversation was closed by the reception")
        entries = self._faq(ticket.service)
        if not 0 <= entry < len(entries):
            raise UnknownFaqEntry(f"{ticket.service} has no FAQ entry {entry}")
        self.store.faq_answered(ticket.id, entry, ticket.day, ticket.service, entries[entry].question)

    def ask(self, ticket_id: str, text: str) -> dict[str, Any]:
        """A citizen's message: opens, reopens or adds to the ticket's conversation."""
        self.gate()
        ticket = self._ticket(ticket_id)
        if not ticket.status.live:
            raise TicketClosed("the ticket is no longer waiting nor called")
        conv = self.store.of_ticket(ticket_id)
        if conv is not None and conv.status == "blocked":
            raise ConversationBlocked("this conversation was closed by the reception")
        text = clean(text, CITIZEN_MAX_CHARS)
        now = self.service.clock.now()
        with self.store.transaction() as db:
            conv = self.store.of_ticket(ticket_id, db)  # again, under the store's lock
            if conv is not None and conv.status == "blocked":
                raise ConversationBlocked("this conversation was closed by the reception")
            if conv is not None and len(conv.messages) >= MAX_MESSAGES:
                raise ConversationFull(f"{MAX_MESSAGES} messages a conversation at most")
            check_pace([] if conv is None else conv.citizen_times(), now,
                       conv is not None and bool(conv.messages)
                       and conv.messages[-1].sender == "staff")
            if conv is None:
                cid = self.store.open(db, ticket_id, ticket.day, ticket.service, now)
            else:
                cid = conv.id
                if conv.status == "closed":
                    self.store.reopen(db, cid, ticket.day, ticket.service, now)
            self.store.add(db, cid, "citizen", text, now)
        self.changes.bump(ticket_id)
        return self._citizen_view(ticket, self.store.of_ticket(ticket_id))

    def citizen_close(self, ticket_id: str) -> dict[str, Any]:
        """« C'est réglé »: the citizen closes an open conversation (else nothing changes)."""
        self.gate()
        ticket = self._ticket(ticket_id)
        with self.store.transaction() as db:
            conv = self.store.of_ticket(ticket_id, db)
            closing = conv is not None and conv.status == "open"
            if closing:
                self.store.close_conversation(db, conv.id, "closed", self.service.clock.now())
        if closing:
            self.changes.bump(ticket_id)
        return self._citizen_view(ticket, self.store.of_ticket(ticket_id))

    # ----- the staff's side ---------------------------------------------------------------------
    def may_read(self, user: Any) -> bool:
        return user.role in ("supervisor", "admin") or self.may_answer(user)

    def may_answer(self, user: Any) -> bool:
        """Admins; agents when every counter answers, or at the counters that do: where a
        named account sits (the console says), else the counters its account is limited to
        (an account of every counter not seated yet: any)."""
        if user.role == "admin":
            return True
        if user.role != "agent":
            return False
        answering = self.settings.counters
        if not answering:
            return True
        seat = self.seat_of(user)
        if seat is not None:
            return seat in answering
        return not user.counters or bool(set(user.counters) & set(answering))

    def _tickets_of(self, ticket_ids: list[str]) -> tuple[str, dict[str, _Ticket]]:
        def read(state: Any) -> tuple[str, dict[str, _Ticket]]:
            day = state.day.isoformat()
            return day, {tid: _Ticket(tid, day, t.label, t.service, t.status)
                         for tid in ticket_ids if (t := state.tickets.get(tid)) is not None}
        return self.service.read(read)

    def _staff_item(self, conv: Conversation, ticket: _Ticket | None, now: datetime) -> dict[str, Any]:
        service_id = conv.service if ticket is None else ticket.service
        config = self.service.site.service(service_id)
        live = ticket is not None and ticket.status.live
        since = conv.waiting_since() if live else None  # its citizen gone: nobody waits
        return {"id": conv.id, "label": None if ticket is None else ticket.label,
                "service": service_id, "service_name": None if config is None else config.name,
                "ticket_status": None if ticket is None else ticket.status.value,
                "status": conv.status, "opened_at": conv.opened_at.isoformat(),
                "waiting_since": None if since is None else since.isoformat(),
                "late": is_late(since, now, self.settings.answer_within_minutes),
                "messages": [m.view() for m in conv.messages]}

    def staff_list(self, user: Any) -> dict[str, Any]:
        """Today's conversations: open ones (longest waiting first, then those answered),
        then closed ones, most recently closed first; at most MAX_CONVERSATIONS_SHOWN."""
        self.gate()
        day = self.service.read(lambda s: s.day.isoformat())
        convs = self.store.of_day(day)
        _, tickets = self._tickets_of([c.ticket_id for c in convs])
        now = self.service.clock.now()

        def order(c: Conversation) -> tuple:
            ticket = tickets.get(c.ticket_id)
            since = c.waiting_since() if ticket is not None and ticket.status.live else None
            if c.status == "open" and since is not None:
                return (0, since.timestamp())
            if c.status == "open":
                return (1, c.opened_at.timestamp())
            return (2, -(c.closed_at or now).timestamp())
        # ordered first, then only the ones shown made into views (the list is read again at
        # every change the desk hears, by every console waiting on it)
        convs.sort(key=order)
        items = [self._staff_item(c, tickets.get(c.ticket_id), now)
                 for c in convs[:MAX_CONVERSATIONS_SHOWN]]
        view = {"answer_within_minutes": self.settings.answer_within_minutes,
                # the counters whose consoles show the questions (empty: every counter's)
                "counters": list(self.settings.counters),
                "may_answer": self.may_answer(user), "may_add_faq": user.role == "admin",
                "conversations": items}
        return {"version": _version(view), **view}

    def _today(self, conversation_id: str) -> tuple[Conversation, _Ticket | None]:
        conv = self.store.by_id(conversation_id)
        if conv is None:
            raise UnknownConversation("unknown conversation")
        day, tickets = self._tickets_of([conv.ticket_id])
        if conv.day != day:
            raise UnknownConversation("unknown conversation")  # gone with its day
        return conv, tickets.get(conv.ticket_id)

    def _staff_view(self, conversation_id: str) -> dict[str, Any]:
        conv, ticket = self._today(conversation_id)
        return self._staff_item(conv, ticket, self.service.clock.now())

    def answer(self, conversation_id: str, text: str, faq_entry: int | None,
               faq_question: str | None = None) -> dict[str, Any]:
        """A staff message, with a FAQ entry of the ticket's service attached or not (found by
        its question when given: the FAQ may have been reordered since the console read it)."""
        self.gate()
        conv, ticket = self._today(conversation_id)
        text = clean(text, STAFF_MAX_CHARS, empty_ok=faq_entry is not None)
        faq = None
        if faq_entry is not None:
            service_id = conv.service if ticket is None else ticket.service
            entries = self._faq(service_id)
            if faq_question is not None:
                found = [i for i, q in enumerate(entries) if q.question == faq_question]
                if not found:
                    raise FaqChanged("the FAQ entry is no longer in the service's FAQ")
                faq_entry = found[0]
            if not 0 <= faq_entry < len(entries):
                raise UnknownFaqEntry(f"{service_id} has no FAQ entry {faq_entry}")
            faq = _faq_view(entries, faq_entry)
        with self.store.transaction() as db:
            current = self.store.by_id(conversation_id, db)
            assert current is not None  # only reduction deletes, and only past days
            if current.status == "blocked":
                raise ConversationBlocked("this conversation was closed as abusive")
            if current.status != "open":
                raise ConversationClosed("this conversation is closed")
            if len(current.messages) >= MAX_MESSAGES:
                raise ConversationFull(f"{MAX_MESSAGES} messages a conversation at most")
            self.store.add(db, conv.id, "staff", text, self.service.clock.now(), faq)
        self.changes.bump(conv.ticket_id)
        return self._staff_view(conversation_id)

    def staff_close(self, conversation_id: str, abusive: bool) -> dict[str, Any]:
        """Closed (answered, or nothing more to say), or blocked as abusive: no more writing
        from that ticket today. Closing a closed one changes nothing; blocking always holds."""
        self.gate()
        conv, _ = self._today(conversation_id)
        with self.store.transaction() as db:
            current = self.store.by_id(conversation_id, db)
            assert current is not None
            status = "blocked" if abusive else "closed"
            changing = current.status == "open" or (abusive and current.status == "closed")
            if changing:
                self.store.close_conversation(db, conv.id, status, self.service.clock.now())
        if changing:
            self.changes.bump(conv.ticket_id)
        return self._staff_view(conversation_id)

    def add_faq(self, conversation_id: str, question: str, answer: str, admin: Any) -> dict[str, Any]:
        """A good answer becomes an entry of the conversation's service's FAQ, through the
        administration's path (`admin`: a SiteAdmin; the site file is written back)."""
        self.gate()
        conv, ticket = self._today(conversation_id)
        service_id = conv.service if ticket is None else ticket.service
        question, answer = clean(question, 300), clean(answer, 2000)
        services = admin.editable().get("services", [])
        for s in services:
            if s.get("id") == service_id:
                if any(f.get("question") == question for f in s.get("faq", [])):
                    raise FaqExists("the service's FAQ has this question already")
                s["faq"] = [*s.get("faq", []), {"question": question, "answer": answer}]
                entry = len(s["faq"]) - 1
                break
        else:  # the file does not have it (changed by hand since): nothing to add to
            raise UnknownService("the conversation's service is not in the site file")
        admin.change({"services": services}, by="the questions panel")
        return {"service": service_id, "entry": entry}

    # ----- counts -----------------------------------------------------------------------------------
    def figures(self, first: date, last: date) -> dict[str, Any]:
        """Counts per service and in all of [first, last] (today's live rows included), and
        how often each FAQ question answered a citizen without staff."""
        counts, helpful = self.store.counts(first.isoformat(), last.isoformat())
        services: dict[str, Counts] = {}
        total = Counts()
        for (_, service), c in sorted(counts.items()):
            services.setdefault(service, Counts()).merge(c)
            total.merge(c)
        useful: dict[tuple[str, str], int] = {}
        for (_, service, question), n in helpful.items():
            useful[(service, question)] = useful.get((service, question), 0) + n
        return {"services": {s: c.figures() for s, c in sorted(services.items())},
                "total": total.figures(),
                "faq_helpful": [{"service": s, "question": q, "count": n} for (s, q), n in
                                sorted(useful.items(), key=lambda kv: (-kv[1], kv[0]))]}
