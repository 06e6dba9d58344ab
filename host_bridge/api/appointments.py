"""Appointments: a booking tool sends today's list (or one, or a cancellation), reception reads
it, and citizens check in — at the kiosk, at reception, or from their phone with the link in
their booking confirmation (`/rdv/{code}`, a page that posts the code here)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..appointments import keys
from ..appointments.checkin import appointment_view
from ..appointments.csv_import import MAX_ID
from ..appointments.ical_import import MAX_CODE
from ..appointments.model import Appointment
from ..appointments.runtime import Appointments, attached
from ..appointments.store import TooMany
from ..domain.errors import DomainError, NotFound, UnknownService
from ..site_config import User
from .auth import Forbidden
from .deps import Answer, Staff
from .errors import responses
from .schemas import ServiceId, ServicePath
from .tickets import ticket_page

router = APIRouter(prefix="/api/appointments", tags=["appointments"])
API_SOURCE = "api"
WRITERS = ("admin", "supervisor")
READERS = ("admin", "supervisor", "agent")


class AppointmentRefused(DomainError):
    code = "invalid_appointments"
    http_status = 422


class UnknownAppointment(NotFound):
    code = "unknown_appointment"


class CheckInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=keys.MAX_KEY, description=(
        "the booking code, the ANTS pre-demande number, what a scanner typed from its QR "
        "code, or initials and time (\"DJ 10:30\")"))
    service: ServiceId | None = Field(None, description="only this service's appointments")
    print: bool = Field(False, description="print the ticket on the kiosk's printer")


class AppointmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=MAX_ID, description="the booking tool's id")
    at: str = Field(min_length=4, max_length=40, description=(
        "ISO 8601 (2026-11-26T09:15 or with an offset), or HH:MM today, the site's time"))
    code: str | None = Field(None, max_length=MAX_CODE, description="the booking code")
    ants: str | None = Field(None, max_length=20, description="ANTS pre-demande number")
    initials: str | None = Field(None, max_length=3, pattern=r"^[A-Za-z]{1,3}$")


class OneAppointmentBody(AppointmentBody):
    service: ServiceId


# What a 64 KiB body (the bridge's cap on any write but the admin's config) holds; a larger
# day is sent a service at a time
MAX_PER_REQUEST = 500


class DayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appointments: list[AppointmentBody] = Field(max_length=MAX_PER_REQUEST)


def _runtime(request: Request) -> Appointments:
    return attached(request.app)


def _may(user: User, roles: tuple[str, ...]) -> None:
    if user.role not in roles:
        raise Forbidden(f"role {user.role!r} cannot do that with appointments")


def _appointment(body: AppointmentBody, service: str, runtime: Appointments) -> Appointment:
    tz = runtime.checkin.service.tz
    today = runtime.checkin.service.clock.now().astimezone(tz).date()
    try:
        if len(body.at) <= 5:
            at = datetime.combine(today, datetime.strptime(body.at, "%H:%M").time(), tzinfo=tz)
        else:
            at = datetime.fromisoformat(body.at)
            at = at.replace(tzinfo=tz) if at.tzinfo is None else at
    except ValueError:
        raise AppointmentRefused(f"appointment {body.id!r}: at {body.at!r} is neither "
                                 "HH:MM nor ISO 8601") from None
    try:
        local = at.astimezone(tz).date()
    except OverflowError:  # an offset that takes it past year 1 or 9999: not today either
        local = None
    if local != today:
        raise AppointmentRefused(f"appointment {body.id!r}: {body.at} is not today "
                                 f"({today.isoformat()}): only today's appointments are kept")
    a = Appointment(API_SOURCE, body.id, service, at, code=keys.compact(body.code or "") or None,
                    ants=keys.ants_number(body.ants),
                    initials=(body.initials or "").upper() or None)
    if body.ants and a.ants is None:
        raise AppointmentRefused(f"appointment {body.id!r}: ants must be the 10-character "
                                 "pre-demande number")
    if not (a.code or a.ants or a.initials):
        raise AppointmentRefused(f"appointment {body.id!r}: no code, ants nor initials: it "
                                 "could not be checked in")
    return a


def _known_service(request: Request, service: str) -> None:
    if request.app.state.service.site.service(service) is None:
        raise UnknownService(f"no service {service!r} here")


@router.post("/check-in", status_code=201, summary="« J'ai un rendez-vous »: check in for "
             "today's appointment and get its ticket", responses={
                 **responses(401, 403, 404, 408, 409, 413, 422, 429, 503),
                 200: {"description": "Checked in already: the same ticket again"}})
def check_in(body: CheckInBody, request: Request,
             authorization: Annotated[str | None, Header()] = None):
    runtime = _runtime(request)
    source = "public"
    if authorization:  # the kiosk's account, or an agent at reception
        user = request.app.state.auth.user_for(authorization)
        source = "kiosk" if user.role == "kiosk" else "reception"
    answer = runtime.checkin.check_in(body.key, source, body.service)
    status = 200 if answer.pop("again") else 201
    kiosk = request.app.state.kiosk_printer
    if not body.print or kiosk is None or status == 200:
        return Answer({**answer, "printed": False}, status)
    kiosk.print_or_cancel(answer["ticket"], ticket_page(request, answer["ticket"]["id"]))
    return Answer({**answer, "printed": True}, status)


@router.get("", summary="Today's appointments, for reception", responses=responses(401, 403, 404))
def today(request: Request, user: Staff, service: Annotated[str | None, Query(
        max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")] = None):
    _may(user, READERS)
    runtime = _runtime(request)
    if service is not None:
        _known_service(request, service)
    queue = runtime.checkin.service
    day = queue.clock.now().astimezone(queue.tz).date()
    items = runtime.store.day(day, service)
    ids = {a.ticket_id for a in items if a.ticket_id}
    labels = queue.read(lambda s: {t: s.tickets[t].label for t in ids if t in s.tickets})
    return {"day": day.isoformat(), "appointments": [
        {**appointment_view(a, queue.tz), "source": a.source, "id": a.external_id,
         "ants": a.ants, "ticket": labels.get(a.ticket_id) if a.ticket_id else None}
        for a in items]}


@router.get("/status", summary="The iCal feeds: last import, error", responses=responses(401, 403))
def status(request: Request, user: Staff):
    _may(user, READERS)
    return _runtime(request).status()


@router.put("/{service}", summary="Replace today's list of a service (source \"api\")",
            responses=responses(401, 403, 404, 408, 413, 422))
def replace(service: ServicePath, body: DayBody, request: Request, user: Staff):
    _may(user, WRITERS)
    runtime = _runtime(request)
    _known_service(request, service)
    items = [_appointment(b, service, runtime) for b in body.appointments]
    queue = runtime.checkin.service
    day = queue.clock.now().astimezone(queue.tz).date()
    try:
        counts = runtime.store.replace_day(API_SOURCE, day, items, service)
    except (TooMany, ValueError) as exc:
        raise AppointmentRefused(str(exc)) from None
    return {"service": service, "day": day.isoformat(), **counts}


@router.post("", status_code=201, summary="Add or change one of today's appointments",
             responses={**responses(401, 403, 404, 408, 413, 422),
                        200: {"description": "Changed: it was known"}})
def add(body: OneAppointmentBody, request: Request, user: Staff):
    _may(user, WRITERS)
    runtime = _runtime(request)
    _known_service(request, body.service)
    a = _appointment(body, body.service, runtime)
    try:
        new = runtime.store.upsert(a)
    except TooMany as exc:
        raise AppointmentRefused(str(exc)) from None
    stored = runtime.store.get(*a.key)
    return Answer({"appointment": appointment_view(stored, runtime.checkin.service.tz),
                   "created": new}, 201 if new else 200)


@router.delete("/{source}/{external_id:path}", summary="Cancel an appointment",
               responses=responses(401, 403, 404, 422))
def cancel(request: Request, user: Staff,
           source: Annotated[str, Path(min_length=1, max_length=60)],
           external_id: Annotated[str, Path(min_length=1, max_length=MAX_ID)]):
    _may(user, WRITERS)
    runtime = _runtime(request)
    a = runtime.store.cancel(source, external_id)
    if a is None:
        raise UnknownAppointment(f"no appointment {external_id!r} from {source!r}")
    return {"appointment": appointment_view(a, runtime.checkin.service.tz)}
