"""Services and their queues: what the kiosk, the hall screen and the supervisor read."""
from __future__ import annotations

from fastapi import APIRouter

from ..service.views import opening_view, service_view, site_view, waiting_list_view
from .deps import Service
from .errors import responses
from .schemas import ServicePath

router = APIRouter(prefix="/api", tags=["services"])


@router.get("/site", summary="The site: services (with FAQ), counters, priority categories, and "
                         "whether it issues tickets now (`open`)")
def site(service: Service):
    return {**site_view(service.site), "open": opening_view(service.site, service.clock.now().astimezone(service.tz))}


@router.get("/services", summary="Every service: people waiting, counters open, estimated wait")
def list_services(service: Service):
    return service.read(lambda s: {"services": [service_view(s, x.id) for x in s.site.services]})


@router.get("/services/{service_id}", summary="One service", responses=responses(404, 422))
def get_service(service_id: ServicePath, service: Service):
    return service.read(lambda s: service_view(s, service_id))


@router.get("/services/{service_id}/queue", summary="The waiting list of a service, in call order",
            responses=responses(404, 422))
def queue(service_id: ServicePath, service: Service):
    return service.read(lambda s: waiting_list_view(s, service_id))
