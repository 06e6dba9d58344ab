"""RDV Service Public plugged into a running bridge's appointments (runtime.py):

    runtime = appointments.runtime.start(settings, service, app)
    if settings.rdv_service_public is not None:      # rdv_service_public.parse(table, folder)
        links.append(rdv_service_public.attach(settings.rdv_service_public, runtime, app, service))

The webhook writes the runtime's store; the outcome reporter joins its Outcomes (the sweep's
thread calls it); with an API, today's rdvs are also pulled in their own thread. The result
has `stop()` (the pull's thread) and `status()` (the last pull: for /api/health).
"""
from __future__ import annotations

from typing import Any

from .pull import Puller
from .reporter import Reporter
from .router import build
from .settings import Settings
from .webhook import SOURCE


class Connection:
    def __init__(self, puller: Puller | None):
        self.puller = puller

    def status(self) -> dict[str, Any]:
        return {"pull": self.puller.status() if self.puller else None}

    def stop(self) -> None:
        if self.puller is not None:
            self.puller.stop()


def attach(settings: Settings, runtime: Any, app: Any, service: Any, start: bool = True
           ) -> Connection:
    """`start=False`: the pull's thread is not started (tests run its rounds by hand)."""
    app.include_router(build(settings, runtime.store, service.clock, service.tz))
    puller = None
    if settings.api_url is not None:
        runtime.outcomes.add(SOURCE, Reporter(settings))
        if settings.pull_minutes:
            puller = Puller(runtime.store, settings, service.clock, service.tz)
            if start:
                puller.start()
    return Connection(puller)
