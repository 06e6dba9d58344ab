"""The chat's refusals: DomainErrors with a stable code (api/errors.py maps them). Messages
never carry what a citizen or staff typed, nor a ticket id: an error may reach a log."""
from __future__ import annotations

from ..domain.errors import Conflict, DomainError, NotFound


class QuestionsOff(NotFound):
    """`[questions] enabled = false`: every route of the chat answers 404."""
    code = "questions_off"


class UnknownConversation(NotFound):
    code = "unknown_conversation"


class TicketClosed(Conflict):
    """Served, cancelled, absent or gone with its day: nobody will read the question."""
    code = "ticket_closed"


class ConversationBlocked(Conflict):
    code = "conversation_blocked"


class ConversationClosed(Conflict):
    code = "conversation_closed"


class ConversationFull(Conflict):
    code = "conversation_full"


class FaqChanged(Conflict):
    """The FAQ entry named by its question is no longer in the service's FAQ (edited since
    the console listed it): nothing sent, the console lists it again."""
    code = "faq_changed"


class FaqExists(Conflict):
    """« Ajouter à la FAQ » of a question the service's FAQ already has: added once."""
    code = "faq_exists"


class InvalidText(DomainError):
    code = "invalid_text"
    http_status = 422


class TooFrequent(DomainError):
    """Answered 429 with Retry-After (`retry_after` seconds)."""
    code = "too_frequent"
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class TooManyWaiting(DomainError):
    """Long polls past the cap: 503 with Retry-After."""
    code = "too_many_waiting"
    http_status = 503
    retry_after = 5
