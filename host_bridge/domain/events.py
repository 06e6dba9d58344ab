"""What happened. Events are the durable history: state is rebuilt from them, statistics read them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DayStarted:
    day: date
    at: datetime
    expired: tuple[str, ...] = ()  # ticket ids left over from the previous day


@dataclass(frozen=True)
class TicketIssued:
    ticket_id: str
    service: str
    number: int
    label: str
    category: str | None
    at: datetime
    needs: tuple[str, ...] = ()  # site.NEEDS asked for (absent from days recorded before)
    appointment_at: datetime | None = None  # checked in for an appointment at this time


@dataclass(frozen=True)
class TicketCalled:
    ticket_id: str
    counter: int
    at: datetime


@dataclass(frozen=True)
class TicketRecalled:
    ticket_id: str
    counter: int
    recalls: int
    at: datetime


@dataclass(frozen=True)
class TicketServed:
    ticket_id: str
    counter: int
    at: datetime


@dataclass(frozen=True)
class TicketAbsent:
    ticket_id: str
    counter: int
    at: datetime


@dataclass(frozen=True)
class TicketAbsenceUndone:
    """The counter took back its « absent »: the ticket waits again at its place in its line."""
    ticket_id: str
    counter: int
    at: datetime


@dataclass(frozen=True)
class TicketDelayed:
    """« RETARD »: not called before `until`; it keeps its place."""
    ticket_id: str
    until: datetime
    at: datetime


@dataclass(frozen=True)
class TicketCameBack:
    """« Je suis là »: an absent ticket waits again, at the place (`place_at`, `place_order`)
    in its service's line: the arrival key it now sorts by, decided once, replayed as is."""
    ticket_id: str
    place_at: datetime
    place_order: float
    at: datetime


@dataclass(frozen=True)
class AppointmentMissed:
    """An appointment of `service` at `appointment_at` was never checked in (a no-show)."""
    service: str
    appointment_at: datetime
    at: datetime


@dataclass(frozen=True)
class TicketCancelled:
    ticket_id: str
    at: datetime


@dataclass(frozen=True)
class TicketTransferred:
    ticket_id: str
    counter: int
    from_service: str
    to_service: str
    at: datetime


@dataclass(frozen=True)
class CounterOpened:
    counter: int
    at: datetime


@dataclass(frozen=True)
class CounterPaused:
    counter: int
    at: datetime


@dataclass(frozen=True)
class CounterClosed:
    counter: int
    at: datetime


@dataclass(frozen=True)
class FeedbackGiven:
    score: int  # 1 (unhappy) .. 4 (very happy)
    counter: int | None
    label: str | None  # the ticket rated, as the terminal showed it (a phone's vote: None)
    at: datetime
    # added with the survey after the visit (issue 17): absent from the rows stored before
    source: str = "terminal"  # or "phone": the ticket page's survey
    ticket_id: str | None = None  # a phone's vote: its ticket, answered once (never public)


Event = (
    DayStarted | TicketIssued | TicketCalled | TicketRecalled | TicketServed | TicketAbsent
    | TicketAbsenceUndone | TicketCancelled | TicketTransferred | CounterOpened | CounterPaused
    | CounterClosed | FeedbackGiven | TicketDelayed | TicketCameBack | AppointmentMissed
)

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        DayStarted, TicketIssued, TicketCalled, TicketRecalled, TicketServed, TicketAbsent,
        TicketAbsenceUndone, TicketCancelled, TicketTransferred, CounterOpened, CounterPaused,
        CounterClosed, FeedbackGiven, TicketDelayed, TicketCameBack, AppointmentMissed,
    )
}
