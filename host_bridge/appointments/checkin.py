"""Check-in: the key a citizen types or scans -> today's appointment -> a ticket, issued
through `QueueService` like any other.

    desk = CheckIn(store, service)
    answer = desk.check_in("P7K2QX", source="kiosk")   # {"ticket": ..., "appointment": ...}

The key is a booking code, an ANTS pre-demande number, the text a scanner types from the
pre-demande's QR code (the number is looked for anywhere in it), or initials + time ("DJ 10:30").
Checked in twice, the same ticket is answered again, never a second one.
"""
from __future__ import annotations

import enum
import threading
from datetime import datetime, timedelta
from typing import Any

from ..domain import commands as c
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.site import AppointmentRules
from ..service.queue_service import QueueService, new_ticket_id
from ..service.views import ticket_view
from . import keys
from .model import Appointment, Status
from .store import AppointmentStore


class UnknownAppointment(NotFound):
    code = "unknown_appointment"


class AppointmentCancelled(Conflict):
    code = "appointment_cancelled"


class AppointmentMissed(Conflict):
    code = "appointment_noshow"


class AppointmentDone(Conflict):
    code = "appointment_seen"


class AppointmentTooLate(Conflict):
    """Checked in after rules.late_minutes where the site refuses late arrivals."""
    code = "appointment_too_late"


GUESSABLE = 10  # digits: a number shorter than this is a sequence someone could walk


class KeyNotHere(DomainError):
    """Initials and time from an anonymous client: anyone could guess them and take the
    citizen's ticket (and so cancel it); the kiosk signed in and reception may use them."""
    code = "appointment_key_not_here"
    http_status = 403


class AmbiguousKey(Conflict):
    """Initials and time that match two of today's appointments."""
    code = "appointment_ambiguous"


class Decision(str, enum.Enum):
    APPOINTMENT = "appointment"  # a ticket marked appointment, with its time
    WALK_IN = "walk_in"          # too late: a walk-in ticket
    REFUSE = "refuse"            # too late, and the site refuses late arrivals
    MISSED = "missed"            # past `no_show_minutes`: a no-show, as the sweep would say


def decide(at: datetime, now: datetime, rules: AppointmentRules) -> Decision:
    """Early or up to `late_minutes` after its time: an appointment (an early one waits until
    it is callable); later: a walk-in, or refused; from `no_show_minutes` on, missed (the same
    answer whether the sweep has passed yet or not). Pure: the property tests' subject."""
    late = now - at
    if late >= timedelta(minutes=rules.no_show_minutes):
        return Decision.MISSED
    if late <= timedelta(minutes=rules.late_minutes):
        return Decision.APPOINTMENT
    return Decision.REFUSE if rules.late == "refuse" else Decision.WALK_IN


def appointment_view(a: Appointment, tz) -> dict[str, Any]:
    """What reception and the citizen see of an appointment (never the booking tool's id)."""
    local = a.at.astimezone(tz)
    return {"service": a.service, "at": a.at.isoformat(), "time": f"{local:%H:%M}",
            "initials": a.initials, "code": a.code, "status": a.status.value}


