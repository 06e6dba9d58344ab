"""Fixtures shared by every layer: the example town hall on a fresh database, and a clock."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from host_bridge.service.clock import ManualClock
from host_bridge.site_config import Settings, load
from support import EXAMPLE, PARIS


@pytest.fixture
def settings(tmp_path) -> Settings:
    """examples/mairie.toml on a database in tmp_path, open at any hour."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(base.site.rules,
                                                                    refuse_outside_hours=False))
    return dataclasses.replace(base, site=site, db_path=str(tmp_path / "queue.db"),
                               devices_path=str(tmp_path / "devices.db"))


@pytest.fixture
def clock() -> ManualClock:
    """Thursday 26 November 2026, 10:00 in Paris: inside opening hours."""
    return ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
