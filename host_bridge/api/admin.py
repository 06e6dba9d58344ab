"""Administration: the site's services (with their FAQ), counters, priority categories,
opening hours and queue rules, read and changed while the bridge runs. Admins only.

A change is checked by the same validator as the config file (the refusal names the key), then
against today's queue (a service with tickets today or a counter used today stays until
tomorrow), then applied at once and written back to the site's TOML file — the previous file
kept beside it as `<file>.<time>.bak`, the new one written under a temporary name and renamed.
Staff accounts, the store, the broker, the serial ports and the printer stay file-only.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Request

from ..site_config import ConfigError, parse, read_toml
from ..toml_writer import dumps
from .auth import Forbidden
from .deps import Service, Staff
from .errors import ConfigRefused, responses

router = APIRouter(prefix="/api/admin", tags=["administration"])
SECTIONS = ("site", "services", "counters", "priority_categories", "hours", "rules")
MAX_BYTES = 256 * 1024
HEADER = ("Suivant site configuration (docs/operations.md). Written by the administration page\n"
          "on {when}; the previous version is beside it ({backup}).")


def _admin(user: Any) -> None:
    if user.role != "admin":
        raise Forbidden(f"role {user.role!r} cannot change the site")


def _path(request: Request) -> Path:
    source = request.app.state.config_source
    if not source or not Path(source).is_file():
        raise ConfigRefused("-", "this bridge was not started from a config file", 409)
    return Path(source)


@router.get("/config", summary="The editable part of the site's configuration",
            responses=responses(401, 403, 409))
def get_config(request: Request, user: Staff):
    _admin(user)
    doc = read_toml(_path(request))
    return {k: doc[k] for k in SECTIONS if k in doc}


@router.put("/config", summary="Change services, counters, categories, hours and rules, live",
            responses={**responses(401, 403, 409, 422)})
def put_config(request: Request, service: Service, user: Staff,
               body: dict[str, Any] = Body(..., description="the sections to replace")):
    _admin(user)
    path = _path(request)
    if len(json.dumps(body)) > MAX_BYTES:
        raise ConfigRefused("-", f"at most {MAX_BYTES // 1024} KB", 422)
    unknown = sorted(set(body) - set(SECTIONS))
    if unknown:
        raise ConfigRefused(unknown[0], f"not editable here (only {', '.join(SECTIONS)})", 422)
    doc = read_toml(path)
    doc.update(body)
    try:
        settings = parse(doc, path.name)
        dumps(doc)  # what cannot be written back is refused before anything changes
    except ConfigError as exc:
        raise ConfigRefused(exc.key, exc.reason, 422) from None
    except ValueError as exc:
        raise ConfigRefused("-", str(exc), 422) from None
    service.change_site(settings.site)  # SiteChangeRefused (409) leaves everything as it was
    registry = getattr(request.app.state, "registry", None)
    if registry is not None:
        registry.valid_counters = frozenset(k.number for k in settings.site.counters)
    when = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{when}.bak")
    shutil.copy2(path, backup)
    temp = path.with_name(f".{path.name}.new")
    temp.write_text(dumps(doc, HEADER.format(when=when, backup=backup.name)), encoding="utf-8")
    os.replace(temp, path)
    return {"config": {k: doc[k] for k in SECTIONS if k in doc}, "backup": backup.name}
