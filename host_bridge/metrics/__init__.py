"""Prometheus metrics at /metrics (issue 16): a public part, what the hall screen already shows,
and a staff part for a supervisor's or administrator's token, as /api/health and the staff
status routes split them. Each bridge has its own registries (several run in one test
process); gauges are read from the bridge's state at scrape time (collectors.py), the command
path counts as it goes (commands.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from .collectors import BackupsCollector, DevicesCollector, QueueCollector, StreamsCollector
from .commands import CommandMetrics


@dataclass(frozen=True)
class Registries:
    public: CollectorRegistry
    staff: CollectorRegistry


def install(app: FastAPI, registry: Any, gateway: Any) -> Registries:
    """The app's registries, its service's observer, and the /metrics route."""
    from .route import router
    service = app.state.service
    public, staff = CollectorRegistry(auto_describe=False), CollectorRegistry(auto_describe=False)
    public.register(QueueCollector(service))
    service.observer = CommandMetrics(staff)
    staff.register(DevicesCollector(registry, gateway))
    staff.register(StreamsCollector(app.state.stream_slots))
    staff.register(BackupsCollector(app.state))
    app.state.metrics = Registries(public, staff)
    app.include_router(router)
    return app.state.metrics
