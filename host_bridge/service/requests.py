"""What a request is to the queue service beyond its command: who asked and under which id,
its place in its source's order, and how a repeat of it is answered.

    Request(command, "device:term-3", "0badf00d:7", order=("0badf00d", 7))
    fingerprint(command)            # what was asked: a key reused for another request is refused
    replay_result(stored, asked)    # a repeat's answer: the first answer, refusals too
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..domain import commands as c
from ..domain.errors import Conflict, DomainError
from ..store.sqlite_store import StoredAnswer


@dataclass(frozen=True)
class Request:
    """One request of a batch. `order` = (stream, position) for a source whose requests come
    in order (a device: its boot nonce and seq). `refused`: the entry point already refused
    it (a press of a retired boot); it is recorded as the request's answer all the same."""
    command: c.Command
    source: str
    request_id: str | None = None
    order: tuple[str, int] | None = None
    refused: DomainError | None = None


class Stale(Conflict):
    """A device's press or vote arriving after a later one of the same boot was decided."""
    code = "stale"


class KeyReused(DomainError):
    """An idempotency key sent again with a different request (422, as the IETF draft on
    the Idempotency-Key header asks)."""
    code = "idempotency_key_reused"
    http_status = 422


class StoredRefusal(DomainError):
    """The refusal first given to a request, given again to its repeat."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# what the entry point chose, left out of the fingerprint
_CHOSEN = {c.IssueTicket: "ticket_id", c.GiveFeedback: "label"}
# fields added to a command after answers were first stored, with their defaults
ADDED: dict[type, dict[str, object]] = {c.IssueTicket: {"needs": (), "appointment_at": None},
                                        c.GiveFeedback: {"ticket_id": None, "source": "terminal"}}
_ASKED: dict[type, tuple[str, ...]] = {}  # per command type: its other fields, sorted


def _asked(kind: type) -> tuple[str, ...]:
    names = _ASKED.get(kind)
    if names is None:
        names = _ASKED[kind] = tuple(sorted(f.name for f in fields(kind)
                                            if f.name != _CHOSEN.get(kind)))
    return names


def fingerprint(command: c.Command) -> str:
    """What was asked, without what the entry point chose for it (a new ticket's id, the
    label a feedback terminal was showing when the vote arrived). The text is stored with
    the answer and compared with a repeat's, across versions: it stays the repr of the
    sorted (name, value) pairs (the fields are plain values: str, int, None, tuples), and a
    field added since (ADDED) counts only when it is not its default, so a request made before
    an upgrade and retried after it is still recognised."""
    kind = type(command)
    added = ADDED.get(kind, {})
    return f"{kind.__name__}{[(n, v) for n in _asked(kind) if (v := getattr(command, n)) != added.get(n, _NONE)]}"


_NONE = object()  # no default recorded: the field always counts


def replay_result(earlier: StoredAnswer, asked: str) -> dict[str, Any] | DomainError:
    if earlier.fingerprint is not None and earlier.fingerprint != asked:
        return KeyReused("this request id was first used for another request")
    if "refused" in earlier.answer:
        return StoredRefusal(earlier.answer["refused"], earlier.answer.get("message", ""))
    return {**earlier.answer, "replayed": True}


def replay(earlier: StoredAnswer, asked: str) -> dict[str, Any]:
    result = replay_result(earlier, asked)
    if isinstance(result, DomainError):
        raise result
    return result
