"""An appointment as Suivant keeps it: only what the check-in and the outcome report need.

No name is kept: the citizen's initials and time are enough to find them at the kiosk, and
the booking tool keeps the rest. The day's list is personal data: purged with the day.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Status(str, enum.Enum):
    BOOKED = "booked"            # imported, not checked in yet
    CHECKED_IN = "checked_in"    # a ticket was issued as an appointment
    LATE_WALK_IN = "late_walk_in"  # checked in too late: issued as a walk-in ticket
    SEEN = "seen"                # its ticket was served
    NOSHOW = "noshow"            # never checked in in time, or its ticket was marked absent
    CANCELLED = "cancelled"      # cancelled by the booking tool

    @property
    def final(self) -> bool:
        return self in (Status.SEEN, Status.NOSHOW, Status.CANCELLED)


# What the booking tool is told back (RDV Service Public's statuses): only these two.
OUTCOMES = (Status.SEEN, Status.NOSHOW)


@dataclass
class Appointment:
    source: str        # "ical:<service>", "csv", "api", "rdv-service-public"
    external_id: str   # the booking tool's id (iCal UID, RDV-SP rdv id, CSV/REST given id)
    service: str       # a service id of the site
    at: datetime       # aware; the appointment's time
    code: str | None = None      # the booking confirmation's code, as the citizen types it
    ants: str | None = None      # ANTS pre-demande number (10 characters), passports/CNI
    initials: str | None = None  # e.g. "JD": with the time, a last-resort check-in key
    status: Status = Status.BOOKED
    ticket_id: str | None = None
    reported: bool = False       # the outcome was accepted by the booking tool

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)

    @property
    def logged_as(self) -> str:
        """How the logs name it: its service and time, enough to find it in the booking tool's
        list. Never its id: with RDV Service Public's default `code = "id"` the id is the code
        the citizen types to check in (and a digest of a short number is no secret)."""
        return f"{self.service} at {self.at.isoformat(timespec='minutes')}"
