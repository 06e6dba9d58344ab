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
    mqtt = mqtt_state(request.app.state)
    if mqtt is not None:
        answer["mqtt"] = mqtt
    publisher = getattr(request.app.state, "publisher", None)
    if publisher is not None:
        answer["network"] = publisher.status()
    booked = appointments_health(request.app.state)
    if booked is not None:
        answer["appointments"] = booked
    return answer


def mqtt_state(state) -> str | None:
    """Whether the bridge is connected to its broker ("connected" / "disconnected"): what
    `suivant doctor` reads rather than connect with the bridge's own account itself (the
    broker takes the user name as client id: a second connection would push the bridge off)."""
    gateway = getattr(state, "gateway", None)
    link = gateway.links.get("mqtt") if gateway is not None else None
    if link is None:
        return None
    return "connected" if link.connected.is_set() else "disconnected"


def appointments_health(state) -> dict | None:
    """Whether today's appointments came in: each iCal feed's last import, RDV Service Public's
    last pull. Public, so no error text (a feed's error can quote its URL, which may hold a
    private token): the staff's GET /api/appointments/status has it."""
    runtime = getattr(state, "appointments", None)
    if runtime is None:
        return None
    out = {"feeds": [{k: f.get(k) for k in ("service", "ok", "last_import", "appointments")}
                     for f in runtime.status().get("feeds", [])]}
    rdv = getattr(state, "rdv_service_public", None)
    pull = rdv.status().get("pull") if rdv is not None else None
    if pull is not None:
        out["rdv_service_public"] = {"ok": pull.get("error") is None and pull.get("at") is not None,
                                     "last_pull": pull.get("at")}
    return out
