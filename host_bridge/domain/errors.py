"""Domain refusals. Each carries a stable code the edges map to an HTTP status."""
from __future__ import annotations


class DomainError(Exception):
    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class UnknownService(NotFound):
    code = "unknown_service"


class UnknownFaqEntry(NotFound):
    code = "unknown_faq_entry"


class UnknownCounter(NotFound):
    code = "unknown_counter"


class UnknownTicket(NotFound):
    code = "unknown_ticket"


class UnknownCategory(NotFound):
    code = "unknown_category"


class UnknownNeed(DomainError):
    code = "unknown_need"
    http_status = 422


class Conflict(DomainError):
    """The command is well formed but the current state does not allow it."""
    code = "conflict"


class SiteChangeRefused(Conflict):
    code = "site_change_refused"


class CounterNotOpen(Conflict):
    code = "counter_closed"


class NoCurrentTicket(Conflict):
    code = "no_current_ticket"


class RecallRefused(Conflict):
    code = "recall_refused"


class ServiceNotServed(Conflict):
    code = "service_not_served"


class SameService(Conflict):
    """A transfer to the service the ticket is already in."""
    code = "same_service"


class NothingToUndo(Conflict):
    """No « absent » of this counter left to undo (none, already undone, or called since)."""
    code = "nothing_to_undo"


class UndoExpired(Conflict):
    code = "undo_expired"


class UndoRefused(Conflict):
    """The absence cannot be undone any more: its label was given to a new ticket."""
    code = "undo_refused"


class DelayRefused(Conflict):
    """« RETARD » not offered, already used, or the ticket is not waiting."""
    code = "delay_refused"


class ComeBackRefused(Conflict):
    """« Je suis là » not offered, too late, already used, or the ticket is not absent."""
    code = "comeback_refused"


class TicketNotWaiting(Conflict):
    code = "ticket_not_waiting"


class SiteClosed(Conflict):
    code = "site_closed"


class NoFreeNumber(Conflict):
    """Every label of a letter is held by a live ticket: issuing would duplicate one."""
    code = "no_free_number"


class DuplicateTicketId(Conflict):
    code = "duplicate_ticket_id"


class NotServed(Conflict):
    """The survey after the visit: asked about a ticket not (yet) served."""
    code = "not_served"


class AlreadyAnswered(Conflict):
    """The survey after the visit: answered once per ticket."""
    code = "already_answered"


class InvalidAppointment(DomainError):
    code = "invalid_appointment"
    http_status = 422


class InvalidFeedback(DomainError):
    code = "invalid_feedback"
