"""What a review of the survey after the visit found (issue 17), each test failing before its
fix: a deleted comment left in the WAL, a phone vote's counter on the public stream, central
calling phone votes the terminals', the FAQ entries that answered not listed on the
supervision page, a 0 % response rate on a site that does not ask; and a comment keeps no
counter once the per-counter switch is off."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from host_bridge.survey.comments import CommentStore, comments_path
from support import AGENT, SUPERVISOR

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-26"
# texts already watched by tests/log_secrets.py (the survey's group): never logged
GOOD = "Accueil très aimable, merci au guichet"
OTHER = "Trop d'attente au guichet des passeports"


def _served(client, clock, counter: int, service: str = "accueil") -> str:
    """A ticket taken, called and served at `counter` a minute later: its id."""
    clock.advance(60)
    client.post(f"/api/counters/{counter}/open", headers=AGENT)
    ticket = client.post("/api/tickets", json={"service": service}).json()["ticket"]["id"]
    assert client.post(f"/api/counters/{counter}/next", headers=AGENT).status_code == 200
    assert client.post(f"/api/counters/{counter}/finish", headers=AGENT).status_code == 200
    return ticket


# ----- retention: a comment deleted is gone from the file's bytes ----------------------------
def test_a_comment_past_the_retention_period_leaves_no_trace_in_the_survey_files(tmp_path):
    """Bug: survey/comments.py's CommentStore is a plain SideFile in WAL mode: purge_before
    deletes the row from the database, but the page images written since the last WAL reset
    stay in suivant.survey.db-wal, the comment's text with them, after the purge and after a
    checkpoint (what SQLite's auto-checkpoint does while the bridge runs: it does not truncate
    the file). A quiet site (a few comments a week, retention_days = 31) reaches 1000 WAL
    frames, SQLite's checkpoint threshold, only after months: `strings mairie.survey.db-wal`
    then shows comments "deleted after retention_days" (docs/operations.md §19) until the
    bridge stops. The questions' file (questions/store.py) avoids exactly this with a rollback
    journal and secure_delete. Should do the same for the comments (journal_mode=DELETE,
    secure_delete=ON), or checkpoint with TRUNCATE after a purge."""
    path = comments_path(str(tmp_path / "suivant.db"))
    store = CommentStore(path)
    try:
        store.add("2025-01-06", "accueil", 1, OTHER, None)
        store.add(DAY, "accueil", 4, GOOD, None)
        assert store.purge_before("2025-10-22") == 1
        with store._lock:
            store.db.execute("PRAGMA wal_checkpoint")  # the bridge's auto-checkpoint
        left = b"".join(p.read_bytes() for p in tmp_path.iterdir()
                        if p.name.startswith("suivant.survey.db"))
        assert GOOD.encode() in left  # the comment kept is there: the files were read right
        assert OTHER.encode() not in left
    finally:
        store.close()


# ----- the public stream: a phone's vote and its counter -------------------------------------
def test_a_phone_vote_on_the_public_stream_names_no_counter_when_per_counter_figures_are_off(
        client, clock):
    """Bug: service/views.py public_event drops the phone vote's ticket (and the label is
    None) but keeps its `counter` and `source`: GET /api/events, open to anyone without a
    token, sends {"type": "FeedbackGiven", "score": 1, "counter": 2, "source": "phone"} right
    after the TicketServed of that counter. With `[privacy] figures_per_counter` off (the
    default, as here), anyone on the hall screen's network reads each counter's survey scores
    - an agent's rating - and the order and scores of /api/survey/comments (newest first, the
    latest written first within a day) then tie each comment to its counter, which comments.py
    carefully leaves out. The issue: comments "never linked to an agent unless the site's
    per-counter switch is on". Should leave the counter out of a phone vote's public event
    unless the switch is on (the score alone, if anything)."""
    assert client.app.state.figures_per_counter is False
    ticket = _served(client, clock, counter=2)
    assert client.post(f"/api/tickets/{ticket}/survey",
                       json={"score": 1, "comment": OTHER}).status_code == 201
    [vote] = [ev for ev in client.app.state.service.public_events_after(0)
              if ev["type"] == "FeedbackGiven"]
    assert vote.get("counter") is None, vote


# ----- central's figures page ----------------------------------------------------------------
def test_centrals_page_does_not_call_phone_votes_the_feedback_terminals():
    """Bug: central's satisfaction (central/views.py scope_indicators -> indicators_view,
    domain/indicators.py) now counts the phone survey's answers with the terminals' votes,
    but central/web/figures.js still titles it « Satisfaction (bornes d'avis) » /
    "Satisfaction (feedback terminals)": a regional manager reads 120 « avis » of the
    terminals where 100 came from phones, and compares sites that have no terminal at all.
    The site's own page was renamed (« bornes d'avis et enquête sur téléphone »). Should say
    both sources (or show by_source, as the supervision page does)."""
    js = (ROOT / "host_bridge/central/web/figures.js").read_text(encoding="utf-8")
    title = re.search(r"^\s*sat:\s*\{(.*)\},\s*$", js, re.M).group(1)
    assert "téléphone" in title or "phone" in title.lower(), title


# ----- docs/operations.md §19 against the supervision page ------------------------------------
def test_the_supervision_page_lists_the_faq_entries_that_answered_questions():
    """Bug: docs/operations.md §19 tells the site "the supervision page lists the entries that
    answered questions, and the share the FAQ answered without staff", and /api/indicators
    carries them (questions.faq_helpful, questions/desk.py), but web/static/supervision.js's
    questions() draws only the per-service table and the share: a supervisor looking for
    which FAQ entries to keep finds nothing. Should list faq_helpful (or the doc say not)."""
    doc = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
    assert "the supervision page lists the entries that answered questions" in \
        " ".join(doc.split())
    js = (ROOT / "host_bridge/web/static/supervision.js").read_text(encoding="utf-8")
    assert "faq_helpful" in js


# ----- the survey's response rate ------------------------------------------------------------
def test_a_site_that_does_not_ask_the_survey_shows_no_response_rate(settings, clock):
    """Bug: with `[questions] survey = false` the ticket page never asks the survey, yet
    domain/indicators.py computes survey_response_rate = phone answers / served = 0 / n = 0.0
    for any period with a served ticket: /api/indicators says 0.0, the CSV's « taux de réponse
    à l'enquête (%) » says « 0,0 » and the supervision page says « Taux de réponse à l'enquête
    après la visite : 0 % des usagers reçus » - as if every citizen had refused it. The same
    denominator counts the served tickets of days before the survey existed (tallies of an
    older release) and central shows 0.0 for a site still on an older release. Should be null
    (no rate: the survey was not asked) and the page say so; the rate counts only the tickets
    served while the survey was asked."""
    off = dataclasses.replace(settings.questions, survey=False)
    b = build(dataclasses.replace(settings, questions=off), clock)
    try:
        with TestClient(b.app) as client:
            _served(client, clock, counter=1)
            r = client.get(f"/api/indicators?from={DAY}&to={DAY}", headers=SUPERVISOR)
            assert r.status_code == 200, r.text
            assert r.json()["total"]["served"] == 1
            assert r.json()["satisfaction"]["survey_response_rate"] is None
    finally:
        b.app.state.survey.stop()
        b.close()


def test_comments_stored_with_the_switch_on_lose_their_counter_once_it_is_off(settings, clock,
                                                                              tmp_path):
    """A site turns `figures_per_counter` off: the comments filed while it was on no longer
    link to a counter, in the file either (not only hidden by the API)."""
    on = dataclasses.replace(settings, figures_per_counter=True)
    b = build(on, clock)
    try:
        with TestClient(b.app) as client:
            ticket = _served(client, clock, counter=2)
            assert client.post(f"/api/tickets/{ticket}/survey",
                               json={"score": 3, "comment": GOOD}).status_code == 201
        assert b.app.state.survey.comments.between(DAY, DAY)[0]["counter"] == 2
    finally:
        b.app.state.survey.stop()
        b.close()
    off = build(dataclasses.replace(settings, figures_per_counter=False), clock)
    try:
        assert off.app.state.survey.comments.between(DAY, DAY)[0].get("counter") is None
        import sqlite3
        db = sqlite3.connect(comments_path(settings.db_path))
        try:
            assert db.execute("SELECT counter FROM comments").fetchall() == [(None,)]
        finally:
            db.close()
    finally:
        off.app.state.survey.stop()
        off.close()
