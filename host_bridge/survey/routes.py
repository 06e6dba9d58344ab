"""The survey's routes: the phone's one question once its ticket is served, and the comments
supervisors read. The vote goes through the queue (GiveFeedback, source "phone": refused
there if the ticket is not served or already answered, and then nothing is stored); the
comment, if any, only after the vote was taken. A comment is never logged."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from ..api.auth import Forbidden
from ..api.deps import Answer, IdempotencyKey, Service, Staff
from ..api.errors import responses
from ..api.indicators import From, To, check_period
from ..api.schemas import TicketId
from ..domain import commands as c
from ..domain.errors import NotFound
from ..domain.tickets import TicketStatus
from .comments import MAX_TEXT

router = APIRouter(tags=["survey"])
PUBLIC = "public"  # as the ticket page's other writes (api/tickets.py)


class SurveyOff(NotFound):
    """The site does not ask the survey (`[questions] survey = false`)."""
    code = "survey_off"


class SurveyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: Annotated[StrictInt, Field(ge=1, le=4, description="« Êtes-vous satisfait de "
                                      "l'accueil ? » 1 (pas du tout) to 4 (très satisfait)")]
    comment: str | None = Field(None, max_length=4 * MAX_TEXT, description=(
        f"optional, at most {MAX_TEXT} characters once trimmed; shown to supervisors for the "
        "retention period, with no ticket and no time of day"))

    @field_validator("comment")
    @classmethod
    def _trimmed(cls, text: str | None) -> str | None:
        text = (text or "").strip()
        if len(text) > MAX_TEXT:  # the message names the rule, never the text
            raise ValueError(f"at most {MAX_TEXT} characters once trimmed")
        return text or None


def _survey(request: Request) -> Any:
    survey = request.app.state.survey
    if not survey.enabled:
        raise SurveyOff("this site does not ask the survey after the visit")
    return survey


@router.post("/api/tickets/{ticket_id}/survey", status_code=201,
             summary="The survey after the visit: one answer per served ticket of today",
             responses=responses(404, 409, 422, 429))
def answer(ticket_id: TicketId, body: SurveyBody, service: Service, key: IdempotencyKey,
           request: Request):
    survey = _survey(request)
    command = c.GiveFeedback(body.score, ticket_id=ticket_id, source="phone")
    result = service.execute(command, PUBLIC, key)  # refused: nothing stored, comment neither
    filed = result["answered"]
    if body.comment and not result.get("replayed"):
        counter = filed["counter"] if request.app.state.figures_per_counter else None
        survey.comments.add(filed["day"], filed["service"], body.score, body.comment, counter)
    return Answer({"answered": True}, 201)


@router.get("/api/tickets/{ticket_id}/survey",
            summary="Whether the ticket page asks the survey: asked (the site asks it, the "
                    "ticket was served today and not yet answered) and answered",
            responses=responses(404, 422))
def status(ticket_id: TicketId, service: Service, request: Request):
    def read(state):
        return state.ticket(ticket_id).status is TicketStatus.SERVED, ticket_id in state.rated
    served, answered = service.read(read)
    return {"asked": request.app.state.survey.enabled and served and not answered,
            "answered": answered}


@router.get("/api/survey/comments",
            summary="The survey's comments of business days from..to, newest first (at most "
                    "500); the counter only where the site turned per-counter figures on",
            responses=responses(401, 403, 422))
def comments(first: From, last: To, user: Staff, request: Request):
    if user.role not in ("supervisor", "admin"):
        raise Forbidden(f"role {user.role!r} cannot read the survey's comments")
    check_period(first, last)
    found = request.app.state.survey.comments.between(first.isoformat(), last.isoformat())
    if not request.app.state.figures_per_counter:  # stored while it was on: not shown now
        for row in found:
            row.pop("counter", None)
    return {"comments": found}
