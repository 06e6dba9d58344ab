"""Refusals become 4xx answers with a stable code and a readable message."""
from __future__ import annotations

from pydantic import BaseModel
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..domain.errors import Conflict, DomainError, NotFound
from ..printing.kiosk import TicketNotPrinted
from ..service.site_admin import ConfigRefused
from .auth import Forbidden, Unauthorized


class PeriodRefused(ValueError):
    """A report's period that makes no sense (ends before it starts, too long)."""


class ErrorBody(BaseModel):
    error: str
    message: str


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for the refusals a route can answer, all with the same body."""
    text = {401: "No or unknown staff token", 403: "This account may not do that",
            404: "Unknown counter, service or ticket", 409: "The queue's state does not allow it",
            408: "The request body did not arrive within 10 s (the connection is closed)",
            413: "The request body is larger than the bridge takes (64 KiB)",
            422: "Malformed request",
            429: "Too many writes from this address without a staff token (see Retry-After)",
            503: "The printer failed: the ticket was cancelled (its label is in `cancelled`)"}
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}


def _answer(status: int, code: str, message: str, **extra) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": code, "message": message, **extra}, status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        if loc[:1] == ["header"] and len(loc) > 1:  # show headers as clients write them
            loc = ["header " + "-".join(w.capitalize() for w in loc[1].split("-"))] + loc[2:]
        where = ".".join(p for p in loc if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError):
        status = getattr(exc, "http_status", None) \
            or (404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400)
        return _answer(status, exc.code, exc.message)

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, exc: Unauthorized):
        return _answer(401, "unauthorized", str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden):
        return _answer(403, "forbidden", str(exc))

    @app.exception_handler(ConfigRefused)
    async def config_refused(_: Request, exc: ConfigRefused):
        code = "invalid_config" if exc.status == 422 else "config_not_changed"
        return _answer(exc.status, code, str(exc), key=exc.key)

    @app.exception_handler(TicketNotPrinted)
    async def print_failed(_: Request, exc: TicketNotPrinted):
        return _answer(503, "printer_failed", str(exc), cancelled=exc.label)

    @app.exception_handler(PeriodRefused)
    async def bad_period(_: Request, exc: PeriodRefused):
        return _answer(422, "invalid_period", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        return _answer(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException):
        if exc.status_code == 400:  # a body FastAPI could not even parse (bad JSON, not UTF-8)
            return _answer(422, "invalid_request", "the body is not valid JSON in UTF-8")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return _answer(exc.status_code, code, str(exc.detail))
