"""The device registry as supervisors and technicians see it: who is online, what it runs."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..links.registry import DeviceRegistry
from ..ota.progress import rollout_view
from .auth import Forbidden
from .deps import Staff

router = APIRouter(prefix="/api", tags=["devices"])


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def device_views(registry: DeviceRegistry, refusals: dict[str, Any] | None = None,
                 updates: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Each device and its health; never its key or broker password."""
    out = []
    for dev in registry.all():
        h = registry.health.get(dev.id)
        if h is None:  # removed while we read
            continue
        out.append({
            "id": dev.id, "role": dev.role, "counter": dev.counter, "link": dev.link,
            "serial_port": dev.serial_port, "serial_address": dev.serial_address,
            "online": h.online, "last_seen": _iso(h.last_seen), "firmware": h.firmware or dev.firmware,
            "boot": h.boot, "uptime_s": h.uptime_s, "rssi": h.rssi, "free_heap": h.heap,
            "heap_alloc": h.heap_alloc, "heap_largest_block": h.heap_largest,
            "link_errors": h.link_errors, "shown": h.shown, "bad_messages": h.bad_messages,
            "refused": dict((refusals or {}).get(dev.id, {})),
            "update": (updates or {}).get(dev.id),  # in the latest rollout, else None
        })
    return out


@router.get("/devices", summary="The boards: role, counter, link, online, last seen, firmware, "
                                "RSSI, heap (free, allocated, largest free block), errors, "
                                "firmware update (supervisor or admin)",
            responses={401: {"description": "no or unknown token"},
                       403: {"description": "an agent's token"}})
def devices(request: Request, user: Staff):
    if user.role not in ("supervisor", "admin"):
        raise Forbidden(f"role {user.role!r} cannot see the devices")
    registry: DeviceRegistry | None = getattr(request.app.state, "registry", None)
    gateway = getattr(request.app.state, "gateway", None)
    if registry is None:
        return {"devices": [], "links": {}, "rollout": None}
    store = getattr(request.app.state, "update_store", None)
    rollout, boards = rollout_view(store) if store is not None else (None, {})
    return {"devices": device_views(registry, gateway.refusals if gateway else None, boards),
            "links": gateway.link_stats() if gateway is not None else {},
            "rollout": rollout}
