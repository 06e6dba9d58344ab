"""Administration: the site's editable sections (service/site_admin.py), admins only."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from ..service.site_admin import SiteAdmin
from .auth import Forbidden
from .deps import Service, Staff, staff_of
from .errors import responses

router = APIRouter(prefix="/api/admin", tags=["administration"])


def _admin(request: Request, service: Any, user: Any) -> SiteAdmin:
    if user.role != "admin":
        raise Forbidden(f"role {user.role!r} cannot change the site")
    return SiteAdmin(service, getattr(request.app.state, "registry", None),
                     request.app.state.config_source)


@router.get("/config", summary="The editable part of the site's configuration",
            responses=responses(401, 403, 409))
def get_config(request: Request, service: Service, user: Staff):
    return _admin(request, service, user).editable()


@router.put("/config", summary="Change services, counters, categories, hours and rules, live",
            responses={**responses(401, 403, 409, 422)})
def put_config(request: Request, service: Service, user: Staff,
               body: dict[str, Any] = Body(..., description="the sections to replace")):
    config, backup = _admin(request, service, user).change(body)
    # who changed which sections (their values are in the site file and its backups)
    staff_of(request.app).audit.record("site_changed", user.name, detail=", ".join(sorted(body)),
                                       via="api")
    return {"config": config, "backup": backup}
