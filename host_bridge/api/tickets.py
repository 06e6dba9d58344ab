"""Tickets: citizens take one (no login), follow it, and may give it up."""
from __future__ import annotations

from fastapi import APIRouter

from ..domain import commands as c
from ..service.queue_service import new_ticket_id
from ..service.views import ticket_view
from .errors import responses
from .deps import IdempotencyKey, Service
from .schemas import IssueTicketBody, TicketId

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
PUBLIC = "public"


@router.post("", status_code=201, summary="Take a ticket for a service",
             responses=responses(404, 409, 422))
def issue(body: IssueTicketBody, service: Service, key: IdempotencyKey):
    command = c.IssueTicket(body.service, new_ticket_id(), body.category)
    return service.execute(command, PUBLIC, key)


@router.get("/{ticket_id}", summary="A ticket, its place and estimated wait",
            responses=responses(404, 422))
def get(ticket_id: TicketId, service: Service):
    return service.read(lambda state: {"ticket": ticket_view(state, state.ticket(ticket_id))})


@router.post("/{ticket_id}/cancel", summary="« Je ne peux plus attendre »: give up a waiting ticket",
             responses=responses(404, 409, 422))
def cancel(ticket_id: TicketId, service: Service, key: IdempotencyKey):
    return service.execute(c.CancelTicket(ticket_id), PUBLIC, key)
