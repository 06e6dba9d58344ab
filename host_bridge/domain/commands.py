"""What can be asked of the queue. Every entry point (HTTP, MQTT, serial) builds one of these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class StartDay:
    day: date


@dataclass(frozen=True)
class IssueTicket:
    service: str
    ticket_id: str  # unguessable, chosen by the service layer: the citizen's capability
    category: str | None = None


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
class Finish:
    counter: int


@dataclass(frozen=True)
class Transfer:
    counter: int
    service: str


@dataclass(frozen=True)
class OpenCounter:
    counter: int


@dataclass(frozen=True)
class PauseCounter:
    counter: int


@dataclass(frozen=True)
class CloseCounter:
    counter: int


Command = (
    StartDay | IssueTicket | CancelTicket | CallNext | Recall | MarkAbsent | Finish | Transfer
    | OpenCounter | PauseCounter | CloseCounter
)