class CheckIn:
    def __init__(self, store: AppointmentStore, service: QueueService):
        self.store, self.service = store, service
        # one check-in at a time (two taps on the kiosk must not make two tickets), and none
        # while the sweep decides an appointment's outcome (noshow.py takes it too)
        self.lock = threading.Lock()

    def find(self, key: str, service: str | None = None, trusted: bool = True) -> Appointment:
        """Today's appointment for `key`. Raises UnknownAppointment or AmbiguousKey, or
        KeyNotHere for initials and time when not `trusted` (an anonymous client)."""
        key = key[:keys.MAX_KEY]
        if not trusted and (keys.initials_and_time(key) is not None
                            or keys.initials_and_time(keys.from_us_scanner(key)) is not None):
            raise KeyNotHere("initials and time are accepted at the kiosk and at reception "
                             "only: give the booking code or the ANTS pre-demande number")
        if not trusted and keys.compact(key).isdigit() and len(keys.compact(key)) < GUESSABLE:
            # a booking tool's sequential number (RDV Service Public's rdv id by default)
            raise KeyNotHere("a short number could be guessed: it is accepted at the kiosk and "
                             "at reception only; give the booking code or the ANTS number")
        today = self.service.clock.now().astimezone(self.service.tz).date()
        found = self._matches(key, today) or self._matches(keys.from_us_scanner(key), today)
        if service is not None:
            found = [a for a in found if a.service == service]
        live = [a for a in found if a.status is not Status.CANCELLED] or found
        if not live:
            raise UnknownAppointment("no appointment today for this code, number or initials "
                                     "and time")
        if len(live) > 1:
            raise AmbiguousKey("these initials and time match several appointments today: "
                               "see reception, or type the booking code")
        return live[0]

    def _matches(self, key: str, today) -> list[Appointment]:
        it = keys.initials_and_time(key)
        if it is not None:
            return self.store.by_initials(today, *it)
        code = keys.compact(key)
        if not code:
            return []
        found = self.store.by_code(today, code)
        if not found and len(code) == keys.ANTS_LENGTH:
            found = self.store.by_ants(today, code)
        if not found and len(code) > keys.ANTS_LENGTH:
            # a QR code's text: the number anywhere in it (its layout is the ANTS's to change)
            numbers = [n for n in self.store.ants_numbers(today) if n in code]
            if len(numbers) == 1:
                found = self.store.by_ants(today, numbers[0])
        return found

    def check_in(self, key: str, source: str, service: str | None = None) -> dict[str, Any]:
        """-> {"ticket", "appointment", "again"}: the ticket view and the appointment. Raises
        the refusals above (404/409 at the edge), or the queue's own (closed site...)."""
        with self.lock:
            a = self.find(key, service, trusted=source != "public")
            again = self._ticket_of(a)
            if again is not None and again[0]["status"] != "cancelled":
                view, by_appointment = again
                if a.status is Status.BOOKED:  # issued, then the bridge stopped before this
                    a.status = Status.CHECKED_IN if by_appointment else Status.LATE_WALK_IN
                    self.store.mark(a, a.status)
                return {"ticket": view, "appointment": appointment_view(a, self.service.tz),
                        "again": True}
            self._refuse_if_done(a)
            now = self.service.clock.now()
            rules = self.service.site.service(a.service)
            if rules is None:
                raise UnknownAppointment(f"service {a.service!r} is not one of this site's")
            decision = decide(a.at, now, rules.appointment_rules)
            if decision is Decision.MISSED:
                raise AppointmentMissed(
                    f"checked in {int((now - a.at).total_seconds() // 60)} min after the "
                    "appointment's time: it counts as missed; see reception, or take an "
                    "ordinary ticket")
            if decision is Decision.REFUSE:
                raise AppointmentTooLate(
                    f"checked in {int((now - a.at).total_seconds() // 60)} min after the "
                    "appointment's time: too late here, see reception")
            # the ticket's id is written first: a crash between the two leaves an id that the
            # next check-in issues under, never a second ticket
            # (a ticket given up, or cancelled by a failed print, is replaced by a new one)
            ticket_id = new_ticket_id() if again is not None or a.ticket_id is None \
                else a.ticket_id
            self.store.set_ticket(a, ticket_id)
            command = c.IssueTicket(a.service, ticket_id, appointment_at=(
                a.at if decision is Decision.APPOINTMENT else None))
            answer = self.service.execute(command, source)
            status = Status.CHECKED_IN if decision is Decision.APPOINTMENT else Status.LATE_WALK_IN
            self.store.mark(a, status)
            a.status, a.ticket_id = status, ticket_id
            return {"ticket": answer["ticket"], "appointment": appointment_view(a, self.service.tz),
                    "again": False}

    def _ticket_of(self, a: Appointment) -> tuple[dict[str, Any], bool] | None:
        """The ticket this appointment was already given, if the queue has it today (its view),
        and whether it was issued as an appointment."""
        if a.ticket_id is None:
            return None
        tid = a.ticket_id

        def look(state):
            t = state.tickets.get(tid)
            return None if t is None else (ticket_view(state, t), t.appointment_at is not None)
        return self.service.read(look)

    @staticmethod
    def _refuse_if_done(a: Appointment) -> None:
        if a.status is Status.CANCELLED:
            raise AppointmentCancelled("this appointment was cancelled: see reception")
        if a.status is Status.NOSHOW:
            raise AppointmentMissed("this appointment was marked missed: see reception, or take "
                                    "an ordinary ticket")
        if a.status is Status.SEEN:
            raise AppointmentDone("this appointment was already seen today")
