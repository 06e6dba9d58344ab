"""The HTTP application: routers, error mapping, and the objects they share."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..service.queue_service import QueueService
from ..site_config import Settings
from . import counters, errors, health, services, stream, tickets
from .auth import Authenticator


def create_app(settings: Settings, service: QueueService) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        service.store.close()  # on a clean shutdown (Ctrl-C, SIGTERM), not left to the OS

    app = FastAPI(title="Suivant host bridge", version="0.1.0", lifespan=lifespan,
                  description=f"Queue of {settings.site.name}: tickets, counters, services, live events.")
    app.state.service = service
    app.state.auth = Authenticator(settings.users)
    errors.install(app)
    for module in (tickets, counters, services, stream, health):
        app.include_router(module.router)
    return app
