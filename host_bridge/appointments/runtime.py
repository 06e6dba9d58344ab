"""Appointments wired into a running bridge: the store beside the queue's file, the check-in
desk, the iCal feeds' thread and the sweep's. bootstrap calls `start` once links start:

    links.append(runtime.start(settings, service, app))    # .stop() at shutdown

The API (api/appointments.py) finds it as `app.state.appointments`.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..service.queue_service import QueueService
from ..site_config import Settings
from . import ical_import
from .checkin import CheckIn
from .feeds import Feed, Feeds
from .noshow import EVERY_S, Sweep
from .outcomes import Outcomes
from .store import AppointmentStore, appointments_path

log = logging.getLogger(__name__)


@dataclass
class Appointments:
    store: AppointmentStore
    checkin: CheckIn
    outcomes: Outcomes
    sweep: Sweep
    feeds: Feeds

    def status(self) -> dict[str, Any]:
        return {"feeds": self.feeds.status()}

    def stop(self) -> None:
        self.feeds.stop()
        self.sweep.stop()
        self.store.close()


def config_folder(settings: Settings) -> Path:
    return Path(settings.source).resolve().parent if settings.source != "<memory>" else Path.cwd()


def feeds_of(settings: Settings) -> list[Feed]:
    return [Feed(s.id, s.appointments.ical, s.appointments.refresh_minutes,
                 getattr(s.appointments, "ical_code", None) or ical_import.DEFAULT_CODE_PROPERTY)
            for s in settings.site.services if s.appointments and s.appointments.ical]


def build(settings: Settings, service: QueueService, app: Any = None,
          every_s: float = EVERY_S) -> Appointments:
    """Everything, not started (tests run the rounds by hand)."""
    store = AppointmentStore(appointments_path(settings.db_path), service.tz)
    outcomes = Outcomes(store)
    checkin = CheckIn(store, service)
    sweep = Sweep(store, service, outcomes, every_s, checkin.lock)
    runtime = Appointments(store, checkin, outcomes, sweep,
                           Feeds(store, service.clock, service.tz, config_folder(settings),
                                 feeds_of(settings), sweep.wake))
    if app is not None:
        app.state.appointments = runtime
    return runtime


_attaching = threading.Lock()


def attached(app: Any) -> Appointments:
    """The app's appointments; for an app whose links were not started (tests, tools), a
    store and a check-in desk opened on first use beside the queue's file, as the staff file
    is (api/deps.py): no feed is read and no sweep runs."""
    with _attaching:
        runtime = getattr(app.state, "appointments", None)
        if runtime is None:
            service: QueueService = app.state.service
            store = AppointmentStore(appointments_path(service.store.path), service.tz)
            outcomes = Outcomes(store)
            checkin = CheckIn(store, service)
            runtime = app.state.appointments = Appointments(
                store, checkin, outcomes, Sweep(store, service, outcomes, lock=checkin.lock),
                Feeds(store, service.clock, service.tz, Path.cwd(), []))
        return runtime


def start(settings: Settings, service: QueueService, app: Any = None,
          every_s: float = EVERY_S) -> Appointments:
    earlier = getattr(getattr(app, "state", None), "appointments", None)
    if earlier is not None:  # opened on first use before the links started
        earlier.stop()
    runtime = build(settings, service, app, every_s)
    runtime.feeds.start()
    runtime.sweep.start()
    return runtime
