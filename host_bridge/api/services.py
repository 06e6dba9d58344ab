"""Services and their queues: what the kiosk, the hall screen and the supervisor read."""
from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from ..domain.errors import UnknownService
from ..domain.queue import QueueState
from ..service.views import public_ticket, service_view
from .deps import Service
from .errors import responses
from .schemas import ServicePath

router = APIRouter(prefix="/api", tags=["services"])


def _known(state: QueueState, service_id: str) -> None:
    if state.site.service(service_id) is None:
        raise UnknownService(f"unknown service {service_id!r}")


@router.get("/site", summary="The site: services (with FAQ), counters, priority categories")
def site(service: Service):
    s = service.site
    return {"id": s.id, "name": s.name, "timezone": s.timezone,
            "services": [dataclasses.asdict(x) for x in s.services],
            "counters": [dataclasses.asdict(k) for k in s.counters],
            "priority_categories": [dataclasses.asdict(k) for k in s.categories]}


@router.get("/services", summary="Every service: people waiting, counters open, estimated wait")
def list_services(service: Service):
    return service.read(lambda s: {"services": [service_view(s, x.id) for x in s.site.services]})


@router.get("/services/{service_id}", summary="One service", responses=responses(404, 422))
def get_service(service_id: ServicePath, service: Service):
    def read(state: QueueState) -> dict:
        _known(state, service_id)
        return service_view(state, service_id)
    return service.read(read)


@router.get("/services/{service_id}/queue", summary="The waiting list of a service, in call order",
            responses=responses(404, 422))
def queue(service_id: ServicePath, service: Service):
    def read(state: QueueState) -> dict:
        _known(state, service_id)
        ranked = sorted((state.ahead_of(t), t.arrival_key, t) for t in state.waiting.get(service_id, []))
        return {"service": service_id, "waiting": [
            {**public_ticket(t), "ahead": ahead} for ahead, _, t in ranked]}
    return service.read(read)
