"""Citizens' needs on the phone's ticket page (issue 13): the citizen reads what they asked for at
the kiosk, plainly, in French or English; a ticket without needs says nothing of them.
Screenshot: test-output/ticket-needs-*.png."""
from __future__ import annotations

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

SAID = {
    "fr": {"one": "Vous avez demandé : guichet assis ou bas.",
           "three": "Vous avez demandé : boucle magnétique, interprète en langue des signes "
                    "(LSF) et guichet assis ou bas."},
    "en": {"one": "You asked for: a seated or low counter.",
           "three": "You asked for: a hearing loop, a sign language interpreter (LSF) and a "
                    "seated or low counter."},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_ticket_page_says_what_the_citizen_asked_for(demo: Demo, lang):
    one = demo.post("/api/tickets", {"service": "accueil", "needs": ["seated"]})["ticket"]
    three = demo.post("/api/tickets", {"service": "accueil",
                                       "needs": ["hearing_loop", "sign_language", "seated"]})["ticket"]
    none = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    with browser_page(390, 844) as phone:
        phone.goto(demo.api + f"/ticket/{one['id']}?lang={lang}")
        phone.wait_for_selector("#needs:not([hidden])")
        assert phone.inner_text("#needs") == SAID[lang]["one"]
        assert serious_violations(phone) == []
        phone.goto(demo.api + f"/ticket/{three['id']}?lang={lang}")
        phone.wait_for_selector("#needs:not([hidden])")
        assert phone.inner_text("#needs") == SAID[lang]["three"]
        OUTPUT.mkdir(exist_ok=True)
        phone.screenshot(path=str(OUTPUT / f"ticket-needs-{lang}.png"), full_page=True)
        phone.goto(demo.api + f"/ticket/{none['id']}?lang={lang}")
        phone.wait_for_selector("#label:not(:empty)")
        assert phone.is_hidden("#needs")
        # still said once called: the agent at the counter knows it too
        demo.post("/api/counters/1/open")
        demo.post("/api/counters/1/next")
        phone.goto(demo.api + f"/ticket/{one['id']}?lang={lang}")
        phone.wait_for_selector("#status-text.called")
        assert phone.inner_text("#needs") == SAID[lang]["one"]
