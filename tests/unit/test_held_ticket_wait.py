"""A ticket held by « RETARD » keeps its place (selection.py: passed over until its time, then
called before those behind it): the people ahead of it are served during the hold, so it is
told the later of the hold's end and its turn, not their sum (3 ahead at 4 min with one counter
and a 10 min hold: about 12 min, not 22)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from host_bridge.domain import commands as c
from host_bridge.domain.queue import QueueState
from host_bridge.domain.site import Counter, OpeningHours, Rules, Service, Site
from host_bridge.service.views import ticket_view

PARIS = ZoneInfo("Europe/Paris")
NINE = datetime.combine(date(2025, 3, 3), time(9, 0), tzinfo=PARIS)  # a Monday
SITE = Site("review-held", "Review", "Europe/Paris",
            (Service("accueil", "A", "Accueil", default_service_minutes=4.0),),
            (Counter(1, "Guichet 1", ("accueil",)),), (),
            Rules(guard_seconds=2.0, refuse_outside_hours=False, delay_minutes=10.0),
            OpeningHours({}))


def _run(state: QueueState, command, now: datetime) -> None:
    for ev in state.decide(command, now):
        state.apply(ev)


def test_a_held_ticket_is_told_the_later_of_its_hold_and_its_turn_not_their_sum():
    state = QueueState(SITE)
    _run(state, c.StartDay(NINE.date()), NINE)
    _run(state, c.OpenCounter(1), NINE)
    for i in range(3):
        _run(state, c.IssueTicket("accueil", f"t{i}"), NINE)
    _run(state, c.IssueTicket("accueil", "held"), NINE)
    before = ticket_view(state, state.tickets["held"])["estimate"]
    assert before["minutes"] == 12  # three of 4 min before it on one counter
    _run(state, c.DelayTicket("held"), NINE + timedelta(seconds=1))
    view = ticket_view(state, state.tickets["held"])
    assert view["ahead"] == 3
    # callable from 09:10, its turn at about 09:12: about 12 min, not 22
    assert view["estimate"]["minutes"] <= 13, view["estimate"]
