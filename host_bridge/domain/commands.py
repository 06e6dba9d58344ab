"""What can be asked of the queue. Every entry point (HTTP, MQTT, serial) builds one of these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class StartDay:
    day: date


@dataclass(frozen=True)
class IssueTicket:
    service: str
    ticket_id: str  # unguessable, chosen by the service layer: the citizen's capability
    category: str | None = None
    needs: tuple[str, ...] = ()  # site.NEEDS: a hearing loop, an LSF interpreter, a seated counter
    appointment_at: datetime | None = None  # checked in for an appointment at this time


@dataclass(frozen=True)
class DelayTicket:
    """« RETARD »: the citizen will be a few minutes late; the ticket keeps its place but is not
    called for rules.delay_minutes. Once a ticket."""
    ticket_id: str


@dataclass(frozen=True)
class ComeBack:
    """« Je suis là »: a ticket marked absent asks to be put back, within
    rules.comeback_minutes, behind rules.comeback_after of the tickets then waiting. Once."""
    ticket_id: str


@dataclass(frozen=True)
class MissAppointment:
    """An appointment never checked in: recorded (no personal data) for the indicators."""
    service: str
    appointment_at: datetime


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: str


@dataclass(frozen=True)
class CallNext:
    counter: int


@dataclass(frozen=True)
class Recall:
    counter: int


@dataclass(frozen=True)
class MarkAbsent:
    counter: int


@dataclass(frozen=True)
class UndoAbsent:
    """Put back in its line the ticket this counter last marked absent (the citizen was only
    away for a moment), within the site's rules.undo_absent_seconds."""
    counter: int


@dataclass(frozen=True)
class Finish:
    counter: int


@dataclass(frozen=True)
class Transfer:
    counter: int
    service: str | None  # None: the first other service of the counter (a terminal's key)


@dataclass(frozen=True)
class OpenCounter:
    counter: int


@dataclass(frozen=True)
class PauseCounter:
    counter: int


@dataclass(frozen=True)
class CloseCounter:
    counter: int


@dataclass(frozen=True)
class PauseOrResume:
    """The terminal's « Pause » key: pauses an open counter, opens a paused or closed one."""
    counter: int


@dataclass(frozen=True)
class GiveFeedback:
    """A citizen's vote: score 1 (unhappy) to 4 (very happy). On a feedback terminal, about
    the ticket last served at `counter` when the terminal showed it (None if not known); from
    the phone's ticket page (`source` "phone"), about its own `ticket_id`, once it was served
    (the counter is then the one that served it)."""
    score: int
    counter: int | None = None
    label: str | None = None
    ticket_id: str | None = None
    source: str = "terminal"  # FEEDBACK_SOURCES


FEEDBACK_SOURCES = ("terminal", "phone")


Command = (
    StartDay | IssueTicket | CancelTicket | CallNext | Recall | MarkAbsent | UndoAbsent | Finish
    | Transfer | OpenCounter | PauseCounter | CloseCounter | PauseOrResume | GiveFeedback
    | DelayTicket | ComeBack | MissAppointment
)
