"""Refusals become 4xx answers with a stable code and a readable message (English, for
developers). What a page needs to say it in its reader's language rides along as codes: the
field at fault (`field`, a path in the request such as `services[0].target_wait_minutes`) and
why (`reason`), the pages keep the words (host_bridge/web/static)."""
from __future__ import annotations

import re
from html import escape

from pydantic import BaseModel
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from ..domain.errors import Conflict, DomainError, NotFound
from ..printing.kiosk import TicketNotPrinted
from ..service.site_admin import ConfigRefused
from .auth import Forbidden, Unauthorized


class PeriodRefused(ValueError):
    """A report's period that makes no sense: `reason` "ends_before_start" or "too_long"."""

    def __init__(self, message: str, reason: str, **details):
        super().__init__(message)
        self.reason, self.details = reason, details


# The config validator's reasons (site_config.py), as codes: the first pattern that matches
# the English reason wins; "invalid_value" is a value outside its field's rule (the page knows
# each field's rule). A reason no pattern knows stays "invalid".
_CONFIG_REASONS = [
    (r"^missing$", "missing"),
    (r"^unknown key", "unknown_key"),
    (r"^expected ranges like", "bad_range"),
    (r"ends before it starts", "range_reversed"),
    (r"^ranges .* overlap", "ranges_overlap"),
    (r"^no opening hours", "no_hours"),
    (r"^unknown service", "unknown_service"),
    (r"^unknown counter", "unknown_counter"),
    (r"is used twice$|is listed twice$", "duplicate"),
    (r"^at least one|\(got \[\]\)$", "empty"),
    (r"^expected ", "wrong_type"),
    (r"^not editable here", "not_editable"),
    (r"^at most \d+ KB", "too_large"),
    (r"not started from a config file", "no_config_file"),
    (r"\(got .*\)$", "invalid_value"),
]
# SiteChangeRefused's messages (domain/queue.py), as codes with what they name
_SITE_CHANGE = [
    (r"^service '([^']+)' has tickets today", "service_in_use", "service"),
    (r"^counter (\d+) was used today", "counter_in_use", "counter"),
    (r"id and time zone", "restart_needed", None),
]


def config_reason(text: str) -> str:
    return next((code for pattern, code in _CONFIG_REASONS if re.search(pattern, text)), "invalid")


def _site_change(message: str) -> dict:
    for pattern, reason, name in _SITE_CHANGE:
        if m := re.search(pattern, message):
            return {"reason": reason, **({name: m[1] if name == "service" else int(m[1])} if name else {})}
    return {}


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


# A person who types a page's address wrong gets a page, in both languages (this answer
# cannot know the language the reader chose: it lives in the pages' own storage)
_NOT_FOUND_PAGE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Page introuvable — Suivant</title><link rel="stylesheet" href="static/suivant.css">'
    '</head><body><header class="bar"><h1>Suivant</h1></header><main>'
    '<h2>Page introuvable</h2><p>Cette adresse ne correspond à aucune page. '
    '<a href="./">Retour à l\'accueil</a></p>'
    '<div lang="en"><h2>Page not found</h2><p>This address matches no page. '
    '<a href="./">Back to the home page</a></p></div></main></body></html>')


def _wants_a_page(request: Request) -> bool:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))  # behind a proxy
    return ("text/html" in request.headers.get("accept", "")
            and not path.startswith(("/api/", "/static/")) and path != "/api")


def _fields(exc: RequestValidationError) -> list[dict]:
    """[{field, problem}]: the query, path or body field at fault and pydantic's error type."""
    out = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        where = ".".join(loc[1:]) if loc[:1] in (["query"], ["path"], ["body"], ["header"]) else ".".join(loc)
        out.append({"field": where or "body", "problem": err.get("type", "invalid")})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError):
        status = getattr(exc, "http_status", None) \
            or (404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400)
        extra = _site_change(exc.message) if exc.code == "site_change_refused" else {}
        return _answer(status, exc.code, exc.message, **extra)

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, exc: Unauthorized):
        return _answer(401, "unauthorized", str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden):
        return _answer(403, "forbidden", str(exc))

    @app.exception_handler(ConfigRefused)
    async def config_refused(_: Request, exc: ConfigRefused):
        code = "invalid_config" if exc.status == 422 else "config_not_changed"
        reason = config_reason(str(exc).split(": ", 1)[-1])  # "key: reason"
        return _answer(exc.status, code, str(exc), key=exc.key, field=exc.key, reason=reason)

    @app.exception_handler(TicketNotPrinted)
    async def print_failed(_: Request, exc: TicketNotPrinted):
        return _answer(503, "printer_failed", str(exc), cancelled=exc.label)

    @app.exception_handler(PeriodRefused)
    async def bad_period(_: Request, exc: PeriodRefused):
        return _answer(422, "invalid_period", str(exc), reason=exc.reason, **exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        return _answer(422, "invalid_request", _validation_message(exc), fields=_fields(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 404 and _wants_a_page(request):
            root = escape(request.scope.get("root_path", "").rstrip("/") + "/")
            return HTMLResponse(_NOT_FOUND_PAGE.replace("<head>", f'<head><base href="{root}">',
                                                        1), 404)
        if exc.status_code == 400:  # a body FastAPI could not even parse (bad JSON, not UTF-8)
            return _answer(422, "invalid_request", "the body is not valid JSON in UTF-8")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return _answer(exc.status_code, code, str(exc.detail))
