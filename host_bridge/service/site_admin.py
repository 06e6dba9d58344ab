"""The site changed while the bridge runs: services (with their FAQ), counters, priority
categories, opening hours and queue rules.

    admin = SiteAdmin(service, registry, "site.toml")
    admin.editable()                 # those sections, as the file has them
    admin.change({"services": [...]})  # -> (the new sections, the backup's file name)

A change is checked by the same validator as the config file (ConfigRefused names the key),
then against today's queue (SiteChangeRefused: a service with tickets today or a counter used
today stays until tomorrow), then applied at once and written back to the site's TOML file —
the previous file kept beside it as `<file>.<time>.bak`, the new one written under a temporary
name and renamed. Staff accounts, the store, the broker, the serial ports and the printer stay
file-only.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from ..site_config import ConfigError, parse, read_toml
from ..toml_writer import dumps

SECTIONS = ("site", "services", "counters", "priority_categories", "hours", "rules")
MAX_BYTES = 256 * 1024
HEADER = ("Suivant site configuration (docs/operations.md). Written by {by}\n"
          "on {when}; the previous version is beside it ({backup}).")
# one change at a time per process: the administration page and central's published file
# (network/config_pull.py) both read, check and write the same file
_WRITING = threading.Lock()


class ConfigRefused(Exception):
    """A change refused before anything changed: the key at fault and why. `status`: 422 for
    a wrong change, 409 when this bridge has no config file to change."""

    def __init__(self, key: str, reason: str, status: int = 422):
        super().__init__(f"{key}: {reason}")
        self.key, self.status = key, status


class SiteAdmin:
    def __init__(self, service: Any, registry: Any, source: str | None):
        self.service, self.registry, self.source = service, registry, source

    def _path(self) -> Path:
        if not self.source or not Path(self.source).is_file():
            raise ConfigRefused("-", "this bridge was not started from a config file", 409)
        return Path(self.source)

    def editable(self) -> dict[str, Any]:
        doc = read_toml(self._path())
        return {k: doc[k] for k in SECTIONS if k in doc}

    def change(self, sections: dict[str, Any],
               by: str = "the administration page") -> tuple[dict[str, Any], str]:
        with _WRITING:
            return self._change(sections, by)

    def _change(self, sections: dict[str, Any], by: str) -> tuple[dict[str, Any], str]:
        path = self._path()
        if len(json.dumps(sections)) > MAX_BYTES:
            raise ConfigRefused("-", f"at most {MAX_BYTES // 1024} KB")
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ConfigRefused(unknown[0], f"not editable here (only {', '.join(SECTIONS)})")
        doc = read_toml(path)
        doc.update(sections)
        try:
            settings = parse(doc, str(path))  # relative paths in it are the file's folder's
            dumps(doc)  # what cannot be written back is refused before anything changes
        except ConfigError as exc:
            raise ConfigRefused(exc.key, exc.reason) from None
        except ValueError as exc:
            raise ConfigRefused("-", str(exc)) from None
        self.service.change_site(settings.site)  # SiteChangeRefused leaves everything as it was
        if self.registry is not None:
            self.registry.valid_counters = frozenset(k.number for k in settings.site.counters)
        when = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.{when}.bak")
        n = 1
        while backup.exists():  # two changes in one second: each keeps the file it replaced
            n += 1
            backup = path.with_name(f"{path.name}.{when}-{n}.bak")
        shutil.copy2(path, backup)
        temp = path.with_name(f".{path.name}.new")
        temp.write_text(dumps(doc, HEADER.format(by=by, when=when, backup=backup.name)), encoding="utf-8")
        os.replace(temp, path)
        return {k: doc[k] for k in SECTIONS if k in doc}, backup.name
