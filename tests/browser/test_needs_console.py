"""Citizens' needs at the agent console (issue 13): the ticket in service says in words what its
citizen asked for at the kiosk (« Besoin : boucle magnétique »), as plainly as a priority, in
French and English, and in the number's spoken label, so a screen reader reads it with the
ticket; when the counter lacks a need the site's other counters offer, it says where they are.
Screenshots: test-output/console-needs-*.png."""
from __future__ import annotations

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from test_console_agent import current_is, sign_in

SAID = {
    "fr": {"one": "Besoin : boucle magnétique",
           "two": "Besoins : interprète en langue des signes (LSF), guichet assis ou bas",
           "serving": "Ticket en cours"},
    "en": {"one": "Need: hearing loop",
           "two": "Needs: sign language interpreter (LSF), seated or low counter",
           "serving": "Serving"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_agent_sees_and_hears_the_needs_of_the_ticket_in_service(demo: Demo, lang):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil", "needs": ["hearing_loop"]})
    demo.post("/api/tickets", {"service": "accueil", "needs": ["sign_language", "seated"],
                               "category": "cmi"})
    demo.post("/api/tickets", {"service": "accueil"})
    with browser_page() as page:
        sign_in(page, demo, 1, lang)
        page.click("button#next")
        current_is(page, "A002")  # the priority ticket first
        assert page.inner_text("#current-needs") == SAID[lang]["two"]
        label = page.get_attribute("#current", "aria-label")
        assert label.startswith(SAID[lang]["serving"]) and SAID[lang]["two"] in label
        # read out with the ticket: inside the live card with the number
        assert page.evaluate("document.querySelector('#current-needs').closest('[aria-live]')"
                             " === document.querySelector('#current').closest('[aria-live]')")
        assert serious_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"console-needs-{lang}.png"), full_page=True)
        page.click("button#finish")
        current_is(page, "—")
        page.wait_for_selector("#current-needs", state="hidden")
        page.click("button#next")
        current_is(page, "A001")
        assert page.inner_text("#current-needs") == SAID[lang]["one"]
        assert SAID[lang]["one"] in page.get_attribute("#current", "aria-label")
        page.click("button#finish")
        current_is(page, "—")
        page.click("button#next")
        current_is(page, "A003")  # no needs: nothing said
        page.wait_for_selector("#current-needs", state="hidden")
        assert "—" not in page.get_attribute("#current", "aria-label").split(":", 1)[1]


def test_a_counter_without_the_need_says_which_counter_has_it(demo: Demo):
    # counter 2 has no hearing loop; counter 1 (closed) has one: with nobody else open,
    # counter 2 calls the ticket, and its agent learns where the loop is
    demo.post("/api/counters/2/open")
    demo.post("/api/tickets", {"service": "etat-civil", "needs": ["hearing_loop", "sign_language"]})
    with browser_page() as page:
        sign_in(page, demo, 2)
        page.click("button#next")
        current_is(page, "C001")
        assert page.inner_text("#current-needs") == \
            "Besoins : boucle magnétique, interprète en langue des signes (LSF)"
        assert page.inner_text("#current-needs-elsewhere") == \
            "Ce guichet n'a pas : boucle magnétique (à trouver au Guichet 1 — Accueil), " \
            "interprète en langue des signes (LSF)."
        assert serious_violations(page) == []
        page.screenshot(path=str(OUTPUT / "console-needs-elsewhere.png"), full_page=True)

    demo.post("/api/counters/2/finish")
    demo.post("/api/tickets", {"service": "accueil", "needs": ["seated"]})
    demo.post("/api/counters/1/open")
    demo.post("/api/counters/2/close")
    with browser_page() as page:
        sign_in(page, demo, 1)
        page.click("button#next")
        current_is(page, "A001")
        assert page.inner_text("#current-needs") == "Besoin : guichet assis ou bas"
        page.wait_for_selector("#current-needs-elsewhere", state="hidden")  # it has it
