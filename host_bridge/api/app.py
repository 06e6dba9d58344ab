"""The HTTP application: routers, error mapping, and the objects they share."""
from __future__ import annotations

from fastapi import FastAPI

from ..service.queue_service import QueueService
from ..site_config import Settings
from ..printing.kiosk import KioskPrinter
from ..printing.ticket_printer import TicketPrinter
from ..web import pages
from . import (
    admin, counters, devices, errors, faq, health, indicators, me, services, stream, tickets,
)
from .auth import Authenticator
from .limits import InputLimits, Limits, configure


# Route functions return the service's plain dicts and carry no return annotation on purpose:
# with one FastAPI validates every answer against a model, a per-request cost for nothing.
def create_app(settings: Settings, service: QueueService, limits: Limits | None = None) -> FastAPI:
    # No store close in a lifespan: test clients and ASGI tools run the lifespan once per
    # request. Every answered command is already committed; closing the store at exit only
    # checkpoints the WAL, which the next start does anyway.
    app = FastAPI(title="Suivant host bridge", version="0.1.0",
                  description=f"Queue of {settings.site.name}: tickets, counters, services, live events.")
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
                   admin):
        app.include_router(module.router)
    pages.install(app)
    return app
