"""What the outside sees of the queue: plain dicts for answers, pages and the public stream.

Ticket ids are capabilities (whoever holds one may cancel the ticket), so only the ticket's own
answer carries it; counters, queues and the public stream show labels.
"""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone
from typing import Any

from ..domain import events as e
from ..domain.elapsed import elapsed, minutes
from ..domain.queue import QueueState
from ..domain.site import Site
from ..domain.tickets import Ticket, TicketStatus
from ..store.event_codec import event_body
from .wait_window import clock_window


def _iso(dt) -> str | None:
    return dt.isoformat() if dt is not None else None


def estimate_view(state: QueueState, service: str, ahead: int, later: int = 0
                  ) -> dict[str, Any] | None:
    """The estimate in minutes from now and as clock times; `later`: minutes before the ticket
    may be called at all (an early appointment, a held ticket). The people ahead are served
    meanwhile (a held ticket keeps its place), so it is called at the later of that and its
    turn: each figure is at least `later`, not `later` more."""
    est = state.estimate(service, ahead)
    if est is None:
        return None
    low = max(est.low_minutes, later)
    high = max(est.high_minutes, low + 1)
    view = {"low_minutes": low, "high_minutes": high,
            "minutes": min(high, max(est.minutes, later)), "counters_open": est.counters_open,
            "reliable": est.reliable, "uncertain_because": est.uncertain_because}
    if state.as_of is not None:
        view.update(clock_window(state.as_of, state.site.timezone, view["minutes"],
                                 view["low_minutes"], view["high_minutes"]))
    return view


def public_ticket(ticket: Ticket) -> dict[str, Any]:
    return {"label": ticket.label, "service": ticket.service, "category": ticket.category,
            "status": ticket.status.value, "counter": ticket.counter,
            "issued_at": _iso(ticket.issued_at), "called_at": _iso(ticket.last_call_at),
            "recalls": ticket.recalls, "appointment_at": _iso(ticket.appointment_at)}


def ticket_view(state: QueueState, ticket: Ticket) -> dict[str, Any]:
    """The citizen's own ticket (its id is the capability): with the needs they asked for."""
    view = {"id": ticket.id, **public_ticket(ticket), "needs": list(ticket.needs),
            "ahead": None, "estimate": None, "held_until": None, "comeback_until": None,
            "can_delay": False, "callable_from": None}
    if ticket.status is TicketStatus.WAITING:
        ahead = state.ahead_of(ticket)
        view["ahead"] = ahead
        if ticket.held_until is not None and state.as_of is not None \
                and ticket.held_until > state.as_of:
            view["held_until"] = _iso(ticket.held_until)
        not_before = not_called_before(state, ticket)
        view["callable_from"] = _iso(not_before)
        # an early appointment, a held ticket: its wait counts from when it may be called
        until = 0 if not_before is None else \
            math.ceil(minutes(state.as_of, not_before))  # type: ignore[arg-type]
        view["estimate"] = estimate_view(state, ticket.service, ahead, until)
        view["can_delay"] = state.site.rules.delay_minutes > 0 and not ticket.delayed
    elif ticket.status is TicketStatus.ABSENT:
        view["comeback_until"] = _iso(comeback_until(state, ticket))
    return view


def not_called_before(state: QueueState, ticket: Ticket) -> datetime | None:
    """When a waiting ticket may first be called, if later than now: an appointment checked in
    early (callable a few minutes before its time), a ticket held by « RETARD »."""
    if state.as_of is None:
        return None
    times = [t for t in (state.callable_from(ticket), ticket.held_until) if t is not None]
    later = max(times, default=None)
    return later if later is not None and later > state.as_of else None


def comeback_until(state: QueueState, ticket: Ticket) -> datetime | None:
    """Until when this absent ticket may still ask « Je suis là » (None: it may not)."""
    minutes = state.site.rules.comeback_minutes
    if minutes <= 0 or ticket.came_back or ticket.finished_at is None or state.as_of is None:
        return None
    until = ticket.finished_at.astimezone(timezone.utc) + timedelta(minutes=minutes)
    return until if until > state.as_of.astimezone(timezone.utc) else None


def counter_view(state: QueueState, number: int) -> dict[str, Any]:
    config = state.counter_config(number)
    counter = state.counters[number]
    current = state.current_ticket(number)
    return {"number": number, "name": config.name, "status": counter.status.value,
            "services": list(config.services),
            "ticket": {**public_ticket(current), "needs": list(current.needs)} if current else None,
            "waiting": sum(len(state.waiting.get(s, ())) for s in config.services),
            "undo_absent": undo_absent_view(state, number)}


