"""Helpers for the appointments' tests (not in conftest.py: `from conftest import` would find
tests/conftest.py first in a whole run)."""
from __future__ import annotations

from datetime import date, datetime

from host_bridge.appointments.model import Appointment
from support import PARIS

DAY = date(2026, 11, 26)  # tests/conftest.py's clock: Thursday 26 November 2026, 10:00


def at(hhmm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tzinfo=PARIS)


def booked(external_id: str, hhmm: str, code: str | None = None, *, source: str = "api",
           service: str = "passeports-cni", ants: str | None = None,
           initials: str | None = None) -> Appointment:
    return Appointment(source, external_id, service, at(hhmm), code=code, ants=ants,
                       initials=initials)
