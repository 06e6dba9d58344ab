"""The HTTP application: routers, error mapping, and the objects they share."""
from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..service.queue_service import QueueService
from ..site_config import Settings
from ..site_versions import running_version
from ..printing.kiosk import KioskPrinter
from ..printing.ticket_printer import TicketPrinter
from ..web import pages
from .. import questions, survey
from . import (
    admin, appointments, counters, devices, errors, faq, health, indicators, me, push, results,
    services, sms, stream, tickets,
)
from .auth import Authenticator
from .limits import InputLimits, Limits, configure


# Route functions return the service's plain dicts and carry no return annotation on purpose:
# with one FastAPI validates every answer against a model, a per-request cost for nothing.
def create_app(settings: Settings, service: QueueService, limits: Limits | None = None) -> FastAPI:
    # No store close in a lifespan: test clients and ASGI tools run the lifespan once per
    # request. Every answered command is already committed; closing the store at exit only
    # checkpoints the WAL, which the next start does anyway.
    app = FastAPI(title="Suivant host bridge", version=running_version(), docs_url=None, redoc_url=None,
                  description=f"Queue of {settings.site.name}: tickets, counters, services, live events.")
    _offline_docs(app)
    app.state.service = service
    app.state.auth = Authenticator(settings.users)
    app.state.public_url = settings.public_url
    app.state.config_source = settings.source  # the administration page writes it back
    app.state.figures_per_counter = settings.figures_per_counter
    app.state.kiosk_printer = None if settings.printer is None else KioskPrinter(
        service, TicketPrinter(settings.printer.url), settings.printer.footer)
    # bodies, slow bodies, anonymous writes and streams bounded (api/limits.py): the site's
    # own limits when its config has them, else the defaults
    configure(app.state, limits or getattr(settings, "limits", None) or Limits())
    app.state.stream_slots = stream.StreamSlots()
    app.add_middleware(InputLimits, state=app.state)
    errors.install(app)
    for module in (tickets, counters, services, faq, stream, health, devices, me, indicators,
                   results, admin, appointments, push, sms):
        app.include_router(module.router)
    # the citizens' questions and the survey after the visit: their own folders, their routes
    questions.install(app, settings, service)
    survey.install(app, settings, service)
    pages.install(app)
    return app


# /docs and /redoc without internet: FastAPI's own pages load Swagger UI and ReDoc from a CDN,
# blank on a town hall's LAN. The files come from the fastapi-offline wheel (MIT, maintained,
# its static/ refreshed with each release: swagger-ui-bundle.js, swagger-ui.css,
# redoc.standalone.js), served here under /static/docs; only its files are used, FastAPI's
# own page builders draw the pages. Chosen over copying npm's swagger-ui-dist and redoc into
# the repository (3 MB of vendored JavaScript to keep up to date by hand) or fetching them at
# install time (a pip-installed wheel would then lack them).
_DOCS = Path(fastapi_offline.__file__).parent / "static"


# ReDoc shows Redocly's logo from their CDN (hidden when unreachable): the browser is told to
# fetch nothing from elsewhere, so the pages never reach out, even where internet is open.
_DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
             "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'")


def _offline_docs(app: FastAPI) -> None:
    app.mount("/static/docs", StaticFiles(directory=_DOCS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")  # behind a proxy's prefix (install/proxy.py)
        return _no_outside(get_swagger_ui_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} — Swagger UI",
            swagger_js_url=f"{root}/static/docs/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/static/docs/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/docs/favicon.png"))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _no_outside(get_redoc_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} — ReDoc",
            redoc_js_url=f"{root}/static/docs/redoc.standalone.js",
            redoc_favicon_url=f"{root}/static/docs/favicon.png", with_google_fonts=False))


def _no_outside(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = _DOCS_CSP
    return page
