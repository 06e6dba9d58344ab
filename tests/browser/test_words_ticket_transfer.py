"""The phone's ticket page after a transfer: it says, live, that the ticket moved and what that
means for the wait, and shows the new service's questions instead of the old one's."""
from __future__ import annotations

import pytest

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

SAID = {
    "fr": "Votre ticket a été transféré vers le service Passeports / CNI. Vous gardez votre "
          "numéro C001 et votre heure d'arrivée : seules les personnes arrivées avant vous "
          "dans ce service passent avant vous.",
    "en": "Your ticket was transferred to the service Passeports / CNI. You keep your number "
          "C001 and your arrival time: only people who arrived before you in this service go "
          "before you.",
}
AHEAD = {"fr": "1 personne avant vous.", "en": "1 person before you."}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_after_a_transfer_the_ticket_page_says_so_and_shows_the_new_services_questions(demo: Demo, lang):
    demo.post("/api/tickets", {"service": "passeports-cni"})  # P001, there before
    demo.post("/api/counters/2/open")
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    assert ticket["label"] == "C001"
    with browser_page(390, 844) as phone:
        phone.goto(demo.api + f"/ticket/{ticket['id']}?lang={lang}")
        phone.wait_for_selector("#faq:not([hidden]) details")
        assert "acte de naissance" in phone.inner_text("#faq-list")
        demo.post("/api/counters/2/next")
        phone.wait_for_selector("#status-text.called")
        demo.post("/api/counters/3/open")
        demo.post("/api/counters/2/transfer", {"service": "passeports-cni"})
        phone.wait_for_selector("#moved")
        assert phone.inner_text("#moved") == SAID[lang]
        assert phone.get_attribute("#status", "aria-live") == "assertive"  # read out as it comes
        phone.wait_for_function("() => document.querySelector('#ahead').textContent !== ''")
        assert phone.inner_text("#ahead") == AHEAD[lang]
        assert phone.inner_text("#service") == "Passeports / CNI"
        phone.wait_for_function("() => document.querySelector('#faq-list').textContent"
                                ".includes('rendez-vous')")
        assert "acte de naissance" not in phone.inner_text("#faq-list")
        OUTPUT.mkdir(exist_ok=True)
        phone.screenshot(path=str(OUTPUT / f"words-ticket-transferred-{lang}.png"), full_page=True)
        # opened again later (a reload), it still says so
        phone.reload()
        phone.wait_for_selector("#moved")
        assert phone.inner_text("#moved") == SAID[lang]
