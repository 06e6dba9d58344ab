"""Web Push for the ticket page: the site's public key, a ticket's subscription, and the
service worker served at the site's root (its scope must cover /ticket/)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ..domain.tickets import TicketStatus
from ..notifications.notifier import TooManyWatched
from ..notifications.subscriptions import MAX_ENDPOINT, SubscriptionRefused
from ..web.pages import STATIC
from .deps import Service
from .errors import responses
from .schemas import TicketId

router = APIRouter(tags=["notifications"])
_Key = Annotated[str, Field(min_length=1, max_length=200)]


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: _Key
    auth: _Key


class PushSubscriptionBody(BaseModel):
    """The browser's PushSubscription.toJSON(), as the page sends it."""
    model_config = ConfigDict(extra="ignore")  # browsers may add fields (expirationTime...)
    endpoint: str = Field(min_length=1, max_length=MAX_ENDPOINT)
    keys: PushKeys
    expirationTime: int | None = None  # noqa: N815 - the browser's name


def _unavailable() -> JSONResponse:
    return JSONResponse({"error": "push_unavailable",
                         "message": "this site does not send Web Push notifications"}, 404)


@router.get("/api/push/key", summary="The site's VAPID public key (applicationServerKey)",
            responses=responses(404))
def key(request: Request):
    push = getattr(request.app.state, "web_push", None)
    return _unavailable() if push is None else {"key": push.public_key}


@router.post("/api/tickets/{ticket_id}/push", status_code=201,
             summary="« Me prévenir »: push to this browser when the turn nears and at the call",
             responses=responses(404, 409, 413, 422, 429, 503))
def subscribe(ticket_id: TicketId, body: PushSubscriptionBody, service: Service, request: Request):
    push = getattr(request.app.state, "web_push", None)
    if push is None:
        return _unavailable()
    ticket = service.read(lambda state: state.ticket(ticket_id))  # 404 when unknown
    if not (ticket.status.live or ticket.status is TicketStatus.ABSENT):
        return JSONResponse({"error": "ticket_ended", "message": f"the ticket is {ticket.status.value}"},
                            409)
    try:
        push.subscribe(ticket_id, body.model_dump())
    except SubscriptionRefused as exc:
        return JSONResponse({"error": "invalid_subscription", "message": str(exc),
                             "reason": exc.reason}, 422)
    except TooManyWatched as exc:
        return JSONResponse({"error": "busy", "message": str(exc)}, 503,
                            headers={"Retry-After": "60"})
    return {"push": True}


@router.delete("/api/tickets/{ticket_id}/push", summary="Stop this ticket's push notifications",
               responses=responses(404, 422))
def unsubscribe(ticket_id: TicketId, request: Request) -> Any:
    push = getattr(request.app.state, "web_push", None)
    if push is None:
        return _unavailable()
    push.unsubscribe(ticket_id)
    return {"push": False}


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> Response:
    # at the root, its default scope is the whole site (the ticket pages under /ticket/);
    # no-cache: a new version reaches phones on their next visit, not days later
    return FileResponse(STATIC / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})
