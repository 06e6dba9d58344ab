"""Liveness for supervisors' monitoring and for the demo's own checks."""
from __future__ import annotations

from fastapi import APIRouter, Request

from .deps import Service

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="The bridge is up; its business day and last event; in a "
                               "network, its link to central")
def health(service: Service, request: Request):
    day = service.read(lambda s: s.day.isoformat() if s.day else None)
    answer = {"status": "ok", "site": service.site.id, "day": day,
              "last_seq": service.store_last_seq()}
    publisher = getattr(request.app.state, "publisher", None)
    if publisher is not None:
        answer["network"] = publisher.status()
    return answer
