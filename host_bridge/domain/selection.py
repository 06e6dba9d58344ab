"""Which waiting ticket a counter gets next, and how many are ahead of a ticket."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from .site import Counter, Rules
from .tickets import Ticket


def _first(queue: Sequence[Ticket], priority: bool) -> Ticket | None:
    return next((t for t in queue if (t.category is not None) == priority), None)


def pick_in_service(queue: Sequence[Ticket], priority_in_row: int, rules: Rules,
                    now: datetime) -> Ticket | None:
    """Priority tickets first, unless the bound says an ordinary ticket has waited long enough.

    `queue` is the service's waiting list in arrival order.
    """
    prio = _first(queue, priority=True)
    normal = _first(queue, priority=False)
    if prio is None or normal is None:
        return prio or normal
    starving = now - normal.issued_at >= timedelta(minutes=rules.priority_starvation_minutes)
    if priority_in_row >= rules.priority_max_in_row and starving:
        return normal
    return prio


def pick_next(counter: Counter, waiting: dict[str, list[Ticket]],
              priority_in_row: dict[str, int], rules: Rules, now: datetime) -> Ticket | None:
    """The counter's services in its configured order; the first with anyone waiting decides."""
    for service_id in counter.services:
        queue = waiting.get(service_id)
        if queue:
            return pick_in_service(queue, priority_in_row.get(service_id, 0), rules, now)
    return None


def people_ahead(ticket: Ticket, queue: Sequence[Ticket]) -> int:
    """Tickets of the same service expected to be called before this one.

    A priority ticket waits only behind earlier priority tickets; an ordinary one behind every
    waiting priority ticket and earlier ordinary ones (the anti-starvation bound can only help it).
    """
    ahead = 0
    for other in queue:
        if other is ticket:
            continue
        if ticket.category is not None:
            ahead += other.category is not None and other.arrival_key < ticket.arrival_key
        else:
            ahead += other.category is not None or other.arrival_key < ticket.arrival_key
    return ahead
