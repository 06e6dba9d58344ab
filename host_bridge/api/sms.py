"""SMS: a citizen gives a number for their ticket (or takes it back), and the provider's
webhook brings their replies. Anonymous writes: the InputLimits middleware rate-limits them
per address like every public write; a ticket may be given 3 numbers at most (store.py).

Refusals name a stable `error` (and a `reason` for a refused number) the ticket page says in
French; no answer and no log line ever holds the number, only its masked form."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..domain.queue import QueueState
from ..notifications.sms import inbound
from ..notifications.notifier import TooManyWatched
from ..notifications.sms.hub import CHANNEL, SmsHub
from ..notifications.sms.numbers import MAX_INPUT, PhoneRefused, mask, normalise
from ..notifications.sms.store import StoreFull
from .deps import Service
from .errors import responses
from .schemas import TicketId

router = APIRouter(tags=["sms"])


class SmsBody(BaseModel):
    phone: Annotated[str, Field(max_length=MAX_INPUT, description=(
        "A French mobile (06 12 34 56 78) or an international number (+44 7…)"))]


def _refuse(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status)


def _hub(request: Request) -> SmsHub | None:
    return getattr(request.app.state, "sms", None)


_NOT_CONFIGURED = (404, "sms_not_configured", "this site sends no SMS")


@router.get("/api/tickets/{ticket_id}/sms", summary="Whether SMS are offered, and the ticket's number (masked)",
            responses=responses(404, 422))
def get(ticket_id: TicketId, service: Service, request: Request):
    service.read(lambda state: state.ticket(ticket_id))  # 404 for a ticket that is not today's
    hub = _hub(request)
    number = None if hub is None else hub.store.number_of(ticket_id)
    return {"configured": hub is not None, "replies": bool(hub and hub.inbound),
            "phone": None if number is None else mask(number)}


@router.post("/api/tickets/{ticket_id}/sms", summary="« Me prévenir par SMS »: follow the ticket by SMS",
             responses=responses(404, 409, 413, 422, 429))
def follow(ticket_id: TicketId, body: SmsBody, service: Service, request: Request):
    hub = _hub(request)
    if hub is None:
        return _refuse(*_NOT_CONFIGURED)
    try:
        number = normalise(body.phone)
    except PhoneRefused as exc:
        return _refuse(422, "invalid_phone", str(exc), reason=exc.reason)

    def keep(state: QueueState) -> bool | None:
        """-> None (the ticket ended) or whether the number is new to the ticket. Under the
        queue's lock: the ticket cannot end between the check and the number kept."""
        if not state.ticket(ticket_id).status.live:
            return None
        new = hub.store.number_of(ticket_id) != number
        hub.store.put(ticket_id, number, str(state.day))  # a read has started the day
        return new

    try:
        new = service.read(keep)
    except StoreFull as exc:
        return _refuse(409, "sms_refused", str(exc), reason=exc.reason)
    if new is None:
        return _refuse(409, "ticket_not_live", "the ticket is no longer waiting or called")
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is not None:
        try:
            notifier.watch(ticket_id, CHANNEL)
        except TooManyWatched as exc:
            hub.store.forget(ticket_id)
            return _refuse(409, "sms_refused", str(exc), reason="full")
    if new:
        hub.confirm(number)
    return {"phone": mask(number), "replies": hub.inbound}


@router.delete("/api/tickets/{ticket_id}/sms", summary="Stop the SMS and forget the number",
               responses=responses(404, 422, 429))
def forget(ticket_id: TicketId, request: Request):
    hub = _hub(request)
    if hub is None:
        return _refuse(*_NOT_CONFIGURED)
    hub.store.forget(ticket_id)
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is not None:
        notifier.unwatch(ticket_id, CHANNEL)
    return {"phone": None}


_INBOUND_BODY = {"requestBody": {"required": True, "description": (
    "As the provider sends it, JSON or a form: the sender's number and the text (field names "
    "set by the site's inbound_from and inbound_text). Authenticated by the shared secret in "
    "X-Suivant-Secret, or by X-Suivant-Signature: the hex HMAC-SHA256 of the body."),
    "content": {"application/json": {"schema": {"type": "object", "properties": {
        "from": {"type": "string"}, "text": {"type": "string"}}}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "from": {"type": "string"}, "text": {"type": "string"}}}}}}}


@router.post("/api/sms/inbound", summary="The SMS provider's webhook: a citizen's reply",
             responses=responses(401, 404, 413, 429), openapi_extra=_INBOUND_BODY)
async def receive(request: Request, service: Service):
    hub = _hub(request)
    if hub is None or not hub.inbound:
        return _refuse(404, "sms_inbound_not_configured", "this site takes no SMS replies")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > inbound.MAX_INBOUND:
            return _refuse(413, "body_too_large", f"an inbound SMS is {inbound.MAX_INBOUND} bytes at most")
    if not inbound.authentic(hub.settings, request.headers, bytes(body)):
        return _refuse(401, "unauthorized", "missing or wrong secret")
    if not hub.deliveries.first(bytes(body)):
        return {"handled": "duplicate"}  # the provider's retry of a reply already applied
    message = inbound.parse(hub.settings, bytes(body), request.headers.get("content-type", ""))
    if message is None:
        return {"handled": "ignored"}  # 2xx all the same: a provider retries what it thinks failed
    from starlette.concurrency import run_in_threadpool  # the queue's lock: not on the loop
    done, reply = await run_in_threadpool(inbound.handle, message, service, hub.store)
    if reply is not None:
        hub.sender.submit(message.number, reply)
    return {"handled": done}
