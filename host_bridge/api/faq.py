"""The FAQ of a service, most read first: citizens read it while they wait (the ticket page),
and each reading counts, so the questions people have come first."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from .deps import Service
from .errors import responses
from .schemas import ServicePath

router = APIRouter(prefix="/api/services", tags=["services"])
EntryNumber = Annotated[int, Path(ge=0, le=999, description="the entry's id (its place in the config)")]


@router.get("/{service_id}/faq", summary="The service's FAQ, most read first",
            responses=responses(404, 422))
def faq(service_id: ServicePath, service: Service):
    return service.faq(service_id)


ReaderTicket = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                    description="the reader's ticket id (today's)")]


@router.post("/{service_id}/faq/{entry}/view", status_code=204,
             summary="The holder of a ticket of today read this entry: counted once per "
                     "ticket and entry, so nobody can push an answer up by clicking",
             responses=responses(404, 422, 429))
def viewed(service_id: ServicePath, entry: EntryNumber, ticket: ReaderTicket,
           service: Service) -> Response:
    service.faq_viewed(service_id, entry, ticket)
    return Response(status_code=204)
