"""Questions answered while waiting: a citizen's chat from the ticket page to the reception
desk, the FAQ's answers shown first (domain/faq_match.py). `install(app, settings, service)`
adds its routes and sets `app.state.questions` (a bridge link: start/stop)."""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from .desk import Questions
from .errors import TooFrequent, TooManyWaiting
from .settings import QuestionSettings
from .store import QuestionStore, store_path


def _seat_of(app: Any, user: Any) -> int | None:
    """Where a named account sits (the console tells the bridge: POST /api/staff/counter)."""
    if not getattr(user, "session", None):
        return None
    from ..api.deps import staff_of
    return staff_of(app).seat_of(user)


def install(app: Any, settings: Any, service: Any) -> None:
    from .routes import citizen, staff
    rules = getattr(settings, "questions", None) or QuestionSettings()
    # no service: an app made only for its OpenAPI document (its routes, nothing behind them)
    app.state.questions = None if service is None else Questions(
        service, rules, QuestionStore(store_path(service.store.path)),
        seat_of=lambda user: _seat_of(app, user))
    app.include_router(citizen)
    app.include_router(staff)

    async def retry_later(_: Request, exc: TooFrequent | TooManyWaiting) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, exc.http_status,
                            headers={"Retry-After": str(exc.retry_after)})

    app.add_exception_handler(TooFrequent, retry_later)
    app.add_exception_handler(TooManyWaiting, retry_later)
