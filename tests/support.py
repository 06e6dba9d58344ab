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


def example_settings(folder: Path) -> Any:
    """The example town hall on fresh files in `folder`, open at any hour (a test's clock may
    stand on a Sunday): the settings `suivant serve` would build, its config file copied there
    (the administration page writes it back)."""
    import dataclasses

    from host_bridge.site_config import load
    base = load(EXAMPLE)
    (folder / "mairie.toml").write_bytes(EXAMPLE.read_bytes())
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False))
    return dataclasses.replace(base, site=site, db_path=str(folder / "queue.db"),
                               devices_path=str(folder / "devices.db"),
                               source=str(folder / "mairie.toml"))
