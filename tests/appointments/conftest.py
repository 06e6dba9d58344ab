"""The example town hall's bridge (tests/conftest.py's bridge, settings and clock: Thursday
26 November 2026, 10:00 in Paris) with its appointments, built but not started: the tests run
the sweep's and the feeds' rounds by hand."""
from __future__ import annotations

import pytest

from host_bridge.appointments import runtime


@pytest.fixture
def appointments(settings, bridge):
    r = runtime.build(settings, bridge.service, bridge.app)
    yield r
    r.stop()
