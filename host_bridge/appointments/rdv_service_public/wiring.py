"""RDV Service Public plugged into a running bridge's appointments (runtime.py):

    runtime = appointments.runtime.start(settings, service, app)
    if settings.rdv_service_public is not None:      # rdv_service_public.parse(table, folder)
        rdv_service_public.attach(settings.rdv_service_public, runtime, app, service)

The webhook writes the runtime's store; the outcome reporter joins its Outcomes (the sweep's
thread calls it).
"""
from __future__ import annotations

from typing import Any

from .reporter import Reporter
from .router import build
from .settings import Settings
from .webhook import SOURCE


def attach(settings: Settings, runtime: Any, app: Any, service: Any) -> None:
    app.include_router(build(settings, runtime.store, service.clock, service.tz))
    if settings.api_url is not None:
        runtime.outcomes.add(SOURCE, Reporter(settings))