def undo_absent_view(state: QueueState, number: int) -> dict[str, Any] | None:
    """The « absent » this counter can still undo, as of the state's time (the latest event's,
    or a read's `now`): its label and the whole seconds left; None when there is none."""
    ticket = state.absence_to_undo(number)
    if ticket is None or ticket.finished_at is None or state.as_of is None:
        return None
    left = state.site.rules.undo_absent_seconds - elapsed(ticket.finished_at, state.as_of) \
        .total_seconds()
    if left < 0:
        return None
    until = ticket.finished_at.astimezone(timezone.utc) + timedelta(
        seconds=state.site.rules.undo_absent_seconds)  # in UTC: a real minute across a DST change
    return {"label": ticket.label, "until": _iso(until), "seconds_left": int(left)}


# where a service's appointments come from is the site's business (an iCal URL often holds a
# private token): public reads get the rules only
_PRIVATE_APPOINTMENT_KEYS = ("ical", "refresh_minutes")


def _public_service(service) -> dict[str, Any]:
    out = dataclasses.asdict(service)
    if out.get("appointments"):
        for key in _PRIVATE_APPOINTMENT_KEYS:
            out["appointments"].pop(key, None)
    return out


def site_view(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "timezone": site.timezone,
            "services": [_public_service(x) for x in site.services],
            "counters": [dataclasses.asdict(k) for k in site.counters],
            "priority_categories": [dataclasses.asdict(k) for k in site.categories]}


def opening_view(site: Site, now: datetime) -> dict[str, Any]:
    """Whether tickets are issued now (the kiosk says « fermé » before a citizen taps), and
    when they are next: `next` is None while open, or when no day has hours. `now` in the
    site's zone."""
    if not site.rules.refuse_outside_hours or site.hours.is_open(now.weekday(), now.time()):
        return {"now": True, "next": None}
    following = site.hours.next_opening(now)
    return {"now": False, "next": following.isoformat() if following else None}


def waiting_list_view(state: QueueState, service_id: str) -> dict[str, Any]:
    """The service's waiting tickets in the order they are expected to be called."""
    state.service_config(service_id)
    ranked = sorted((state.ahead_of(t), t.arrival_key, t) for t in state.waiting.get(service_id, []))
    return {"service": service_id,
            "waiting": [{**public_ticket(t), "ahead": ahead} for ahead, _, t in ranked]}


NEXT_APPOINTMENTS = 5


def service_view(state: QueueState, service_id: str) -> dict[str, Any]:
    service = state.service_config(service_id)
    waiting = state.waiting.get(service_id, [])
    appointments = state.appointment_waiting.get(service_id, [])
    return {"id": service.id, "letter": service.letter, "name": service.name,
            "target_wait_minutes": service.target_wait_minutes,
            "waiting": len(waiting), "counters_open": state.counters_open_for(service_id),
            "priority_waiting": len(state.priority_waiting.get(service_id, ())),  # among `waiting`
            # appointments among `waiting`, and the first few in call order (the console names
            # them): from their own line, so no walk of the whole queue after every event
            "appointments_waiting": len(appointments),
            "next_appointments": [{"label": t.label, "appointment_at": _iso(t.appointment_at)}
                                  for t in appointments[:NEXT_APPOINTMENTS]],
            # what a walk-in issued now is told: early appointments not yet due not ahead
            "estimate_for_new_ticket": estimate_view(state, service_id,
                                                     state.callable_now(service_id))}


def public_event(seq: int, event: e.Event, state: QueueState,
                 body: dict[str, Any] | None = None) -> dict[str, Any]:
    """An event for the public stream: the ticket id swapped for its label and service.
    `body`: the event's fields as JSON values (event_codec.event_body), if already made for
    the store: they are read, not changed."""
    out = {"seq": seq, "type": type(event).__name__,
           **(body if body is not None else event_body(event))}
    ticket_id = out.pop("ticket_id", None)
    expired = out.pop("expired", None)
    out.pop("needs", None)  # a citizen's needs are the agent's to know, not the public stream's
    if out["type"] == "FeedbackGiven":
        ticket_id = None  # a phone's vote: a score on the stream, not whose it is...
        if out.get("source") == "phone":  # ...nor whose counter: that one's rating, by anyone
            out.pop("counter", None)
    if ticket_id is not None and ticket_id in state.tickets:
        ticket = state.tickets[ticket_id]
        out["label"] = ticket.label
        out.setdefault("service", ticket.service)
    if expired is not None:  # a day start: how many tickets the previous day left, not their ids
        out["expired"] = len(expired)
    return out
