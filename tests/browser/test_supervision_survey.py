"""The supervision page with the survey after the visit and the citizens' questions (issue 17):
satisfaction by source (« borne », « téléphone ») with the survey's response rate, the
comments newest first (« guichet N » only where the site shows per-counter figures), and the
« Questions des usagers » block per service; headings, captions and table headers, axe clean.
A bridge in process behind uvicorn; the questions' figures from a stand-in of their shape."""
from __future__ import annotations

import dataclasses

import pytest

from chromium import OUTPUT, browser_page
from host_bridge.domain.commands import GiveFeedback
from live_server import running_server
from support import AGENT

DAY = "2026-11-26"
FIRST = "Trop d'attente au guichet des passeports"  # tests/log_secrets.py: never logged
LATEST = "Accueil très aimable, merci au guichet"


class Questions:
    """The figures' shape of host_bridge/questions (api/indicators.questions_figures)."""

    def figures(self, first, last) -> dict:
        accueil = {"asked": 5, "by_faq": 2, "by_staff": 3, "unanswered": 0, "abusive": 0,
                   "faq_share": 0.4, "first_answer_median_minutes": 4.5}
        return {"services": {"accueil": accueil}, "total": accueil, "faq_helpful": []}


def served(server, clock, counter: int) -> str:
    clock.advance(60)
    server.post(f"/api/counters/{counter}/open", headers=AGENT)
    ticket = server.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["id"]
    server.post(f"/api/counters/{counter}/next", headers=AGENT)
    server.post(f"/api/counters/{counter}/finish", headers=AGENT)
    return ticket


@pytest.mark.parametrize("per_counter", [False, True])
def test_satisfaction_by_source_comments_and_questions(settings, clock, per_counter):
    from axe import serious_violations
    site = dataclasses.replace(settings, figures_per_counter=per_counter)
    with running_server(site, clock) as server:
        app = server.bridge.app
        app.state.questions = Questions()
        try:
            first, latest, silent = (served(server, clock, k) for k in (1, 2, 1))
            server.post(f"/api/tickets/{first}/survey", json={"score": 1, "comment": FIRST})
            server.post(f"/api/tickets/{latest}/survey", json={"score": 4, "comment": LATEST})
            server.bridge.service.execute(GiveFeedback(3, 1), "device:term-1")  # a terminal
            with browser_page(1280, 1600) as page:
                page.goto(server.url + "/supervision")
                page.wait_for_selector("#login:not([hidden])")
                page.fill("#token", "demo-superviseur")
                page.click("#login-button")
                page.wait_for_selector("#satisfaction:not(:empty)")
                page.fill("#from", DAY)
                page.fill("#to", DAY)
                page.click("#show")
                page.wait_for_selector("#comments li")
                page.wait_for_function("() => document.querySelectorAll('#comments li').length === 2")
                assert page.inner_text("#sat-sources caption") == "Avis par source"
                rows = [r.split("\t") for r in page.locator("#sat-sources tbody tr").all_inner_texts()]
                assert rows == [["borne", "1", "100 %", "100"], ["téléphone", "2", "50 %", "0"],
                                ["Ensemble", "3", "67 %", "33"]]
                assert page.inner_text("#survey-rate") == \
                    "Taux de réponse à l'enquête après la visite : 67 % des usagers reçus."
                said = page.locator("#comments li").all_inner_texts()
                assert LATEST in said[0] and FIRST in said[1]  # newest first
                assert "4/4 (très satisfait)" in said[0]
                assert ("guichet 2" in said[0]) == per_counter  # only with the site's switch
                assert all(("guichet" in s.split("\n")[0]) == per_counter for s in said)
                assert page.inner_text("#questions-title") == "Questions des usagers"
                accueil = page.locator("#questions tbody tr", has_text="Accueil").inner_text()
                assert accueil.split("\t")[1:] == ["5", "40 %", "4,5 min"]
                assert page.locator("#questions caption").count() == 1
                assert page.locator("#questions thead th[scope=col]").count() == 4
                assert serious_violations(page) == []
                OUTPUT.mkdir(exist_ok=True)
                page.locator("#sat-title").scroll_into_view_if_needed()
                page.screenshot(path=str(OUTPUT / f"supervision-survey{'-per-counter' * per_counter}.png"),
                                full_page=True)
        finally:
            app.state.survey.stop()


def test_no_questions_block_without_their_figures(settings, clock):
    with running_server(settings, clock) as server:
        server.bridge.app.state.questions = object()  # a bridge that does not count them
        try:
            with browser_page() as page:
                page.goto(server.url + "/supervision")
                page.wait_for_selector("#login:not([hidden])")
                page.fill("#token", "demo-superviseur")
                page.click("#login-button")
                page.wait_for_selector("#survey-rate:not(:empty)")
                assert page.locator("#questions-box").is_hidden()
                page.wait_for_selector("#comments-text:not(:empty)")  # read after the figures
                assert page.inner_text("#comments-text") == "Aucun commentaire sur la période."
        finally:
            server.bridge.app.state.survey.stop()
