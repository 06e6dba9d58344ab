"""The survey after the visit through the HTTP API (issue 17): the phone's answer counts in the
satisfaction indicators as the phone's, its comment is kept for supervisors without ticket or
time of day (the counter only where the site's switch is on), for the retention period; every
refusal stores nothing, neither the vote nor the comment."""
from __future__ import annotations

import time

import pytest

from host_bridge.survey.comments import MAX_LISTED, comments_path

from survey_support import served
from support import ADMIN, AGENT, SUPERVISOR

DAY = "2026-11-26"
GOOD = "Accueil très aimable, merci au guichet"  # tests/log_secrets.py: never logged
SECOND = "Une deuxième fois pour le même ticket"


def satisfaction(client) -> dict:
    r = client.get(f"/api/indicators?from={DAY}&to={DAY}", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    return r.json()["satisfaction"]


def comments(client, first=DAY, last=DAY) -> list[dict]:
    r = client.get(f"/api/survey/comments?from={first}&to={last}", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    return r.json()["comments"]


def test_an_answer_counts_as_the_phones_and_its_comment_is_kept(client, clock):
    ticket = served(client, clock)
    assert client.get(f"/api/tickets/{ticket}/survey").json() == {"asked": True, "answered": False}
    r = client.post(f"/api/tickets/{ticket}/survey", json={"score": 3, "comment": f"  {GOOD}\n"})
    assert (r.status_code, r.json()) == (201, {"answered": True})
    s = satisfaction(client)
    assert (s["votes"], s["by_source"]["phone"]["votes"], s["by_source"]["terminal"]["votes"]) \
        == (1, 1, 0)
    assert s["by_source"]["phone"]["by_score"] == {"1": 0, "2": 0, "3": 1, "4": 0}
    assert s["survey_response_rate"] == 1.0
    # trimmed; no ticket, no time of day, no counter (the site's switch is off)
    assert comments(client) == [{"day": DAY, "service": "accueil", "score": 3, "text": GOOD}]
    assert client.get(f"/api/tickets/{ticket}/survey").json() == {"asked": False, "answered": True}


def test_an_answer_without_comment_stores_no_comment(client, clock):
    ticket = served(client, clock)
    for body in ({"score": 4}, ):
        assert client.post(f"/api/tickets/{ticket}/survey", json=body).status_code == 201
    other = served(client, clock)
    assert client.post(f"/api/tickets/{other}/survey",
                       json={"score": 2, "comment": "   "}).status_code == 201
    assert comments(client) == [] and satisfaction(client)["by_source"]["phone"]["votes"] == 2


def test_a_waiting_ticket_is_not_asked(client):
    ticket = client.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["id"]
    assert client.get(f"/api/tickets/{ticket}/survey").json() == {"asked": False, "answered": False}
    assert client.get("/api/tickets/nobody/survey").status_code == 404


def _long():
    return "é" * 501


REFUSALS = [  # (what, the body, the ticket: "served" | "waiting" | "unknown", status, code)
    ("unknown ticket", {"score": 4, "comment": GOOD}, "unknown", 404, "unknown_ticket"),
    ("not served", {"score": 4, "comment": GOOD}, "waiting", 409, "not_served"),
    ("score 0", {"score": 0, "comment": GOOD}, "served", 422, "invalid_request"),
    ("score 5", {"score": 5, "comment": GOOD}, "served", 422, "invalid_request"),
    ("score as text", {"score": "4", "comment": GOOD}, "served", 422, "invalid_request"),
    ("score true", {"score": True, "comment": GOOD}, "served", 422, "invalid_request"),
    ("score 2.5", {"score": 2.5}, "served", 422, "invalid_request"),
    ("no score", {"comment": GOOD}, "served", 422, "invalid_request"),
    ("long comment", {"score": 4, "comment": _long()}, "served", 422, "invalid_request"),
    ("comment not text", {"score": 4, "comment": [GOOD]}, "served", 422, "invalid_request"),
    ("unknown field", {"score": 4, "comment": GOOD, "agent": 2}, "served", 422,
     "invalid_request"),
]


@pytest.mark.parametrize("what, body, which, status, code", REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_refused_and_nothing_stored(client, clock, what, body, which, status, code):
    ticket = {"served": lambda: served(client, clock), "unknown": lambda: "nobody-0123",
              "waiting": lambda: client.post("/api/tickets", json={"service": "etat-civil"})
              .json()["ticket"]["id"]}[which]()
    before = satisfaction(client)
    r = client.post(f"/api/tickets/{ticket}/survey", json=body)
    assert (r.status_code, r.json()["error"]) == (status, code), r.text
    assert GOOD not in r.text and "ééé" not in r.text  # the refusal does not echo the comment
    assert satisfaction(client) == before and comments(client) == []


def test_answered_once(client, clock):
    ticket = served(client, clock)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    before = satisfaction(client)
    r = client.post(f"/api/tickets/{ticket}/survey", json={"score": 1, "comment": SECOND})
    assert (r.status_code, r.json()["error"]) == (409, "already_answered")
    assert satisfaction(client) == before
    assert [x["text"] for x in comments(client)] == [GOOD]


def test_a_retry_with_the_same_key_gets_its_answer_again_and_stores_once(client, clock):
    ticket = served(client, clock)
    key = {"Idempotency-Key": "0f7c2a9e-survey-retry-0001"}
    for _ in range(2):
        r = client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD},
                        headers=key)
        assert (r.status_code, r.json()) == (201, {"answered": True})
    assert satisfaction(client)["votes"] == 1 and len(comments(client)) == 1


def test_a_500_character_comment_once_trimmed_is_taken(client, clock):
    ticket = served(client, clock)
    text = "é" * 500
    r = client.post(f"/api/tickets/{ticket}/survey", json={"score": 2, "comment": f"\n {text} "})
    assert r.status_code == 201
    assert comments(client)[0]["text"] == text


def test_survey_off_refused_and_nothing_stored(make_client, settings, clock):
    import dataclasses
    off = dataclasses.replace(settings.questions, survey=False)
    client = make_client(questions=off)
    ticket = served(client, clock)
    assert client.get(f"/api/tickets/{ticket}/survey").json() == {"asked": False, "answered": False}
    r = client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    assert (r.status_code, r.json()["error"]) == (404, "survey_off")
    assert satisfaction(client)["votes"] == 0 and comments(client) == []


def test_a_site_without_questions_settings_asks_the_survey(make_client, clock):
    client = make_client(questions=None)  # Settings built in code: the defaults
    ticket = served(client, clock)
    assert client.get(f"/api/tickets/{ticket}/survey").json()["asked"] is True


# ----- the counter: only with the site's per-counter switch ---------------------------------
def _stored_counters(client) -> list:
    store = client.app.state.survey.comments
    with store._lock:
        return [r[0] for r in store.db.execute("SELECT counter FROM comments")]


def test_no_counter_stored_unless_the_site_turns_it_on(client, clock):
    ticket = served(client, clock, counter=2)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    assert _stored_counters(client) == [None]
    assert "counter" not in comments(client)[0]


def test_the_counter_with_the_switch_on(make_client, clock):
    client = make_client(figures_per_counter=True)
    ticket = served(client, clock, counter=2)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 1, "comment": GOOD})
    assert _stored_counters(client) == [2]
    assert comments(client) == [{"day": DAY, "service": "accueil", "score": 1, "text": GOOD,
                                 "counter": 2}]
    client.app.state.figures_per_counter = False  # turned off since: no longer shown
    assert "counter" not in comments(client)[0]


