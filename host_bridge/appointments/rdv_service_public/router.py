"""`POST /api/appointments/rdv-service-public`: RDV Service Public's webhook endpoint.

Public (RDV-SP sends no staff token), but only a body signed with the site's secret and
fresh is taken: 413 too large, 401 unsigned or badly signed, 422 malformed, 408 stale,
409 a replay; 200 applied, or ignored (another service, place or day: a 4xx there would
make RDV-SP retry it for 8 days). Nothing changes in the list unless the answer is 200.
"""
from __future__ import annotations

import logging
from datetime import timedelta, tzinfo
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..model import Appointment
from . import webhook as w
from .freshness import Freshness
from .settings import Settings

log = logging.getLogger(__name__)
PATH = "/api/appointments/rdv-service-public"


class Sink(Protocol):
    """What the webhook needs of the appointments' store (host_bridge/appointments/store.py)."""

    def upsert(self, appointment: Appointment) -> Any: ...

    def cancel(self, source: str, external_id: str) -> Any: ...  # unknown: nothing to do


class Clock(Protocol):
    def now(self) -> Any: ...


_ERRORS = {401: "Unsigned, or not signed with this site's secret",
           408: "Older than max_age_seconds (or from the future): a stale message",
           409: "Received before: a replay", 413: "Too large (64 KiB at most, the bridge's cap on public writes)", 422: "Malformed payload",
           503: "The list could not be written: RDV Service Public retries later"}


def build(settings: Settings, store: Sink, clock: Clock, tz: tzinfo) -> APIRouter:
    """The webhook's router for one site: its secret, its list, its clock (and its memory of
    the messages already taken, against replays)."""
    router = APIRouter(tags=["appointments"])
    freshness = Freshness(timedelta(seconds=settings.max_age_seconds))

    @router.post(PATH, summary="RDV Service Public's webhook: an rdv created, changed or deleted",
                 responses={s: {"description": d} for s, d in _ERRORS.items()})
    async def receive(request: Request):
        try:
            body = await _body(request)
            signature = w.verify(settings.secret, body, request.headers.get(w.SIGNATURE_HEADER))
            payload = w.decode(body)
            at = w.sent_at(payload)
            now = clock.now().astimezone(tz)
            change = w.parse(payload, settings, now)
            if isinstance(change, w.Ignore) and change.forget is None:
                return {"applied": False, "ignored": change.reason}
            claim = freshness.admit(signature, w.rdv_id(payload), at, now)
        except w.Refused as refused:
            log.info("RDV Service Public webhook refused: %s", refused.message)
            return _refusal(refused.status, refused.code, refused.message)
        if claim.superseded:  # an older message than one already applied for this rdv
            return {"applied": False, "ignored": "superseded"}
        try:
            answer = await run_in_threadpool(_apply, store, change)
        except Exception as exc:
            claim.undo()  # not applied: RDV-SP's retry must be taken
            if isinstance(exc, ValueError):
                return _refusal(422, "not_applied", f"refused by the appointments' list: {exc}")
            log.exception("RDV Service Public webhook not applied")
            return _refusal(503, "not_applied", "the appointments' list could not be written")
        return answer

    return router


def _apply(store: Sink, change: w.Change) -> dict[str, Any]:
    if isinstance(change, w.Upsert):
        store.upsert(change.appointment)
        return {"applied": True, "change": "upserted"}
    if isinstance(change, w.Cancel):
        store.cancel(change.source, change.external_id)
        return {"applied": True, "change": "cancelled"}
    # an rdv that became another service's, place's or day's: out of the list if it was there
    store.cancel(w.SOURCE, change.forget)
    return {"applied": True, "change": "forgotten", "ignored": change.reason}


async def _body(request: Request) -> bytes:
    """The raw body (the signature is over its exact bytes), refused past MAX_BODY as it comes."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        w.check_size(int(length))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        w.check_size(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)
