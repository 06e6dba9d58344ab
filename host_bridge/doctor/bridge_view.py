"""What the running bridge says about itself over HTTP: GET /api/health (public), and the
boards' health from GET /api/devices when doctor has a supervisor's token; where it listens.

The address: --url, else the systemd unit that serves this site file (its --host and --port),
else `suivant serve`'s own defaults.
"""
from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HTTP_TIMEOUT_S = 1.5
MAX_ANSWER = 4 * 1024 * 1024  # /api/devices for hundreds of boards is well under this
UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
DEFAULT_URL = "http://127.0.0.1:8080"  # `suivant serve`'s --host and --port defaults
NO_TOKEN = "no token"
NOT_THIS_SITE = "not this site's bridge"
_ANY = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class BridgeView:
    url: str
    health: dict[str, Any] | None = None
    error: str | None = None  # why health did not come
    stranger: bool = False  # something answered, but not as a Suivant bridge
    devices: list[dict[str, Any]] | None = None
    devices_error: str | None = None  # why the boards' health did not come


def _get(url: str, token: str | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as answer:
        return json.loads(answer.read(MAX_ANSWER))


def _why(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = getattr(exc, "reason", exc)
    return getattr(reason, "strerror", None) or str(reason) or type(exc).__name__


def look(url: str) -> BridgeView:
    """GET /api/health: the bridge's answer is a JSON object naming its site."""
    try:
        health = _get(url.rstrip("/") + "/api/health")
    except ValueError as exc:  # an HTML page, another program's API
        return BridgeView(url, error=f"its answer is not JSON: {exc}", stranger=True)
    except urllib.error.HTTPError as exc:  # every bridge has this page, open to all
        return BridgeView(url, error=_why(exc), stranger=exc.code == 404)
    except OSError as exc:  # URLError, timeouts, refused
        return BridgeView(url, error=_why(exc))
    if not isinstance(health, dict) or not isinstance(health.get("site"), str):
        return BridgeView(url, error=f"its answer names no site: {str(health)[:80]}",
                          stranger=True)
    return BridgeView(url, health)


def with_devices(view: BridgeView, token: str | None, site_id: str) -> BridgeView:
    """The view with the boards' health from GET /api/devices, when this site's bridge
    answers: the token goes to no other server (a wrong --url, a neighbour's bridge)."""
    if view.health is None:
        return view
    if view.health.get("site") != site_id:
        return replace(view, devices_error=NOT_THIS_SITE)
    if not token:
        return replace(view, devices_error=NO_TOKEN)
    try:
        devices = _get(view.url.rstrip("/") + "/api/devices", token)["devices"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return replace(view, devices_error=_why(exc))
    return replace(view, devices=devices)


def unit_url(config: str, unit_dirs: tuple[str, ...] = UNIT_DIRS) -> tuple[str, str] | None:
    """(url, unit file) of a systemd unit whose ExecStart serves this site file, if any."""
    wanted = Path(config).resolve()
    for folder in unit_dirs:
        try:
            units = sorted(Path(folder).glob("*.service"))[:500]
        except OSError:
            continue
        for unit in units:
            try:
                text = unit.read_text(encoding="utf-8", errors="replace")[:65536]
            except OSError:
                continue
            for line in text.splitlines():
                if line.strip().startswith("ExecStart="):
                    url = _serve_url(line.split("=", 1)[1], wanted)
                    if url:
                        return url, str(unit)
    return None


def _serve_url(command: str, wanted: Path) -> str | None:
    try:
        words = shlex.split(command.lstrip("-@+!:"))
    except ValueError:
        return None
    if "serve" not in words:
        return None
    options: dict[str, str] = {}
    for i, word in enumerate(words):
        if word.startswith("--") and "=" in word:
            key, _, value = word.partition("=")
            options[key] = value
        elif word.startswith("--") and i + 1 < len(words):
            options[word] = words[i + 1]
    if "--config" not in options or Path(options["--config"]).resolve() != wanted:
        return None
    host = options.get("--host", "127.0.0.1")
    host = _ANY.get(host, host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{options.get('--port', '8080')}"
