"""Hypothesis on the chat's rules: the citizen's pace (never two messages within 5 s, never
more than 20, and Retry-After is exactly enough), the counts' reduction (every question is
answered by the FAQ, by staff, or not at all), and the day's reduction in the store (the
figures are the same before and after the texts go)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings, strategies as st

from host_bridge.questions.counts import Round, reduce
from host_bridge.questions.errors import TooFrequent
from host_bridge.questions.rules import CITIZEN_GAP_SECONDS, CITIZEN_MAX_MESSAGES, check_pace
from host_bridge.questions.store import QuestionStore
from support import PARIS

START = datetime(2026, 11, 26, 9, 0, tzinfo=PARIS)


@given(st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=60))
def test_the_pace_rule_holds_whatever_the_citizen_does(gaps):
    accepted: list[datetime] = []
    now = START
    for gap in gaps:
        now += timedelta(seconds=gap)
        try:
            check_pace(accepted, now)
        except TooFrequent as refused:
            assert refused.retry_after >= 1
            if len(accepted) < CITIZEN_MAX_MESSAGES:  # waiting as told is enough
                check_pace(accepted, now + timedelta(seconds=refused.retry_after))
            continue
        accepted.append(now)
    assert len(accepted) <= CITIZEN_MAX_MESSAGES
    assert all((b - a).total_seconds() >= CITIZEN_GAP_SECONDS for a, b in zip(accepted, accepted[1:]))


_round = st.builds(Round, st.sampled_from(["accueil", "urbanisme"]),
                   st.one_of(st.none(), st.floats(0, 86400, allow_nan=False)))
_services = st.lists(st.sampled_from(["accueil", "etat-civil", "urbanisme"]), max_size=30)


@given(st.lists(_round, max_size=60), _services, _services)
def test_every_question_is_counted_once_in_one_way(rounds, blocked, faq_answers):
    counts = reduce(rounds, blocked, faq_answers)
    for service, c in counts.items():
        assert c.asked == c.by_faq + c.by_staff + c.unanswered
        assert c.by_faq == faq_answers.count(service)
        assert c.abusive == blocked.count(service)
        assert sorted(c.first_answers) == sorted(
            r.answer_seconds for r in rounds if r.service == service and r.answer_seconds is not None)
        figures = c.figures()
        assert figures["faq_share"] is None or 0 <= figures["faq_share"] <= 1
    assert sum(c.asked for c in counts.values()) == len(rounds) + len(faq_answers)


# a day's actions on the store: (ticket, what); tickets are per day (as the queue's)
_action = st.tuples(st.integers(0, 3), st.sampled_from(
    ["ask", "answer", "close", "block", "faq0", "faq1"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_action, max_size=25), min_size=1, max_size=3))
def test_reducing_days_keeps_their_figures(days):
    store = QuestionStore(":memory:")
    try:
        for n, actions in enumerate(days):
            _play(store, (START + timedelta(days=n)).date().isoformat(), actions,
                  START + timedelta(days=n))
        first, last = date(2026, 11, 26), date(2026, 11, 26) + timedelta(days=len(days))
        before = _comparable(store.counts(first.isoformat(), last.isoformat()))
        store.reduce_before(last.isoformat())
        assert _comparable(store.counts(first.isoformat(), last.isoformat())) == before
        assert store.db.execute("SELECT count(*) FROM messages").fetchone() == (0,)
    finally:
        store.close()


def _comparable(counts):
    per_day, helpful = counts
    return {k: (c.asked, c.by_faq, c.by_staff, c.unanswered, c.abusive, sorted(c.first_answers))
            for k, c in per_day.items()}, helpful


def _play(store: QuestionStore, day: str, actions, now: datetime) -> None:
    for ticket, what in actions:
        now += timedelta(seconds=30)
        tid = f"{day}-{ticket}"
        with store.transaction() as db:
            conv = store.of_ticket(tid, db)
            if what == "ask":
                if conv is None:
                    store.add(db, store.open(db, tid, day, "accueil", now), "citizen", "q", now)
                elif conv.status != "blocked":
                    if conv.status == "closed":
                        store.reopen(db, conv.id, day, "accueil", now)
                    store.add(db, conv.id, "citizen", "q", now)
            elif conv is None:
                pass  # nothing to answer or close
            elif what == "answer" and conv.status == "open":
                store.add(db, conv.id, "staff", "r", now)
            elif what in ("close", "block") and conv.status != "blocked":
                store.close_conversation(db, conv.id, "blocked" if what == "block" else "closed", now)
        if what.startswith("faq"):
            store.faq_answered(tid, int(what[-1]), day, "accueil", f"question {what[-1]}")
