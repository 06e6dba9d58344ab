"""Shared helpers for the unit tests: a small site, a desk that runs decide + apply, snapshots.

The helpers are handed to tests as fixtures (`make_site`, `desk`, `make_desk`, `snapshot`, ...)
so test modules never import this file by name.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.queue import QueueState
from host_bridge.domain.site import (
    Counter, OpeningHours, PriorityCategory, Rules, Service, Site,
)
from host_bridge.domain.tickets import Ticket

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2025, 3, 3)  # a Monday, far from any clock change
SUNDAY = date(2025, 3, 9)

# Explicit values, all different from the Rules defaults, so a test can't pass by accident.
RULES = Rules(
    guard_seconds=2.0,
    max_recalls=2,
    recall_min_delay_seconds=10.0,
    priority_max_in_row=2,
    priority_starvation_minutes=15.0,
    refuse_outside_hours=True,
)

_WEEKDAY = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 0)))
HOURS = OpeningHours({0: _WEEKDAY, 1: _WEEKDAY, 2: _WEEKDAY, 3: _WEEKDAY, 4: _WEEKDAY,
                      5: ((time(9, 0), time(12, 0)),)})  # Sunday (6) is closed


def make_site(rules: Rules = RULES, hours: OpeningHours = HOURS,
              extra_services: tuple[Service, ...] = (), **rule_changes: Any) -> Site:
    """Three services, three counters, two priority categories.

    counter 1 serves accueil then etat-civil, counter 2 etat-civil then accueil,
    counter 3 only passeports.
    """
    if rule_changes:
        rules = dataclasses.replace(rules, **rule_changes)
    return Site(
        id="mairie-test",
        name="Mairie de Test",
        timezone="Europe/Paris",
        services=(
            Service("accueil", "A", "Accueil", target_wait_minutes=10, default_service_minutes=4.0),
            Service("etat-civil", "C", "État civil", target_wait_minutes=20,
                    default_service_minutes=10.0),
            Service("passeports", "P", "Passeports", target_wait_minutes=15,
                    default_service_minutes=15.0),
        ) + extra_services,
        counters=(
            Counter(1, "Guichet 1", ("accueil", "etat-civil")),
            Counter(2, "Guichet 2", ("etat-civil", "accueil")),
            Counter(3, "Guichet 3", ("passeports",)),
        ),
        categories=(PriorityCategory("cmi", "Carte mobilité inclusion"),
                    PriorityCategory("famille", "Priorité famille")),
        rules=rules,
        hours=hours,
    )


def at(hour: int, minute: int = 0, second: float = 0, day: date = MONDAY) -> datetime:
    whole = int(second)
    micro = round((second - whole) * 1_000_000)
    return datetime.combine(day, time(hour, minute, whole, micro), tzinfo=PARIS)


def snapshot(state: QueueState) -> dict[str, Any]:
    """Everything a QueueState holds, as plain values (a deep copy: later changes don't leak in)."""
    return {
        "day": state.day,
        "tickets": {tid: dataclasses.asdict(t) for tid, t in state.tickets.items()},
        "waiting": {sid: [t.id for t in q] for sid, q in state.waiting.items()},
        "waiting_tickets": {sid: [dataclasses.asdict(t) for t in q]
                            for sid, q in state.waiting.items()},
        "appointment_waiting": {sid: [t.id for t in q]
                                for sid, q in state.appointment_waiting.items()},
        "appointment_arrivals": {sid: [t.id for t in q]
                                 for sid, q in state.appointment_arrivals.items()},
        "last_number": dict(state.last_number),
        "issued_today": state.issued_today,
        "priority_in_row": dict(state.priority_in_row),
        "recent_minutes": {sid: list(r) for sid, r in state.recent_minutes.items()},
        "counters": {n: dataclasses.asdict(k) for n, k in state.counters.items()},
        "told": dict(state.told),
        "errors": {sid: repr(x) for sid, x in state.errors.items()},
        "counters_changed_at": dict(state.counters_changed_at),
    }


class Desk:
    """A QueueState with a hand-moved clock; `run` decides then applies, like the service layer."""

    def __init__(self, site: Site, now: datetime):
        self.site = site
        self.state = QueueState(site)
        self.now = now
        self.history: list[e.Event] = []
        self._next_id = 0

    # time
    def advance(self, seconds: float = 0, minutes: float = 0) -> datetime:
        self.now += timedelta(seconds=seconds, minutes=minutes)
        return self.now

    def set_time(self, when: datetime) -> None:
        self.now = when

    # commands
    def run(self, command: c.Command) -> list[e.Event]:
        events = self.state.decide(command, self.now)
        for event in events:
            self.state.apply(event)
            self.history.append(event)
        return events

    def start_day(self) -> list[e.Event]:
        return self.run(c.StartDay(self.now.date()))

    def new_id(self) -> str:
        self._next_id += 1
        return f"tk-{self._next_id}"

    def issue(self, service: str, category: str | None = None) -> Ticket:
        ticket_id = self.new_id()
        self.run(c.IssueTicket(service, ticket_id, category))
        return self.state.tickets[ticket_id]

    def open(self, *counters: int) -> None:
        for number in counters:
            self.run(c.OpenCounter(number))

    def call(self, counter: int, past_guard: bool = True) -> Ticket | None:
        """CallNext; the ticket it called, or None. Moves past the guard time first unless told."""
        if past_guard:
            self.advance(seconds=self.site.rules.guard_seconds)
        called = [ev for ev in self.run(c.CallNext(counter)) if isinstance(ev, e.TicketCalled)]
        return self.state.tickets[called[0].ticket_id] if called else None

    def holding(self, counter: int) -> Ticket | None:
        return self.state.current_ticket(counter)


@pytest.fixture
def site() -> Site:
    return make_site()


@pytest.fixture(name="make_site")
def make_site_fixture() -> Callable[..., Site]:
    return make_site


@pytest.fixture(name="at")
def at_fixture() -> Callable[..., datetime]:
    return at


@pytest.fixture(name="snapshot")
def snapshot_fixture() -> Callable[[QueueState], dict[str, Any]]:
    return snapshot


@pytest.fixture
def make_desk() -> Callable[..., Desk]:
    """A desk on Monday 09:00 (open hours) with the day started; `site` and `now` may be changed."""
    def build(site: Site | None = None, now: datetime | None = None, start: bool = True) -> Desk:
        desk = Desk(site or make_site(), now or at(9, 0))
        if start:
            desk.start_day()
        return desk
    return build


@pytest.fixture
def desk(make_desk) -> Desk:
    return make_desk()
