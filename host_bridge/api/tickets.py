"""Tickets: citizens take one (no login), follow it, and may give it up."""
from __future__ import annotations

import io

import segno
from fastapi import APIRouter, Request, Response

from ..domain import commands as c
from ..service.queue_service import new_ticket_id
from ..service.views import ticket_view
from .errors import responses
from .deps import Answer, IdempotencyKey, Service
from .schemas import IssueTicketBody, TicketId

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
PUBLIC = "public"


@router.post("", status_code=201, summary="Take a ticket for a service",
             responses=responses(404, 408, 409, 413, 422, 429, 503))
def issue(body: IssueTicketBody, key: IdempotencyKey, request: Request):
    # the service from the app's state, not a dependency: one fewer for FastAPI to solve on
    # the busiest route
    command = c.IssueTicket(body.service, new_ticket_id(), body.category, tuple(body.needs))
    answer = request.app.state.service.execute(command, PUBLIC, key)
    kiosk = request.app.state.kiosk_printer
    if not body.print or kiosk is None:
        return Answer({**answer, "printed": False}, 201)
    kiosk.print_or_cancel(answer["ticket"], ticket_page(request, answer["ticket"]["id"]))
    return Answer({**answer, "printed": True}, 201)


def ticket_page(request: Request, ticket_id: str) -> str:
    base = request.app.state.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/ticket/{ticket_id}"


@router.get("/{ticket_id}", summary="A ticket, its place and estimated wait",
            responses=responses(404, 422))
def get(ticket_id: TicketId, service: Service):
    return service.read(lambda state: {"ticket": ticket_view(state, state.ticket(ticket_id))})


@router.post("/{ticket_id}/cancel", summary="« Je ne peux plus attendre »: give up a waiting ticket",
             responses=responses(404, 409, 422, 429))
def cancel(ticket_id: TicketId, service: Service, key: IdempotencyKey):
    return Answer(service.execute(c.CancelTicket(ticket_id), PUBLIC, key))


@router.post("/{ticket_id}/delay", summary="« Je serai en retard »: not called for a few "
             "minutes, keeping its place (once, where the site offers it)",
             responses=responses(404, 409, 422, 429))
def delay(ticket_id: TicketId, service: Service, key: IdempotencyKey):
    return Answer(service.execute(c.DelayTicket(ticket_id), PUBLIC, key))


@router.post("/{ticket_id}/comeback", summary="« Je suis là »: a ticket marked absent asks to "
             "be put back in line (once, within the site's window)",
             responses=responses(404, 409, 422, 429))
def comeback(ticket_id: TicketId, service: Service, key: IdempotencyKey):
    return Answer(service.execute(c.ComeBack(ticket_id), PUBLIC, key))


@router.get("/{ticket_id}/qr.svg", summary="A QR code of the ticket's page, for the kiosk",
            response_class=Response, responses={**responses(404, 422),
                                                200: {"content": {"image/svg+xml": {}}}})
def qr(ticket_id: TicketId, service: Service, request: Request) -> Response:
    service.read(lambda state: state.ticket(ticket_id))  # a QR code only for a real ticket
    out = io.BytesIO()
    segno.make(ticket_page(request, ticket_id), error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="QR")
    return Response(out.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})
