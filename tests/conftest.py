"""Fixtures shared by every layer: the example town hall on a fresh database, and a clock."""
from __future__ import annotations

import dataclasses
import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from host_bridge.service.clock import ManualClock
from host_bridge.site_config import Settings, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mairie.toml"
PARIS = ZoneInfo("Europe/Paris")
AGENT = {"Authorization": "Bearer demo-agent"}
ADMIN = {"Authorization": "Bearer demo-admin"}
SUPERVISOR = {"Authorization": "Bearer demo-superviseur"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(tmp_path) -> Settings:
    """examples/mairie.toml on a database in tmp_path, open at any hour."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(base.site.rules,
                                                                    refuse_outside_hours=False))
    return dataclasses.replace(base, site=site, db_path=str(tmp_path / "queue.db"))


@pytest.fixture
def clock() -> ManualClock:
    """Thursday 26 November 2026, 10:00 in Paris: inside opening hours."""
    return ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
