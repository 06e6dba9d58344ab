"""Which waiting ticket a counter gets next, and how many are ahead of a ticket.

A service's line is kept twice, both in arrival order: every waiting ticket, and the priority
ones alone. With the second, choosing and counting take a binary search instead of a walk down
a line that can hold thousands of tickets at a busy préfecture.

Citizens' needs (a hearing loop, an LSF interpreter, a seated counter): a counter that does not
meet a ticket's needs passes over it while another open counter of its service does, for at
most `priority_starvation_minutes` of the ticket's wait (it is then called wherever a counter
is free: a need met late beats a citizen forgotten). Few tickets have needs, so the passing
over walks a handful of tickets.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from .elapsed import elapsed
from .site import Counter, Rules
from .tickets import Ticket


def _key(ticket: Ticket) -> tuple[datetime, int]:
    return ticket.arrival_key


def index_in(line: Sequence[Ticket], ticket: Ticket) -> int:
    """Where `ticket` is, or would go, in an arrival-ordered line."""
    return bisect.bisect_left(line, ticket.arrival_key, key=_key)


def _first_ordinary(line: Sequence[Ticket], passed: Callable[[Ticket], bool] | None
                    ) -> Ticket | None:
    # priority tickets are called first, so few of them ever stand before the first ordinary one
    if passed is None:
        return next((t for t in line if t.category is None), None)
    return next((t for t in line if t.category is None and not passed(t)), None)


def pick_in_service(line: Sequence[Ticket], priority_line: Sequence[Ticket], priority_in_row: int,
                    rules: Rules, now: datetime,
                    passed: Callable[[Ticket], bool] | None = None) -> Ticket | None:
    """Priority tickets first, unless the bound says an ordinary ticket has waited long enough.
    `passed(ticket)`: this counter leaves that ticket to another (its needs)."""
    if passed is None:
        prio = priority_line[0] if priority_line else None
    else:
        prio = next((t for t in priority_line if not passed(t)), None)
    normal = _first_ordinary(line, passed) if len(priority_line) < len(line) else None
    if prio is None or normal is None:
        return prio or normal
    starving = elapsed(normal.issued_at, now) >= timedelta(minutes=rules.priority_starvation_minutes)
    if priority_in_row >= rules.priority_max_in_row and starving:
        return normal
    return prio


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
              offered_elsewhere: Mapping[str, frozenset[str]] | None = None) -> Ticket | None:
    """The counter's services in its configured order; the first with anyone it takes waiting
    decides. `offered_elsewhere`: service -> the needs other open counters of it offer."""
    for service_id in counter.services:
        line = waiting.get(service_id)
        if line:
            passed = left_to_others(counter, offered_elsewhere.get(service_id, frozenset()),
                                    rules, now) if offered_elsewhere else None
            ticket = pick_in_service(line, priority_waiting.get(service_id, ()),
                                     priority_in_row.get(service_id, 0), rules, now, passed)
            if ticket is not None or passed is None:
                return ticket
    return None


def people_ahead(ticket: Ticket, line: Sequence[Ticket], priority_line: Sequence[Ticket]) -> int:
    """Tickets of the same service expected to be called before this one.

    A priority ticket waits only behind earlier priority tickets; an ordinary one behind every
    waiting priority ticket and earlier ordinary ones (the anti-starvation bound can only help it).
    """
    earlier_priority = index_in(priority_line, ticket)
    if ticket.category is not None:
        return earlier_priority
    earlier = index_in(line, ticket)
    return (earlier - earlier_priority) + len(priority_line)
