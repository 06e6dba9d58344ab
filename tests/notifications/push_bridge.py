"""A bridge behind a real uvicorn with its Web Push wired, and the tests' push service beside
it: for the push API's tests and the ticket page's (tests/browser/test_ticket_alerts.py)."""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from host_bridge.api import push as push_api
from host_bridge.notifications.settings import NotifySettings
from host_bridge.notifications.wiring import Notifications
from host_bridge.service.clock import ManualClock
from host_bridge.site_config import load
from live_server import Server, running_server
from push_service import PushService
from support import EXAMPLE, PARIS


@contextlib.contextmanager
def push_bridge(folder: Path, **rules) -> Iterator[Server]:
    """The example site (open at any hour, no guard, `rules` changed) at 10:00 on a Thursday;
    `server.pushes` is the push service, `server.notifications` the notifier and its push."""
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False, guard_seconds=0, **rules))
    settings = dataclasses.replace(base, site=site, db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"), source=None)
    clock = ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    with running_server(settings, clock) as server:
        app = server.bridge.app
        if not any(getattr(r, "path", None) == "/sw.js" for r in app.routes):
            app.include_router(push_api.router)  # until bootstrap wires it
        notifications = Notifications(app, server.bridge.service, settings.db_path,
                                      NotifySettings(ahead=3, minutes=10), allow_loopback=True,
                                      backoff=0.01).start()
        try:
            with PushService(notifications.push.public_key) as pushes:
                server.pushes, server.notifications = pushes, notifications
                server.clock = clock
                yield server
        finally:
            notifications.stop()
