"""The demo's appointments: the example calendar's citizens, booked from now on (the example
repeats them every day at 09:00-11:45, when a demo is rarely watched), checked in by the
traffic a little before their time. Some are left to the visitor, to try the kiosk's « J'ai un
rendez-vous » with their code; one never comes (a no-show the indicators count).

    booked = demo_calendars(doc, config_folder, demo_folder, now)   # rewrites doc's `ical`
    link = DemoCheckIns(api_url, booked, token).start()              # .stop()
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar

from .traffic import _post

log = logging.getLogger(__name__)

FIRST_IN = timedelta(minutes=4)  # the first appointment, from the demo's start (real time)
EVERY = timedelta(minutes=4)     # then one every 4 minutes: a few within a demo's minutes
EARLY = timedelta(minutes=3)     # citizens check in this early (callable 5 min before)
LEFT_TO_VISITOR = (1, 3)         # which appointments the traffic does not check in
NO_SHOW = 5                      # and which one nobody comes for
KEPT = ("UID", "SUMMARY", "DESCRIPTION", "X-SUIVANT-CODE")


@dataclass(frozen=True)
class Booked:
    service: str
    code: str
    at: datetime
    who: str  # "traffic" checks it in; "visitor" is left to the kiosk's visitor; "nobody"


def demo_calendar(source: Path, dest: Path, service: str, start: datetime
                  ) -> list[Booked]:
    """`source`'s appointments, once each, at `start` + i × EVERY (aware), written to `dest`;
    closer together late in the evening, so that all are today's (a bridge imports only today's)."""
    calendar = icalendar.Calendar.from_ical(source.read_bytes())
    count = len(calendar.walk("VEVENT"))
    last = datetime.combine(start.date() + timedelta(days=1), time(0), tzinfo=start.tzinfo) \
        - timedelta(minutes=1)
    start = min(start, last)
    every = EVERY if start + (count - 1) * EVERY <= last else (last - start) / max(1, count - 1)
    out = icalendar.Calendar()
    out.add("prodid", "-//Suivant//demo appointments//FR")
    out.add("version", "2.0")
    booked = []
    for i, event in enumerate(calendar.walk("VEVENT")):
        at = start + i * every
        moved = icalendar.Event()
        for key in KEPT:
            if key in event:
                moved[key] = event[key]
        moved.add("dtstart", at)
        moved.add("duration", timedelta(minutes=15))
        moved.add("dtstamp", start)
        out.add_component(moved)
        code = str(event.get("X-SUIVANT-CODE", event.get("UID")))
        who = "visitor" if i in LEFT_TO_VISITOR else "nobody" if i == NO_SHOW else "traffic"
        booked.append(Booked(service, code, at, who))
    dest.write_bytes(out.to_ical())
    return booked


def demo_calendars(doc: dict[str, Any], config_folder: Path, demo_folder: Path,
                   now: datetime) -> list[Booked]:
    """Each service's `[services.appointments] ical` file replaced in `doc` (the demo's copy of
    the config) by a calendar of the same citizens from `now` on. URLs are left alone."""
    start = now.replace(second=0, microsecond=0) + FIRST_IN
    booked: list[Booked] = []
    for service in doc.get("services", []):
        source = (service.get("appointments") or {}).get("ical")
        if not source or "://" in source:
            continue
        dest = demo_folder / f"{service['id']}.ics"
        booked += demo_calendar(config_folder / source, dest, service["id"], start)
        service["appointments"]["ical"] = dest.name
    return booked


def visitor_lines(booked: list[Booked]) -> list[str]:
    mine = [b for b in booked if b.who == "visitor"]
    if not mine:
        return []
    codes = ", ".join(f"{b.code} ({b.at:%H:%M})" for b in mine)
    return [f"  appointments:        {len(booked)} booked from {booked[0].at:%H:%M}, checked in "
            f"by the traffic; yours at the kiosk (« J'ai un rendez-vous »): {codes}"]


class DemoCheckIns:
    """Checks the traffic's citizens in, EARLY before their time, in a thread of its own."""

    def __init__(self, api: str, booked: list[Booked], token: str | None, clock=None):
        self.api, self.token = api, token
        self.due = sorted((b for b in booked if b.who == "traffic"), key=lambda b: b.at)
        self.clock = clock or (lambda: datetime.now().astimezone())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-check-ins", daemon=True)
        self.checked_in: list[str] = []

    def start(self) -> "DemoCheckIns":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        for b in self.due:
            wait = (b.at - EARLY - self.clock()).total_seconds()
            if wait > 0 and self._stop.wait(wait):
                return
            try:
                _post(self.api + "/api/appointments/check-in", {"key": b.code}, self.token)
                self.checked_in.append(b.code)
            except OSError as exc:  # refused (too late after a pause...) or the bridge down
                log.info("demo check-in %s: %s", b.code, exc)
