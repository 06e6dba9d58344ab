"""The site as the queue sees it: services, counters, categories, rules.

Plain frozen dataclasses built by the config loader; the domain never reads files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True)
class AppointmentRules:
    """How a service's appointments merge with its walk-ins (ZMS and Qmatic work alike)."""
    callable_before_minutes: float = 5.0  # callable this early, then before the walk-ins
    late_minutes: float = 15.0            # checked in later than this after its time: late…
    late: str = "walk_in"                 # …and then joins the walk-ins ("walk_in") or "refuse"
    no_show_minutes: float = 20.0         # not checked in this long after its time: no-show
    ical: str | None = None               # today's appointments from this file or URL, if any
    refresh_minutes: float = 10.0         # how often the iCal source is read again


LATE_POLICIES = ("walk_in", "refuse")
DEFAULT_APPOINTMENTS = AppointmentRules()


@dataclass(frozen=True)
class Service:
    id: str
    letter: str
    name: str
    target_wait_minutes: int = 20
    default_service_minutes: float = 8.0
    faq: tuple[FaqEntry, ...] = ()
    colour: str | None = None  # #rrggbb: the hall screen marks this service's calls with it
    appointments: AppointmentRules | None = None  # None: walk-ins only (an appointment ticket
    # issued anyway through the API follows DEFAULT_APPOINTMENTS)

    @property
    def appointment_rules(self) -> AppointmentRules:
        return self.appointments or DEFAULT_APPOINTMENTS


# What a citizen can ask for at the kiosk, and a counter can offer (issue 13): a hearing loop
# (boucle magnétique: required at public reception desks), a sign-language (LSF) interpreter, a
# seated or low counter. A fixed list: the pages say each in words.
NEEDS = ("hearing_loop", "sign_language", "seated")


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    services: tuple[str, ...]  # service ids, in the order this counter serves them
    offers: tuple[str, ...] = ()  # NEEDS this counter meets: it is preferred for those tickets


@dataclass(frozen=True)
class PriorityCategory:
    id: str
    name: str


@dataclass(frozen=True)
class Rules:
    guard_seconds: float = 2.0
    max_recalls: int = 3
    recall_min_delay_seconds: float = 10.0
    priority_max_in_row: int = 3
    priority_starvation_minutes: float = 20.0
    refuse_outside_hours: bool = True
    undo_absent_seconds: float = 60.0  # how long an « absent » can be undone (0: never)
    comeback_minutes: float = 0.0  # « Je suis là »: how long after « absent » a citizen may
    # ask to be put back, once (0: never)…
    comeback_after: int = 2        # …behind this many of the tickets then waiting
    delay_minutes: float = 0.0     # « RETARD »: a waiting ticket is not called for this long,
    # once, keeping its place (0: not offered)


@dataclass(frozen=True)
class OpeningHours:
    # weekday (0 = Monday) -> list of (open, close) ranges; a missing day is closed
    days: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)

    def is_open(self, weekday: int, at: time) -> bool:
        return any(start <= at < end for start, end in self.days.get(weekday, ()))

    def next_opening(self, now: datetime) -> datetime | None:
        """The next time a range starts after `now` (aware, in the site's zone), within a week;
        None when no day has hours."""
        for ahead in range(8):
            day = now.date() + timedelta(days=ahead)
            for start, _ in self.days.get(day.weekday(), ()):
                at = datetime.combine(day, start, tzinfo=now.tzinfo)
                if at > now:
                    return at
        return None


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    timezone: str
    services: tuple[Service, ...]
    counters: tuple[Counter, ...]
    categories: tuple[PriorityCategory, ...] = ()
    rules: Rules = Rules()
    hours: OpeningHours = OpeningHours()

    def service(self, service_id: str) -> Service | None:
        return self._services_by_id.get(service_id)

    def counter(self, number: int) -> Counter | None:
        return self._counters_by_number.get(number)

    # looked up on every command and every screen: a dict, not a walk of 200 counters
    @cached_property
    def _services_by_id(self) -> dict[str, Service]:
        return {s.id: s for s in reversed(self.services)}  # the first of a duplicate id wins

    @cached_property
    def _counters_by_number(self) -> dict[int, Counter]:
        return {c.number: c for c in reversed(self.counters)}

    @cached_property
    def counters_of_service(self) -> dict[str, tuple[int, ...]]:
        """service id -> the numbers of the counters that serve it."""
        out: dict[str, list[int]] = {}
        for c in self._counters_by_number.values():
            for service in c.services:
                out.setdefault(service, []).append(c.number)
        return {service: tuple(numbers) for service, numbers in out.items()}

    @cached_property
    def offering(self) -> tuple[Counter, ...]:
        """The counters that offer a need (few, often none: a call looks only at these)."""
        return tuple(k for k in self.counters if k.offers)

    def category(self, category_id: str) -> PriorityCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)
