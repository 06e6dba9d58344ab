"""Liveness for supervisors' monitoring and for the demo's own checks."""
from __future__ import annotations

from fastapi import APIRouter

from .deps import Service

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="The bridge is up; its business day and last event")
def health(service: Service):
    day = service.read(lambda s: s.day.isoformat() if s.day else None)
    return {"status": "ok", "site": service.site.id, "day": day, "last_seq": service.store_last_seq()}