# ----- the public stream --------------------------------------------------------------------
def test_the_public_stream_never_carries_the_phones_ticket(client, clock):
    ticket = served(client, clock)
    label = client.get(f"/api/tickets/{ticket}").json()["ticket"]["label"]
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    service = client.app.state.service
    [vote] = [ev for ev in service.public_events_after(0) if ev["type"] == "FeedbackGiven"]
    assert ticket not in str(vote) and label not in str(vote) and GOOD not in str(vote)
    assert (vote["source"], vote["score"]) == ("phone", 4)
    assert "counter" not in vote  # whose counter it rates: not the public's (a privacy review)


# ----- reading the comments -----------------------------------------------------------------
@pytest.mark.parametrize("headers, status", [
    ({}, 401), ({"Authorization": "Bearer not-a-token"}, 401), (AGENT, 403),
    (SUPERVISOR, 200), (ADMIN, 200)])
def test_who_reads_the_comments(client, clock, headers, status):
    ticket = served(client, clock)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    r = client.get(f"/api/survey/comments?from={DAY}&to={DAY}", headers=headers)
    assert r.status_code == status
    assert (GOOD in r.text) == (status == 200)


@pytest.mark.parametrize("query", ["from=2026-11-27&to=2026-11-26", "from=2025-01-01&to=2026-11-26",
                                   "from=2026-11-26", "from=2026-13-01&to=2026-12-01"])
