"""Which waiting ticket a counter gets next, and how many are ahead of a ticket.

A service's line is kept twice, both in arrival order: every waiting ticket, and the priority
ones alone. With the second, choosing and counting take a binary search instead of a walk down
a line that can hold thousands of tickets at a busy préfecture.

Citizens' needs (a hearing loop, an LSF interpreter, a seated counter): a counter that does not
meet a ticket's needs passes over it while another open counter of its service does, for at
most `priority_starvation_minutes` of the ticket's wait (it is then called wherever a counter
is free: a need met late beats a citizen forgotten). Few tickets have needs, so the passing
over walks a handful of tickets.

Appointments (issue 15) have a third line, in appointment-time order: one becomes callable
`callable_before_minutes` before its time and is then called before the service's walk-ins,
within the same bound as priority tickets (after `priority_max_in_row` calls that went ahead
of a walk-in who has waited `priority_starvation_minutes`, that walk-in goes). A ticket held by
« RETARD » keeps its place and is passed over until its time; few are, so a walk skips them.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from .elapsed import elapsed
from .site import Counter, Rules
from .tickets import Ticket


def _key(ticket: Ticket) -> tuple[datetime, float]:
    return ticket.arrival_key


def _appointment_key(ticket: Ticket) -> tuple[datetime, int]:
    return ticket.appointment_key


def index_in(line: Sequence[Ticket], ticket: Ticket) -> int:
    """Where `ticket` is, or would go, in an arrival-ordered line."""
    return bisect.bisect_left(line, ticket.arrival_key, key=_key)


def index_in_appointments(line: Sequence[Ticket], ticket: Ticket) -> int:
    """Where `ticket` is, or would go, in an appointment line (appointment-time order)."""
    return bisect.bisect_left(line, ticket.appointment_key, key=_appointment_key)


def held(ticket: Ticket, now: datetime) -> bool:
    return ticket.held_until is not None and ticket.held_until > now


def _first_ordinary(line: Sequence[Ticket], passed: Callable[[Ticket], bool] | None,
                    now: datetime) -> Ticket | None:
    # priority tickets are called first, so few of them ever stand before the first ordinary
    # one; appointment tickets are called from their time on, so few wait long either
    for t in line:
        if t.category is None and not t.by_appointment and not held(t, now) \
                and (passed is None or not passed(t)):
            return t
    return None


def _first_callable_appointment(line: Sequence[Ticket], before: timedelta, now: datetime,
                                passed: Callable[[Ticket], bool] | None) -> Ticket | None:
    for t in line:
        if t.appointment_at is None or t.appointment_at - before > now:
            return None  # the line is in time order: nobody after it is due either
        if not held(t, now) and (passed is None or not passed(t)):
            return t
    return None


def _bound_reached(walk_in: Ticket, in_row: int, rules: Rules, now: datetime) -> bool:
    return in_row >= rules.priority_max_in_row and \
        elapsed(walk_in.issued_at, now) >= timedelta(minutes=rules.priority_starvation_minutes)


def pick_in_service(line: Sequence[Ticket], priority_line: Sequence[Ticket], priority_in_row: int,
                    rules: Rules, now: datetime,
                    passed: Callable[[Ticket], bool] | None = None,
                    appointment_line: Sequence[Ticket] = (),
                    callable_before: timedelta = timedelta(minutes=5)) -> Ticket | None:
    """Appointments due, then priority tickets, then ordinary ones — unless the bound says a
    walk-in has waited long enough. `passed(ticket)`: this counter leaves that ticket to
    another (its needs)."""
    prio = next((t for t in priority_line
                 if not held(t, now) and (passed is None or not passed(t))), None)
    walk_ins = len(line) - len(appointment_line)
    normal = _first_ordinary(line, passed, now) if len(priority_line) < walk_ins else None
    if prio is None or normal is None:
        walk_in = prio or normal
    else:
        walk_in = normal if _bound_reached(normal, priority_in_row, rules, now) else prio
    due = _first_callable_appointment(appointment_line, callable_before, now, passed) \
        if appointment_line else None
    if due is None or walk_in is None:
        return due or walk_in
    return walk_in if _bound_reached(walk_in, priority_in_row, rules, now) else due


def left_to_others(counter: Counter, offered_elsewhere: frozenset[str], rules: Rules,
                   now: datetime) -> Callable[[Ticket], bool] | None:
    """Whether `counter` passes over a ticket: it lacks some of the ticket's needs, the other
    open counters of the service offer them, and the ticket has not waited too long. None when
    nothing can be passed over (the usual case: no counter offers anything)."""
    if not offered_elsewhere:
        return None
    bound = timedelta(minutes=rules.priority_starvation_minutes)

    def passed(ticket: Ticket) -> bool:
        if not ticket.needs:
            return False
        missing = [n for n in ticket.needs if n not in counter.offers]
        return bool(missing) and all(n in offered_elsewhere for n in missing) \
            and elapsed(ticket.issued_at, now) < bound
    return passed


def pick_next(counter: Counter, waiting: dict[str, list[Ticket]],
              priority_waiting: dict[str, list[Ticket]], priority_in_row: dict[str, int],
              rules: Rules, now: datetime,
              offered_elsewhere: Mapping[str, frozenset[str]] | None = None,
              appointment_waiting: Mapping[str, list[Ticket]] | None = None,
              callable_before: Mapping[str, timedelta] | None = None) -> Ticket | None:
    """The counter's services in its configured order; the first with anyone it can take now
    decides. `offered_elsewhere`: service -> the needs other open counters of it offer."""
    for service_id in counter.services:
        line = waiting.get(service_id)
        if line:
            passed = left_to_others(counter, offered_elsewhere.get(service_id, frozenset()),
                                    rules, now) if offered_elsewhere else None
            appointments = appointment_waiting.get(service_id, ()) if appointment_waiting else ()
            ticket = pick_in_service(
                line, priority_waiting.get(service_id, ()), priority_in_row.get(service_id, 0),
                rules, now, passed, appointments,
                callable_before.get(service_id, timedelta(minutes=5)) if callable_before
                else timedelta(minutes=5))
            if ticket is not None:
                return ticket
            # nobody it may take now (needs left to others, appointments not yet due, held):
            # the counter's next service
    return None


def appointments_due(appointment_line: Sequence[Ticket], due_by: datetime) -> int:
    """How many of an appointment line (in appointment-time order) are due by `due_by`."""
    return bisect.bisect_right(appointment_line, (due_by, float("inf")), key=_appointment_key)


def people_ahead(ticket: Ticket, line: Sequence[Ticket], priority_line: Sequence[Ticket],
                 appointment_line: Sequence[Ticket] = (), due_by: datetime | None = None,
                 appointment_arrivals: Sequence[Ticket] = ()) -> int:
    """Tickets of the same service expected to be called before this one.

    An appointment ticket waits behind earlier appointments. A priority ticket waits behind
    earlier priority tickets and the appointments due (callable) by `due_by`; an ordinary one
    also behind every waiting priority ticket and earlier ordinary ones (the anti-starvation
    bound can only help it). Appointments due later are not counted: they may never come.
    `appointment_arrivals`: the appointment tickets again, in arrival order. Binary searches
    only: the waiting list of a service asks this of each of its tickets.
    """
    if ticket.by_appointment:
        return index_in_appointments(appointment_line, ticket)
    due = 0
    if appointment_line and due_by is not None:
        due = appointments_due(appointment_line, due_by)
    earlier_priority = index_in(priority_line, ticket)
    if ticket.category is not None:
        return earlier_priority + due
    earlier = index_in(line, ticket)
    earlier_appointments = index_in(appointment_arrivals, ticket) if appointment_line else 0
    return (earlier - earlier_priority - earlier_appointments) + len(priority_line) + due
