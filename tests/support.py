"""Constants and helpers any test may import (`from support import ...`).

Not in conftest.py: tests/unit has a conftest too, and `from conftest import` would pick
whichever was imported first.
"""
from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mairie.toml"
PARIS = ZoneInfo("Europe/Paris")
AGENT = {"Authorization": "Bearer demo-agent"}
ADMIN = {"Authorization": "Bearer demo-admin"}
SUPERVISOR = {"Authorization": "Bearer demo-superviseur"}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def example_refusal(change: Callable[[dict[str, Any]], None]) -> Any:
    """The example config after `change(document)`: the ConfigError it must get (fails if none)."""
    import pytest

    from host_bridge.site_config import ConfigError, parse, read_toml
    document = read_toml(EXAMPLE)
    change(document)
    with pytest.raises(ConfigError) as refused:
        parse(document, "site.toml")
    return refused.value
