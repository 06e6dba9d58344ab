"""The survey after the visit in the domain (issue 17): a phone's vote about its own ticket,
once served, once; its event read back from rows stored before it existed; the satisfaction
indicators by source, and tallies saved before the survey."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.domain.errors import (
    AlreadyAnswered, InvalidFeedback, NotServed, UnknownTicket,
)
from host_bridge.domain.indicators import Tally, indicators, tally
from host_bridge.domain.queue import QueueState
from host_bridge.service.requests import fingerprint
from host_bridge.service.views import public_event
from host_bridge.store.event_codec import event_from_json, event_to_json
from support import PARIS


def served(desk, counter=1):
    ticket = desk.issue("accueil")
    desk.open(counter)
    desk.call(counter)
    desk.advance(minutes=3)
    desk.run(c.Finish(counter))
    return ticket


def phone(ticket_id, score=4):
    return c.GiveFeedback(score, ticket_id=ticket_id, source="phone")


def test_a_served_ticket_votes_once_for_the_counter_that_served_it(desk):
    ticket = served(desk, counter=2)
    events = desk.run(phone(ticket.id, 3))
    assert events == [e.FeedbackGiven(3, 2, None, desk.now, "phone", ticket.id)]
    with pytest.raises(AlreadyAnswered) as twice:
        desk.state.decide(phone(ticket.id, 1), desk.now)
    assert twice.value.code == "already_answered"


@pytest.mark.parametrize("story", ["waiting", "called", "absent", "cancelled"])
def test_only_a_served_ticket_is_asked(desk, story):
    ticket = desk.issue("accueil")
    if story != "waiting" and story != "cancelled":
        desk.open(1)
        desk.call(1)
    if story == "absent":
        desk.run(c.MarkAbsent(1))
    if story == "cancelled":
        desk.run(c.CancelTicket(ticket.id))
    with pytest.raises(NotServed) as refused:
        desk.state.decide(phone(ticket.id), desk.now)
    assert refused.value.code == "not_served"


def test_an_unknown_or_yesterdays_ticket_is_unknown(desk):
    ticket = served(desk)
    with pytest.raises(UnknownTicket):
        desk.state.decide(phone("nobody"), desk.now)
    desk.advance(minutes=24 * 60)
    desk.start_day()
    with pytest.raises(UnknownTicket):
        desk.state.decide(phone(ticket.id), desk.now)


@pytest.mark.parametrize("command", [
    c.GiveFeedback(4, source="phone"),  # no ticket
    c.GiveFeedback(4, source="sms"),
    c.GiveFeedback(5, ticket_id="x", source="phone"),
    c.GiveFeedback(True, ticket_id="x", source="phone"),
])
def test_malformed_votes_are_refused(desk, command):
    with pytest.raises(InvalidFeedback):
        desk.state.decide(command, desk.now)


def test_a_terminal_vote_is_as_before(desk):
    assert desk.run(c.GiveFeedback(4, 1, "A001")) == [e.FeedbackGiven(4, 1, "A001", desk.now)]
    assert desk.state.rated == set()


def test_answered_once_survives_a_restart_and_the_day_forgets_it(desk, site):
    ticket = served(desk)
    desk.run(phone(ticket.id))
    replayed = QueueState(site)
    for event in desk.history:  # the bridge's restart: today's history replayed
        replayed.apply(event)
    assert replayed.rated == {ticket.id}
    with pytest.raises(AlreadyAnswered):
        replayed.decide(phone(ticket.id), desk.now)
    desk.advance(minutes=24 * 60)
    desk.start_day()
    assert desk.state.rated == set()


def test_the_public_stream_shows_the_score_not_whose_it_is(desk):
    ticket = served(desk)
    [event] = desk.run(phone(ticket.id, 2))
    public = public_event(7, event, desk.state)
    assert ticket.id not in str(public) and ticket.label not in str(public)
    assert (public["type"], public["score"], public["source"], public["label"]) == \
        ("FeedbackGiven", 2, "phone", None)


# ----- the event, stored before and after ---------------------------------------------------
def test_a_vote_stored_before_the_survey_reads_as_a_terminals():
    old_row = '{"score":4,"counter":1,"label":"A001","at":"2026-11-26T10:00:00+01:00"}'
    got = event_from_json("FeedbackGiven", old_row, PARIS)
    assert (got.score, got.counter, got.label, got.source, got.ticket_id) == \
        (4, 1, "A001", "terminal", None)


@given(st.integers(1, 4), st.none() | st.integers(1, 99), st.sampled_from(["terminal", "phone"]),
       st.none() | st.text(max_size=20))
def test_a_vote_comes_back_from_its_row(score, counter, source, ticket_id):
    event = e.FeedbackGiven(score, counter, None, datetime(2026, 11, 26, 10, tzinfo=PARIS),
                            source, ticket_id)
    assert event_from_json("FeedbackGiven", event_to_json(event), PARIS) == event


def test_a_terminals_retried_vote_is_recognised_across_the_upgrade():
    # the fingerprint stored with a terminal's answer before the survey existed
    assert fingerprint(c.GiveFeedback(4, 2, "A001")) == \
        "GiveFeedback[('counter', 2), ('score', 4)]"


# ----- the indicators by source -------------------------------------------------------------
def test_satisfaction_by_source_and_the_response_rate(desk, site):
    served_ids = [served(desk).id for _ in range(4)]
    desk.run(c.GiveFeedback(4, 1, "A001"))  # the terminal
    desk.run(c.GiveFeedback(1, 1, "A002"))
    desk.run(phone(served_ids[0], 3))
    s = indicators(tally(desk.history, PARIS), site).satisfaction
    assert (s.votes, s.by_score, s.satisfied) == (3, {1: 1, 2: 0, 3: 1, 4: 1}, 2 / 3)
    assert s.by_source["terminal"].votes == 2 and s.by_source["terminal"].net == 0.0
    p = s.by_source["phone"]
    assert (p.votes, p.by_score, p.satisfied, p.net) == (1, {1: 0, 2: 0, 3: 1, 4: 0}, 1.0, 1.0)
    assert s.survey_response_rate == 0.25  # 1 answer, 4 served


def test_no_ticket_served_no_response_rate(site):
    s = indicators(Tally(), site).satisfaction
    assert s.survey_response_rate is None and s.by_source["phone"].satisfied is None


def test_a_tally_saved_before_the_survey_loads_as_the_terminals(site):
    old = {"services": {}, "per_hour": [[0] * 24 for _ in range(7)],
           "scores": {"1": 1, "2": 0, "3": 2, "4": 5}, "days": ["2025-03-04"]}
    t = Tally.from_json(old)
    assert t.scores["terminal"] == {1: 1, 2: 0, 3: 2, 4: 5}
    assert t.scores["phone"] == {1: 0, 2: 0, 3: 0, 4: 0}
    s = indicators(t, site).satisfaction
    assert s.votes == s.by_source["terminal"].votes == 8 and s.by_source["phone"].votes == 0
    assert Tally.from_json(t.to_json()).scores == t.scores


scores = st.fixed_dictionaries({k: st.integers(0, 50) for k in (1, 2, 3, 4)})
by_source = st.fixed_dictionaries({"terminal": scores, "phone": scores})


@settings(max_examples=100)
@given(scores)
def test_any_tally_saved_before_the_survey_loads_as_the_terminals(votes):
    old = {"services": {}, "per_hour": [[0] * 24 for _ in range(7)],
           "scores": {str(k): n for k, n in votes.items()}, "days": []}
    t = Tally.from_json(old)
    assert t.scores == {"terminal": votes, "phone": {1: 0, 2: 0, 3: 0, 4: 0}}
    assert t.to_json()["scores"] == old["scores"]  # what an older release reads back


@settings(max_examples=100)
@given(by_source, by_source)
def test_merging_tallies_adds_each_sources_votes(a, b):
    merged = Tally(scores={s: dict(v) for s, v in a.items()}).merge(Tally(scores=b))
    for source in ("terminal", "phone"):
        assert merged.scores[source] == {k: a[source][k] + b[source][k] for k in (1, 2, 3, 4)}
    # and a tally survives its JSON (the retention keeps it so)
    assert Tally.from_json(merged.to_json()).scores == merged.scores


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(votes=by_source)
def test_the_overall_figures_are_both_sources_together(site, votes):
    s = indicators(Tally(scores=votes), site).satisfaction
    assert s.votes == s.by_source["terminal"].votes + s.by_source["phone"].votes
    assert s.by_score == {k: votes["terminal"][k] + votes["phone"][k] for k in (1, 2, 3, 4)}
