"""The supervisor's live alert and today's charts, on the real demo: a service whose longest
wait passes its target is named in words and read out, the alert clears once that person is
called; the three charts are drawn with data, each with its sentence and its table."""
from __future__ import annotations

import json
import urllib.request

import pytest

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)


def as_admin(demo: Demo, method: str, path: str, body=None) -> dict:
    req = urllib.request.Request(demo.api + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer demo-admin"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def short_target(demo: Demo, service: str, minutes: int) -> None:
    config = as_admin(demo, "GET", "/api/admin/config")
    for s in config["services"]:
        if s["id"] == service:
            s["target_wait_minutes"] = minutes
    as_admin(demo, "PUT", "/api/admin/config", config)


def sign_in(page, token: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#token", token)
    page.click("#login-button")


ALERT = {
    "fr": ("Urbanisme : une personne attend depuis 3 min, au-delà du délai cible de 1 min.",
           "Alerte : l'attente dépasse le délai cible pour Urbanisme.",
           "Toutes les attentes sont dans leur délai cible.",
           "Fin d'alerte : Urbanisme est revenu dans son délai cible."),
    "en": ("Urbanisme: one person has been waiting for 3 min, past the target of 1 min.",
           "Alert: the wait is past its target for Urbanisme.",
           "Every wait is within its target.",
           "Alert over: Urbanisme is back within its target."),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_wait_past_its_target_raises_a_live_alert_that_clears_once_called(demo: Demo, lang):
    from axe import serious_violations
    short_target(demo, "urbanisme", 1)
    demo.post("/api/counters/4/open")  # urbanisme's counter, before: no event in between
    demo.post("/api/tickets", {"service": "urbanisme"})
    late, said, calm, over = ALERT[lang]
    with browser_page(1280, 1400) as page:
        page.clock.install()  # the page counts the wait on by itself between events
        page.goto(demo.api + f"/supervision?lang={lang}")
        sign_in(page, "demo-superviseur")
        page.wait_for_selector("#alert-state:not(:empty)")
        assert page.inner_text("#alert-state") == calm
        page.clock.fast_forward("03:00")
        page.wait_for_selector("#alerts li")
        assert page.locator("#alerts li").all_inner_texts() == [late]
        assert page.inner_text("#alert-live") == said  # announced once, assertively
        row = page.locator("#live-services tbody tr", has_text="Urbanisme").inner_text()
        assert row.split("\t")[-1] == {"fr": "3 min — au-delà du délai cible (1 min)",
                                        "en": "3 min — past the target (1 min)"}[lang]
        assert page.get_attribute("#alert-live", "aria-live") == "assertive"
        assert "⚠" in page.inner_text("#alert-box h2")  # a sign and words, not colour alone
        assert serious_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"supervision-alert-{lang}.png"))
        demo.post("/api/counters/4/next")  # the late person is called: the alert goes
        page.wait_for_function("() => !document.querySelector('#alerts li')")
        assert page.inner_text("#alert-state") == calm
        assert page.inner_text("#alert-live") == over


def test_todays_charts_are_drawn_with_their_sentences_and_tables(demo: Demo):
    from axe import serious_violations
    demo.post("/api/counters/1/open")
    for service in ("accueil", "accueil", "etat-civil", "accueil"):
        demo.post("/api/tickets", {"service": service})
    demo.post("/api/counters/1/next")  # one called at once: within its target
    with browser_page(1280, 1600) as page:
        page.goto(demo.api + "/supervision")
        sign_in(page, "demo-superviseur")
        page.wait_for_selector("#chart-waiting svg")
        for chart in ("#chart-waiting", "#chart-waits", "#chart-hours"):
            svg = page.locator(f"{chart} svg")
            assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
            assert page.locator(f"{chart} svg rect, {chart} svg polyline, {chart} svg path").count() > 0
            assert page.inner_text(f"{chart} figcaption")  # the sentence
            assert page.locator(f"{chart} table tbody tr").count() > 0  # the data, as a table
        assert page.inner_text("#chart-waiting figcaption") == \
            "Au plus 4 personnes en attente à la fois aujourd'hui ; 3 en ce moment."
        assert page.inner_text("#chart-waits figcaption") == \
            "Sur 1 personne appelée aujourd'hui, 1 (100 %) l'a été dans son délai cible."
        hours = page.inner_text("#chart-hours figcaption")
        assert hours.startswith("4 tickets aujourd'hui ; l'heure la plus chargée : ")
        # the period's mean-wait chart has its sentence too
        assert page.inner_text("#bars-text") == \
            "En moyenne sur la période, chaque service est dans son délai cible."
        page.click("#chart-hours summary")  # the table opens from the keyboard or the mouse
        assert page.locator("#chart-hours table").is_visible()
        page.screenshot(path=str(OUTPUT / "supervision-charts.png"), full_page=True)
        assert serious_violations(page) == []


def test_a_lost_live_link_is_said_since_the_alert_may_be_out_of_date(demo: Demo):
    with browser_page(1280, 900) as page:
        page.route("**/api/events*", lambda route: route.abort())  # the stream cannot be reached
        page.goto(demo.api + "/supervision")
        sign_in(page, "demo-superviseur")
        page.wait_for_selector("#offline:not([hidden])")
        assert page.inner_text("#offline") == ("Connexion perdue : les chiffres et l'alerte ne "
                                               "suivent plus, nouvel essai…")
