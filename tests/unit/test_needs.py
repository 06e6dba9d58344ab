"""Citizens' needs (issue 13): a hearing loop, an LSF interpreter, a seated counter asked for at
the kiosk; the counters that offer them are preferred for those tickets, for a bounded time.

The site of conftest.make_site with counter 1 (accueil, etat-civil) offering a hearing loop
and a seated counter; counter 2 (etat-civil, accueil) offering nothing. Ordinary tickets wait
at most 15 min (priority_starvation_minutes) for a better-suited counter."""
from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import UnknownNeed
from host_bridge.domain.selection import pick_next
from host_bridge.domain.site import NEEDS, Counter
from host_bridge.service.requests import fingerprint
from host_bridge.store.event_codec import event_from_json


def offering_site(make_site):
    site = make_site()
    counters = (dataclasses.replace(site.counters[0], offers=("hearing_loop", "seated")),
                *site.counters[1:])
    return dataclasses.replace(site, counters=counters)


@pytest.fixture
def hall(make_desk, make_site):
    desk = make_desk(offering_site(make_site))
    desk.open(1, 2)
    return desk


def issue(desk, service, needs=(), category=None):
    ticket_id = desk.new_id()
    desk.run(c.IssueTicket(service, ticket_id, category, tuple(needs)))
    return desk.state.tickets[ticket_id]


def test_a_ticket_keeps_its_needs_once_each_in_a_fixed_order(hall):
    ticket = issue(hall, "accueil", ["seated", "hearing_loop", "seated"])
    assert ticket.needs == ("hearing_loop", "seated")
    assert hall.history[-1] == e.TicketIssued(ticket.id, "accueil", 1, "A001", None, hall.now,
                                              ("hearing_loop", "seated"))


def test_an_unknown_need_is_refused_and_nothing_changes(hall, snapshot):
    before = snapshot(hall.state)
    with pytest.raises(UnknownNeed) as refused:
        hall.run(c.IssueTicket("accueil", "x", None, ("wheelchair",)))
    assert refused.value.code == "unknown_need" and refused.value.http_status == 422
    assert snapshot(hall.state) == before


def test_a_counter_without_the_need_passes_over_the_ticket_while_one_with_it_is_open(hall):
    needing = issue(hall, "etat-civil", ["hearing_loop"])
    hall.advance(seconds=30)
    other = issue(hall, "etat-civil")
    assert hall.call(2) is other  # guichet 2 has no loop: it leaves C001 to guichet 1
    assert hall.call(1) is needing


def test_the_counter_with_the_need_takes_the_ticket_in_its_turn_not_before(hall):
    first = issue(hall, "accueil")
    needing = issue(hall, "accueil", ["seated"])
    assert hall.call(1) is first  # preferred for it, not a priority: arrival order stands
    assert hall.call(1) is needing


def test_with_no_open_counter_offering_it_the_ticket_is_called_in_its_turn(hall):
    hall.run(c.CloseCounter(1))
    needing = issue(hall, "etat-civil", ["hearing_loop"])
    issue(hall, "etat-civil")
    assert hall.call(2) is needing


def test_a_need_nobody_offers_passes_over_nobody(hall):
    needing = issue(hall, "etat-civil", ["sign_language"])
    issue(hall, "etat-civil")
    assert hall.call(2) is needing


def test_after_the_bound_the_ticket_is_called_wherever_a_counter_is_free(hall):
    needing = issue(hall, "etat-civil", ["hearing_loop"])
    other = issue(hall, "etat-civil")
    hall.advance(minutes=14)
    assert hall.call(2) is other
    issue(hall, "etat-civil")
    hall.advance(minutes=1)  # 15 min waited: a need met late beats a citizen forgotten
    assert hall.call(2) is needing


def test_a_counter_passing_over_its_first_service_serves_its_next_one(hall):
    issue(hall, "etat-civil", ["hearing_loop"])
    accueil = issue(hall, "accueil")
    assert hall.call(2) is accueil  # guichet 2: etat-civil first, then accueil


def test_a_priority_ticket_with_a_need_goes_first_at_the_counter_offering_it(hall):
    issue(hall, "etat-civil")
    needing = issue(hall, "etat-civil", ["hearing_loop"], category="cmi")
    assert hall.call(2).category is None  # passed over at guichet 2
    assert hall.call(1) is needing


def test_days_recorded_before_needs_existed_replay_without_them():
    row = json.dumps({"ticket_id": "t", "service": "accueil", "number": 1, "label": "A001",
                      "category": None, "at": "2026-11-26T10:00:00+01:00"})
    assert event_from_json("TicketIssued", row).needs == ()


def test_a_request_made_before_needs_existed_keeps_its_fingerprint():
    """Stored answers carry the fingerprint of what was asked: a retry across the upgrade
    must still be recognised as the same request."""
    assert fingerprint(c.IssueTicket("accueil", "t1", None)) == \
        "IssueTicket[('category', None), ('service', 'accueil')]"
    assert fingerprint(c.IssueTicket("accueil", "t1", None, ("seated",))) == \
        "IssueTicket[('category', None), ('needs', ('seated',)), ('service', 'accueil')]"


needs = st.lists(st.sampled_from(NEEDS), max_size=2, unique=True).map(tuple)


@hsettings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tickets=st.lists(st.tuples(needs, st.booleans()), min_size=1, max_size=12),
       offers=needs, elsewhere=st.lists(st.sampled_from(NEEDS), unique=True).map(frozenset),
       waited=st.integers(0, 30))
def test_a_counter_takes_the_ticket_it_would_take_without_needs_unless_it_leaves_it_to_another(
        make_site, at, tickets, offers, elsewhere, waited):
    """(The fixtures are plain factories: nothing to reset between examples.) Against a plain
    reference: the counter takes the first ticket (priority first, then
    arrival) that it does not leave to others, where it leaves exactly those it lacks a need
    of, whose missing needs another open counter offers, and that waited under the bound."""
    from datetime import timedelta
    from host_bridge.domain.tickets import Ticket
    site = make_site(priority_max_in_row=100)
    now = at(10, 0)
    issued = now - timedelta(minutes=waited)
    line = [Ticket(f"t{i}", f"A{i + 1:03d}", i + 1, "accueil", "cmi" if prio else None,
                   issued + timedelta(seconds=i), i, needs=n)
            for i, (n, prio) in enumerate(tickets)]
    counter = Counter(9, "Guichet 9", ("accueil",), offers)
    got = pick_next(counter, {"accueil": line}, {"accueil": [t for t in line if t.category]},
                    {}, site.rules, now, {"accueil": elsewhere})

    def left(t):
        missing = set(t.needs) - set(offers)
        # each ticket's own wait: they were issued a second apart (the bound is to the second)
        return bool(missing) and missing <= elsewhere and \
            now - t.issued_at < timedelta(minutes=site.rules.priority_starvation_minutes)
    expected = next((t for t in line if t.category and not left(t)), None) or \
        next((t for t in line if not t.category and not left(t)), None)
    assert got is expected