def test_a_bad_period_is_refused(client, query):
    r = client.get(f"/api/survey/comments?{query}", headers=SUPERVISOR)
    assert r.status_code == 422 and r.json()["error"] in ("invalid_period", "invalid_request")


def test_newest_first_and_at_most_500(client):
    store = client.app.state.survey.comments
    for i in range(MAX_LISTED + 1):
        store.add(f"2026-11-{1 + i % 25:02d}", "accueil", 1 + i % 4, f"commentaire de test n°{i}", None)
    got = comments(client, "2026-11-01", "2026-11-30")
    assert len(got) == MAX_LISTED
    days = [x["day"] for x in got]
    assert days == sorted(days, reverse=True) and days[0] == "2026-11-25"
    assert got[0]["text"] == "commentaire de test n°499"  # the latest written of the newest day first
    assert comments(client, "2026-11-02", "2026-11-02")[0]["day"] == "2026-11-02"


# ----- retention ----------------------------------------------------------------------------
def test_comments_deleted_after_the_retention_period(client, clock, settings):
    ticket = served(client, clock)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    survey = client.app.state.survey
    assert survey.retention_days == settings.retention_days == 400
    clock.advance(400 * 24 * 3600)  # the 400th day after: still kept
    assert survey.purge_once() == 0 and len(comments(client)) == 1
    clock.advance(24 * 3600)
    assert survey.purge_once() == 1 and comments(client) == []


def test_the_link_purges_at_start(client, clock):
    survey = client.app.state.survey
    survey.comments.add("2020-01-06", "accueil", 3, GOOD, None)
    survey.comments.add(DAY, "accueil", 3, SECOND, None)
    survey.start()
    try:
        deadline = time.monotonic() + 5
        while survey.comments.count() > 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        survey.stop()
    assert [x["text"] for x in comments(client)] == [SECOND]


def test_a_queue_in_memory_keeps_its_comments_in_memory(make_client, clock, tmp_path):
    client = make_client(db_path=":memory:")
    ticket = served(client, clock)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    assert [x["text"] for x in comments(client)] == [GOOD]
    assert client.app.state.survey.path == ":memory:"
    assert not list(tmp_path.glob("*survey*"))  # no file named after it anywhere near


def test_the_comments_file_sits_beside_the_queues(client, clock, settings):
    from pathlib import Path
    path = Path(comments_path(settings.db_path))
    assert client.app.state.survey.purge_once() == 0
    assert not path.exists()  # opened on first use: a site whose phones never answer has none
    ticket = served(client, clock)
    client.post(f"/api/tickets/{ticket}/survey", json={"score": 4, "comment": GOOD})
    assert client.app.state.survey.path == str(path) and path.exists()
