"""Fixtures shared by every layer: the example town hall on a fresh database, and a clock."""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

import pytest

from host_bridge.service.clock import ManualClock
from host_bridge.site_config import Settings, load
from log_secrets import SecretWatch
from support import EXAMPLE, PARIS


@pytest.fixture
def settings(tmp_path) -> Settings:
    """examples/mairie.toml on a database in tmp_path, open at any hour. Its source is a copy
    in tmp_path: a test that changes the site through the administration API writes there (a
    test once rewrote the example itself)."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(base.site.rules,
                                                                    refuse_outside_hours=False))
    source = tmp_path / "mairie.toml"
    source.write_bytes(EXAMPLE.read_bytes())
    return dataclasses.replace(base, site=site, db_path=str(tmp_path / "queue.db"),
                               devices_path=str(tmp_path / "devices.db"), source=str(source))


@pytest.fixture
def clock() -> ManualClock:
    """Thursday 26 November 2026, 10:00 in Paris: inside opening hours."""
    return ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))


@pytest.fixture
def bridge(settings, clock):
    """The example site's bridge, built in process (its links not started)."""
    from host_bridge.bootstrap import build
    b = build(settings, clock)
    yield b
    b.close()


@pytest.fixture
def client(bridge):
    """An HTTP client on the bridge's app: what most API tests start from."""
    from fastapi.testclient import TestClient
    with TestClient(bridge.app) as c:
        yield c


@pytest.fixture(autouse=True, scope="session")
def _no_secret_logged():
    """No log record of the whole run holds a test's secret or phone number (log_secrets.py)."""
    watch = SecretWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    # the bridge's own info records too (a site's level); the libraries' stay at warning
    ours = [logging.getLogger(n) for n in ("host_bridge", "simulators")]
    levels = [(log, log.level) for log in ours if log.level == logging.NOTSET]
    for log, _ in levels:
        log.setLevel(logging.INFO)
    yield
    for log, level in levels:
        log.setLevel(level)
    root.removeHandler(watch)
    assert not watch.found, f"secrets in log records of this run: {watch.found}"


@pytest.fixture(autouse=True, scope="session")
def _examples_untouched():
    """The example site and traffic are the project's files: no test may write them (the
    administration API writes back to a site's file)."""
    folder = EXAMPLE.parent
    def files():  # examples/prometheus/ too
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file()}
    before = files()
    yield
    after = files()
    assert after == before, f"a test changed {folder}: {sorted(set(after) ^ set(before)) or 'a file'}"
