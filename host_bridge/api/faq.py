"""The FAQ of a service, most read first: citizens read it while they wait (the ticket page),
and each reading counts, so the questions people have come first."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from .deps import Service
from .errors import responses
from .schemas import ServicePath

router = APIRouter(prefix="/api/services", tags=["services"])
EntryNumber = Annotated[int, Path(ge=0, le=999, description="the entry's id (its place in the config)")]


@router.get("/{service_id}/faq", summary="The service's FAQ, most read first",
            responses=responses(404, 422))
def faq(service_id: ServicePath, service: Service):
    return service.faq(service_id)


@router.post("/{service_id}/faq/{entry}/view", status_code=204,
             summary="Someone read this entry (the ticket page says so once per reader)",
             responses=responses(404, 422))
def viewed(service_id: ServicePath, entry: EntryNumber, service: Service) -> Response:
    service.faq_viewed(service_id, entry)
    return Response(status_code=204)
