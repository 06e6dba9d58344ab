"""The example town hall's appointments as the demo runs them: « Passeports / CNI » read from
examples/passeports-cni.ics beside examples/mairie.toml, citizens checking in at the kiosk
over HTTP (rate-limited like taking a ticket), the threads started and stopped."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from host_bridge.api.limits import Limits, configure
from host_bridge.appointments import runtime
from host_bridge.bootstrap import build
from host_bridge.service.clock import ManualClock
from host_bridge.site_config import load
from support import EXAMPLE, PARIS


@pytest.fixture
def example(tmp_path):
    """examples/mairie.toml as it is (its source: the iCal file is found beside it), on a
    database in tmp_path, open at any hour, a Saturday at 09:20."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False))
    settings = dataclasses.replace(base, site=site, db_path=str(tmp_path / "queue.db"),
                                   devices_path=str(tmp_path / "devices.db"))
    bridge = build(settings, ManualClock(datetime(2026, 11, 28, 9, 20, tzinfo=PARIS)))
    yield settings, bridge
    bridge.close()


def test_the_demo_day_checks_citizens_in_at_the_kiosk(example):
    settings, bridge = example
    appointments = runtime.build(settings, bridge.service, bridge.app)
    try:
        appointments.feeds.run_once()
        [feed] = appointments.feeds.status()
        assert feed["ok"] and feed["appointments"] == 12, feed
        configure(bridge.app.state, Limits(public_burst=2, public_per_minute=1))
        with TestClient(bridge.app, client=("192.0.2.7", 5000)) as kiosk:
            r = kiosk.post("/api/appointments/check-in", json={"key": "h4m9tr"})  # 09:15
            assert r.status_code == 201, r.text
            assert r.json()["ticket"]["label"] == "P001"
            assert r.json()["appointment"]["time"] == "09:15"
            r = kiosk.post("/api/appointments/check-in", json={"key": "AB12CD34EF"})  # the same
            assert r.status_code == 200 and r.json()["ticket"]["label"] == "P001"
            r = kiosk.post("/api/appointments/check-in", json={"key": "RY 10:15"})
            assert r.status_code == 429 and "Retry-After" in r.headers
    finally:
        appointments.stop()


def test_started_threads_read_the_feed_and_stop(example):
    settings, bridge = example
    appointments = runtime.start(settings, bridge.service, bridge.app, every_s=0.05)
    threads = [appointments.feeds._rounds._thread, appointments.sweep._rounds._thread]
    try:
        assert bridge.app.state.appointments is appointments
        for _ in range(100):  # the feed's first read happens at once: at most a few ms
            if appointments.feeds.status()[0]["ok"]:
                break
            threads[0].join(0.05)
        assert appointments.feeds.status()[0]["appointments"] == 12
    finally:
        appointments.stop()
    assert not any(t.is_alive() for t in threads)
