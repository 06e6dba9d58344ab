"""Tickets: citizens take one (no login), follow it, and may give it up."""
from __future__ import annotations

import io
import logging

import segno
from fastapi import APIRouter, Request, Response

from ..domain import commands as c
from ..service.queue_service import new_ticket_id
from ..service.views import ticket_view
from ..printing.ticket_printer import PrinterError, ticket_bytes
from .errors import PrintFailed, responses
from .deps import IdempotencyKey, Service
from .schemas import IssueTicketBody, TicketId

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/tickets", tags=["tickets"])
PUBLIC = "public"


@router.post("", status_code=201, summary="Take a ticket for a service",
             responses=responses(404, 409, 422, 503))
def issue(body: IssueTicketBody, service: Service, key: IdempotencyKey, request: Request):
    command = c.IssueTicket(body.service, new_ticket_id(), body.category)
    answer = service.execute(command, PUBLIC, key)
    printer = request.app.state.printer
    if not body.print or printer is None:
        return {**answer, "printed": False}
    ticket = answer["ticket"]
    now = service.read(lambda state: state.ticket(ticket["id"]).status.value)
    if now != "waiting":  # a retry of a request whose printing failed: that ticket is gone
        raise PrintFailed(f"ticket {ticket['label']} was not printed and is {now}", ticket["label"])
    names = {s.id: s.name for s in service.site.services}
    try:
        printer.print(ticket_bytes(service.site.name, names[ticket["service"]], ticket["label"],
                                   ticket["ahead"], estimate_text(ticket["estimate"]),
                                   ticket_page(request, ticket["id"]), request.app.state.footer))
    except PrinterError as exc:
        # never a phantom: a ticket nobody holds would be called and wait for no one
        service.execute(c.CancelTicket(ticket["id"]), "printer")
        log.warning("%s; ticket %s cancelled", exc, ticket["label"])
        raise PrintFailed(f"{exc}; ticket {ticket['label']} cancelled", ticket["label"]) from None
    return {**answer, "printed": True}


def estimate_text(estimate: dict | None) -> str | None:
    if not estimate:
        return None
    return f"entre {estimate['low_minutes']} et {estimate['high_minutes']} min"


def ticket_page(request: Request, ticket_id: str) -> str:
    base = request.app.state.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/ticket/{ticket_id}"


@router.get("/{ticket_id}", summary="A ticket, its place and estimated wait",
            responses=responses(404, 422))
def get(ticket_id: TicketId, service: Service):
    return service.read(lambda state: {"ticket": ticket_view(state, state.ticket(ticket_id))})


@router.post("/{ticket_id}/cancel", summary="« Je ne peux plus attendre »: give up a waiting ticket",
             responses=responses(404, 409, 422))
def cancel(ticket_id: TicketId, service: Service, key: IdempotencyKey):
    return service.execute(c.CancelTicket(ticket_id), PUBLIC, key)


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
