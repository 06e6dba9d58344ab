"""Today's appointments of one service from an iCal feed (RFC 5545): a booking tool's export
URL or a file. Repeating events (RRULE) are expanded to today's occurrences.

    data = fetch("passeports-cni.ics", base=Path("examples"))     # or "https://..."
    items = parse(data, "passeports-cni", day, tz)                 # all or nothing

What is kept of an event: its UID (the id), DTSTART (floating times are the site's), a code
(the `code_property`, by default X-SUIVANT-CODE, else the UID), the ANTS pre-demande number
its DESCRIPTION mentions, and the SUMMARY's initials ("Durand Jeanne" -> "DJ"), never the name.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events

from . import http_read, ical_repeats, keys
from .model import Appointment
from .store import MAX_PER_DAY, TooMany

MAX_BYTES = 2 * 1024 * 1024  # a day's export is a few KB; a year of a busy site under 2 MB
FETCH_TIMEOUT_S = 10.0
MAX_CODE = 64
DEFAULT_CODE_PROPERTY = "X-SUIVANT-CODE"


class CalendarRefused(ValueError):
    """The feed cannot be used as it is: nothing was imported (the message says where)."""


def source_of(service: str) -> str:
    return f"ical:{service}"


def shown(location: str) -> str:
    """A feed's address as messages and logs name it: a URL by its scheme and host only. Its
    secret is in the query or the user part for some booking tools, in the path for the
    calendars (Google's .../private-<secret>/basic.ics, Outlook's .../<id>/<secret>/calendar.ics);
    the service the feed is for says which feed it is. A file keeps its name."""
    if not location.startswith(("https://", "http://")):
        return location
    return _host(location)


def _host(location: str) -> str:
    """Only the scheme and host of a URL."""
    scheme, _, rest = location.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.split(":", 1)[0]
    return f"{scheme}://{host}" if scheme in ("http", "https") else "the feed"


def fetch(location: str, base: Path, timeout: float = FETCH_TIMEOUT_S,
          cap: int = MAX_BYTES) -> bytes:
    """The feed's bytes: an http(s) URL fetched within `timeout` seconds in all, or a file (relative
    to `base`, the config file's folder); at most `cap` bytes. Raises CalendarRefused."""
    try:
        if location.startswith(("https://", "http://")):
            request = urllib.request.Request(location, headers={"Accept": "text/calendar"})
            _, data = http_read.fetch(request, cap, timeout)  # within `timeout` in all
        else:
            path = Path(location)
            with open(path if path.is_absolute() else base / path, "rb") as f:
                data = f.read(cap + 1)
    except OSError as exc:  # URLError, HTTPError, timeouts and missing files are all OSErrors
        why = getattr(exc, "reason", None) or exc.strerror or str(exc) or type(exc).__name__
        if isinstance(exc, urllib.error.HTTPError):
            why = f"HTTP {exc.code}"
        raise CalendarRefused(f"{shown(location)}: cannot be read ({why})") from None
    except Exception as exc:  # noqa: BLE001 - InvalidURL and the like quote the whole URL
        raise CalendarRefused(f"{_host(location)}: cannot be read ({type(exc).__name__})"
                              ) from None
    if len(data) > cap:
        raise CalendarRefused(f"{shown(location)}: over {cap // 1024} KB, the most taken")
    return data


def parse(data: bytes, service: str, day: date, tz, code_property: str = DEFAULT_CODE_PROPERTY
          ) -> list[Appointment]:
    """`service`'s appointments on `day` (local to `tz`). Raises CalendarRefused naming the
    event at fault, or TooMany."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarRefused(f"not an iCalendar file (RFC 5545): {exc}") from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise CalendarRefused("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    try:  # before any expansion: dateutil's walk is unbounded in time (see ical_repeats)
        ical_repeats.check(calendar.walk("VEVENT"), day + timedelta(days=2))
    except ical_repeats.RuleRefused as exc:
        raise CalendarRefused(str(exc)) from None
    try:
        # a day either side: floating and all-day events are compared in local time below
        found = recurring_ical_events.of(calendar, keep_recurrence_attributes=True).between(
            start - timedelta(days=1), start + timedelta(days=2))
    except Exception as exc:  # the library's own errors for a bad RRULE, a DTEND before DTSTART
        raise CalendarRefused(f"an event's dates or repeat rule cannot be read: {exc}") from None
    # a UID on several VEVENTs: a series and its changed occurrences (RECURRENCE-ID)
    uids = [str(e.get("UID", "")) for e in calendar.walk("VEVENT")]
    series = {u for u in uids if uids.count(u) > 1}
    items: list[Appointment] = []
    ids: set[str] = set()
    for n, event in enumerate(found, 1):
        item = _appointment(event, n, service, day, tz, code_property, series)
        if item is None:
            continue
        if item.external_id in ids:
            raise CalendarRefused(f"event {n} at {item.at.astimezone(tz):%H:%M}: two events "
                                  "with the same UID at the same time")
        ids.add(item.external_id)
        items.append(item)
        if len(items) > MAX_PER_DAY:
            raise TooMany(f"over {MAX_PER_DAY} appointments on {day}: {MAX_PER_DAY} at most")
    return sorted(items, key=lambda a: (a.at, a.external_id))


def _appointment(event, n: int, service: str, day: date, tz, code_property: str,
                 series: set[str]) -> Appointment | None:
    uid = str(event.get("UID") or "").strip()
    # named by its place and time, never its UID: the UID is the citizen's booking code when
    # the event has no code of its own, and refusals are logged and shown to staff
    where = f"event {n}"
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start = event.get("DTSTART")
    if start is None:
        raise CalendarRefused(f"{where}: no DTSTART")
    at = start.dt
    if not isinstance(at, datetime):
        return None  # an all-day event is not an appointment (a closing day, a note)
    at = at.replace(tzinfo=tz) if at.tzinfo is None else at
    local = at.astimezone(tz)
    if local.date() != day:
        return None
    where = f"event {n} at {local:%H:%M}"
    if not uid:
        raise CalendarRefused(f"{where}: no UID (the booking tool's id of the appointment)")
    if len(uid) > 255:
        raise CalendarRefused(f"{where}: UID over 255 characters")
    external_id = uid
    if "RRULE" in event or uid in series:  # one of a series: its slot in the series is its id
        slot = event.get("RECURRENCE-ID")
        slot_at = slot.dt if slot is not None and isinstance(slot.dt, datetime) else at
        slot_at = slot_at.replace(tzinfo=tz) if slot_at.tzinfo is None else slot_at
        external_id = f"{uid}/{slot_at.astimezone(tz):%Y-%m-%dT%H:%M}"
    code = keys.compact(str(event.get(code_property) or uid))
    if not code or len(code) > MAX_CODE:
        raise CalendarRefused(f"{where}: its {code_property if code_property in event else 'UID'}"
                              f" makes no booking code of 1 to {MAX_CODE} letters and digits")
    return Appointment(source_of(service), external_id, service, at, code=code,
                       ants=keys.ants_in_text(str(event.get("DESCRIPTION") or "")),
                       initials=keys.initials_of(str(event.get("SUMMARY") or "")))
