"""The site file central publishes, taken by a site with [network] apply_config = true
(central/site_files.py publishes it): asked for on each connection and every minute; a version
newer than the one applied is checked and applied live by the administration page's own code
(service/site_admin.SiteAdmin.change: the same validation, the same refusals against today's
queue, the site file written back with its previous version kept beside it).

Only the administration page's sections are taken ([site], [[services]], [[counters]],
[[priority_categories]], [hours], [rules]); a section the published file lacks is emptied, as
the file says. Everything else — [network], [store], [mqtt], [[users]], … — stays the site's
own: central can neither cut the site off nor move its database. A file naming another site is
refused.

The applied version is kept in `<db>.config.json`; a refusal (version and reason) is kept in
memory, said in the site's state, and the same version is tried again each minute (a service
with tickets today may be removed tomorrow).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import tomllib
from pathlib import Path
from typing import Any

from ..service.site_admin import MAX_BYTES, SECTIONS, ConfigRefused
from . import wire

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
ASK_SECONDS = 5.0
EMPTY: dict[str, Any] = {"services": [], "counters": [], "priority_categories": [],
                         "hours": {}, "rules": {}}  # what a section the file lacks becomes


def sections_of(site_id: str, text: Any) -> dict[str, Any]:
    """The published file -> the sections to apply; ConfigRefused if it is not one."""
    if not isinstance(text, str):
        raise ConfigRefused("-", "central's answer holds no file")
    if len(text.encode()) > MAX_BYTES:
        raise ConfigRefused("-", f"at most {MAX_BYTES // 1024} KB")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigRefused("-", f"not valid TOML: {e}") from None
    site = doc.get("site")
    if not isinstance(site, dict) or site.get("id") != site_id:
        found = site.get("id") if isinstance(site, dict) else None
        raise ConfigRefused("site.id", f"{found!r} is not this site ({site_id!r})")
    return {k: doc.get(k, EMPTY.get(k)) for k in SECTIONS}


class ConfigPull:
    def __init__(self, site_id: str, db_path: str, admin: Any, audit: Any = None):
        """`admin`: a service.site_admin.SiteAdmin on the running site; `audit`: the site's
        staff.audit.AuditLog, where an applied version is written as the administration page
        writes its changes (actor `central`), if given."""
        self.site, self.admin, self.audit = site_id, admin, audit
        self.file = Path(db_path + ".config.json")
        self.applied = self._load()
        self.refused: dict[str, Any] | None = None
        self.next_at = 0.0  # asked at once on the first connection

    def _load(self) -> int | None:
        try:
            value = json.loads(self.file.read_text())["version"]
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save(self, version: int) -> None:
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": version, "applied_at": time.time()}))
        os.replace(tmp, self.file)

    def status(self) -> dict[str, Any]:
        """What the site's state says (central shows it beside the version it published)."""
        return {"config_version": self.applied, "config_refused": self.refused}

    def due(self) -> bool:
        return time.monotonic() >= self.next_at

    def reconnected(self) -> None:
        self.next_at = 0.0

    async def check(self, nc: Any) -> None:
        """Ask central; apply a newer version. Never raises: the publisher goes on."""
        self.next_at = time.monotonic() + EVERY_SECONDS
        try:
            msg = await nc.request(wire.request_subject("config", self.site), b"",
                                   timeout=ASK_SECONDS)
            answer = wire.decode_answer(msg.data)
        except Exception as e:  # noqa: BLE001 - central away: asked again next time
            log.info("network: central's site file not read (%s)", type(e).__name__)
            return
        version = answer.get("version")
        if version is None:
            return
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            log.warning("network: central's site file has no valid version: %r", version)
            return
        if self.applied is not None and version <= self.applied:
            return
        await asyncio.to_thread(self.apply, version, answer.get("toml"))

    def apply(self, version: int, text: Any) -> bool:
        """Through the administration page's code; -> applied. A refusal changes nothing."""
        from ..domain.errors import DomainError
        try:
            sections = sections_of(self.site, text)
            self.admin.change(sections, by="central (its published version)")
        except ConfigRefused as e:
            return self._refuse(version, str(e))
        except DomainError as e:  # SiteChangeRefused: today's queue still uses what it removes
            return self._refuse(version, getattr(e, "message", None) or str(e))
        self._save(version)
        self.applied, self.refused = version, None
        if self.audit is not None:
            try:
                self.audit.record("site_changed", "central", via="network",
                                  detail=f"version {version}: {', '.join(sorted(sections))}")
            except Exception:  # noqa: BLE001 - the change is made; its trace is logged anyway
                log.exception("network: writing the audit log")
        log.warning("network: site file version %d from central applied", version)
        return True

    def _refuse(self, version: int, reason: str) -> bool:
        if self.refused != {"version": version, "reason": reason[:300]}:
            log.warning("network: site file version %d from central refused: %s",
                        version, reason)
        self.refused = {"version": version, "reason": reason[:300]}
        return False
