"""Tickets and counters as the queue holds them during a day."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class TicketStatus(str, enum.Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    ABSENT = "absent"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """Still in the queue's hands (waiting, or called to a counter): the ticket holds its label.
        A transferred ticket is waiting again in its new service, so it stays live."""
        return self in (TicketStatus.WAITING, TicketStatus.CALLED)


class CounterStatus(str, enum.Enum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(eq=False)  # a ticket is itself: identity, not a 14-field comparison in every line scan
class Ticket:
    id: str
    label: str
    number: int
    service: str
    category: str | None
    issued_at: datetime
    order: int  # issue order of the day: breaks ties between equal arrival times
    status: TicketStatus = TicketStatus.WAITING
    counter: int | None = None
    called_at: datetime | None = None
    last_call_at: datetime | None = None
    recalls: int = 0
    finished_at: datetime | None = None
    transfers: int = 0
    needs: tuple[str, ...] = ()  # site.NEEDS: counters that offer them are preferred
    appointment_at: datetime | None = None  # an appointment's time: callable a little before,
    # then ahead of the walk-ins
    held_until: datetime | None = None  # « RETARD »: not called before this time
    delayed: bool = False    # « RETARD » used (once a ticket)
    came_back: bool = False  # « Je suis là » used (once): from then on it waits as a walk-in
    place: tuple[datetime, float] | None = None  # its place in line when it came back

    @property
    def by_appointment(self) -> bool:
        """In its service's appointment line (not once it came back after an absence)."""
        return self.appointment_at is not None and not self.came_back

    @property
    def letter(self) -> str:
        """The letter of its label (its first service's: a transfer keeps the label)."""
        return self.label[:-3]

    @property
    def arrival_key(self) -> tuple[datetime, float]:
        return self.place or (self.issued_at, self.order)

    @property
    def appointment_key(self) -> tuple[datetime, int]:
        return (self.appointment_at or self.issued_at, self.order)


@dataclass
class CounterState:
    number: int
    status: CounterStatus = CounterStatus.CLOSED
    ticket_id: str | None = None  # the ticket being served
    last_next_at: datetime | None = None
    last_absent: str | None = None  # the ticket it last marked absent: what an undo puts back
