"""Which waiting ticket a counter gets next, and how many are ahead of a ticket.

A service's line is kept twice, both in arrival order: every waiting ticket, and the priority
ones alone. With the second, choosing and counting take a binary search instead of a walk down
a line that can hold thousands of tickets at a busy préfecture.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta

from .elapsed import elapsed
from .site import Counter, Rules
from .tickets import Ticket


def _key(ticket: Ticket) -> tuple[datetime, int]:
    return ticket.arrival_key


def index_in(line: Sequence[Ticket], ticket: Ticket) -> int:
    """Where `ticket` is, or would go, in an arrival-ordered line."""
    return bisect.bisect_left(line, ticket.arrival_key, key=_key)


def _first_ordinary(line: Sequence[Ticket]) -> Ticket | None:
    # priority tickets are called first, so few of them ever stand before the first ordinary one
    return next((t for t in line if t.category is None), None)


def pick_in_service(line: Sequence[Ticket], priority_line: Sequence[Ticket], priority_in_row: int,
                    rules: Rules, now: datetime) -> Ticket | None:
    """Priority tickets first, unless the bound says an ordinary ticket has waited long enough."""
    prio = priority_line[0] if priority_line else None
    normal = _first_ordinary(line) if len(priority_line) < len(line) else None
    if prio is None or normal is None:
        return prio or normal
    starving = elapsed(normal.issued_at, now) >= timedelta(minutes=rules.priority_starvation_minutes)
    if priority_in_row >= rules.priority_max_in_row and starving:
        return normal
    return prio


def pick_next(counter: Counter, waiting: dict[str, list[Ticket]],
              priority_waiting: dict[str, list[Ticket]], priority_in_row: dict[str, int],
              rules: Rules, now: datetime) -> Ticket | None:
    """The counter's services in its configured order; the first with anyone waiting decides."""
    for service_id in counter.services:
        line = waiting.get(service_id)
        if line:
            return pick_in_service(line, priority_waiting.get(service_id, ()),
                                   priority_in_row.get(service_id, 0), rules, now)
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
