"""The chat's HTTP routes: the citizen's (no login, the ticket id is the key) and the desk's
(a staff token). Reads are long polls: `after` the version the reader has, `wait` seconds at
most for it to change, waited on the event loop (waiting.py), never in a worker thread."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..api.auth import Forbidden
from ..api.deps import Staff, staff_of
from ..api.errors import ErrorBody, responses
from ..api.schemas import TicketId
from ..service.site_admin import SiteAdmin
from .desk import Questions
from .waiting import STAFF

MAX_WAIT = 25  # seconds: under the 30 s a proxy or a phone's network commonly cuts an idle request

citizen = APIRouter(prefix="/api/tickets/{ticket_id}/questions", tags=["questions"])
staff = APIRouter(prefix="/api/questions", tags=["questions"])

After = Annotated[str | None, Query(max_length=64, description="the version you have")]
Wait = Annotated[int, Query(ge=0, le=MAX_WAIT, description="seconds to wait for a change "
                                                           "when `after` is the current version")]
# a long poll past the cap (waiting.MAX_WAITING)
_BUSY = {503: {"model": ErrorBody, "description": "Too many readers wait already: try again "
                                                  "after Retry-After seconds"}}
ConversationId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class TextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=2000, description="500 characters at most once trimmed")


class FaqAnsweredBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry: int = Field(ge=0, le=999)


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field("", max_length=4000, description="1000 characters at most once trimmed; "
                                                       "may be empty with a faq_entry")
    faq_entry: int | None = Field(None, ge=0, le=999)
    faq_question: str | None = Field(None, max_length=300, description=(
        "the attached entry's question as the console showed it: the entry is found by it "
        "(the FAQ may have been reordered since), 409 faq_changed when it is gone"))


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abusive: bool = False


class FaqBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=300)
    answer: str = Field(max_length=2000)


def _desk(request: Request) -> Questions:
    return request.app.state.questions


async def _long_poll(desk: Questions, keys: tuple[str, ...] | Callable[[], tuple[str, ...]],
                     read: Callable[[], dict[str, Any]],
                     after: str | None, wait: int) -> dict[str, Any]:
    since = desk.changes.seq  # before reading: a change during the read is not missed
    view = await run_in_threadpool(read)
    if not wait or after != view["version"]:
        return view
    if callable(keys):
        keys = await run_in_threadpool(keys)
    with desk.changes.slot(keys[0]):  # its reader: STAFF, or the ticket
        deadline = time.monotonic() + wait
        while (view["version"] == after and not desk.changes.closing
               and (left := deadline - time.monotonic()) > 0):
            await desk.changes.wait(keys, since, left)
            since = desk.changes.seq
            view = await run_in_threadpool(read)
    return view


# ----- the citizen's ---------------------------------------------------------------------------------

@citizen.get("", summary="The ticket's conversation with the reception (long poll)",
             responses={**responses(404, 422), **_BUSY})
async def conversation(ticket_id: TicketId, request: Request, after: After = None, wait: Wait = 0):
    desk = _desk(request)
    return await _long_poll(desk, lambda: desk.citizen_keys(ticket_id),
                            lambda: desk.citizen_view(ticket_id), after, wait)


@citizen.post("", status_code=201, summary="A question to the reception, or a reply",
              responses=responses(404, 409, 422, 429))
def ask(ticket_id: TicketId, body: TextBody, request: Request):
    return _desk(request).ask(ticket_id, body.text)


@citizen.post("/match", summary="The FAQ entries of the ticket's service that answer a text "
              "(before it is sent; nothing stored)", responses=responses(404, 422, 429))
def match(ticket_id: TicketId, body: TextBody, request: Request):
    return _desk(request).match(ticket_id, body.text)


@citizen.post("/faq-answered", status_code=204, summary="The question was answered by this "
              "FAQ entry, without staff (counted once per ticket and entry)",
              responses=responses(404, 422, 429))
def faq_answered(ticket_id: TicketId, body: FaqAnsweredBody, request: Request) -> Response:
    _desk(request).faq_answered(ticket_id, body.entry)
    return Response(status_code=204)


@citizen.post("/close", summary="« C'est réglé »: the citizen closes the conversation",
              responses=responses(404, 422, 429))
def close(ticket_id: TicketId, request: Request):
    return _desk(request).citizen_close(ticket_id)


# ----- the desk's --------------------------------------------------------------------------------------

def _reader(desk: Questions, user: Any) -> None:
    desk.gate()
    if not desk.may_read(user):
        raise Forbidden(f"role {user.role!r} does not read the questions here")


def _answerer(desk: Questions, user: Any) -> None:
    desk.gate()
    if not desk.may_answer(user):
        raise Forbidden(f"{user.name} may not answer the questions")


@staff.get("", summary="Today's conversations, open ones first (long poll)",
           responses={**responses(401, 403, 404, 422), **_BUSY})
async def conversations(request: Request, user: Staff, after: After = None, wait: Wait = 0):
    desk = _desk(request)
    _reader(desk, user)
    return await _long_poll(desk, (STAFF,), lambda: desk.staff_list(user), after, wait)


@staff.post("/{conversation_id}/answer", summary="Answer a conversation",
            responses=responses(401, 403, 404, 409, 422))
def answer(conversation_id: ConversationId, body: AnswerBody, request: Request, user: Staff):
    desk = _desk(request)
    _answerer(desk, user)
    return desk.answer(conversation_id, body.text, body.faq_entry, body.faq_question)


@staff.post("/{conversation_id}/close", summary="Close a conversation (abusive: no more "
            "writing from that ticket today)", responses=responses(401, 403, 404, 422))
def close_conversation(conversation_id: ConversationId, body: CloseBody, request: Request,
                       user: Staff):
    desk = _desk(request)
    _answerer(desk, user)
    return desk.staff_close(conversation_id, body.abusive)


@staff.post("/{conversation_id}/faq", status_code=201, summary="Turn an answer into an entry "
            "of the service's FAQ (admins; the site file is written back)",
            responses=responses(401, 403, 404, 409, 422))
def add_faq(conversation_id: ConversationId, body: FaqBody, request: Request, user: Staff):
    desk = _desk(request)
    desk.gate()
    if user.role != "admin":
        raise Forbidden(f"role {user.role!r} cannot change the site's FAQ")
    admin = SiteAdmin(desk.service, getattr(request.app.state, "registry", None),
                      request.app.state.config_source)
    added = desk.add_faq(conversation_id, body.question, body.answer, admin)
    staff_of(request.app).audit.record("site_changed", user.name, detail="services", via="questions")
    return added
