"""Citizens' needs at the kiosk (issue 13): before or after a priority card, and before the
service, a citizen asks for a hearing loop, a sign-language (LSF) interpreter or a seated or low
counter — toggle buttons in words (aria-pressed), in French and English; the ticket then says
what was asked, and the bridge has it on the ticket for the agent. The choice goes for the next
citizen as the priority does (« Terminé », the timeouts, a reload) and comes along when the
language is switched. Every screen with needs chosen fits every kiosk size in the normal and
large-text modes; the keyboard alone does it all; axe-core stays clean.
Screenshots: test-output/kiosk-needs-*.png."""
from __future__ import annotations

import json

import pytest

from axe import serious_violations
from chromium import browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from kiosk_checks import tab_to
from test_kiosk_screens import check_every_size

FRENCH = "() => document.documentElement.lang === 'fr' && document.querySelector('#services button')"
ENGLISH = "() => document.documentElement.lang === 'en' && document.querySelector('#services button')"
BUTTONS = {
    "fr": {"hearing_loop": "Boucle magnétique (malentendants)",
           "sign_language": "Interprète en langue des signes (LSF)",
           "seated": "Guichet assis ou bas"},
    "en": {"hearing_loop": "Hearing loop (hard of hearing)",
           "sign_language": "Sign language interpreter (LSF)",
           "seated": "Seated or low counter"},
}
PRESSED = "() => [...document.querySelectorAll('#needs button[data-need]')].filter(b => b.getAttribute('aria-pressed') === 'true').map(b => b.dataset.need)"


def open_kiosk(page, demo: Demo, query: str = "") -> None:
    page.goto(demo.api + "/borne" + query)
    page.wait_for_selector('button[data-service="etat-civil"]')


def pressed(page) -> list[str]:
    return page.evaluate(PRESSED)


def ticket_of(page, demo: Demo) -> dict:
    """The bridge's ticket shown on the kiosk, read through its page's address."""
    href = page.get_attribute("#ticket-link", "href")
    return demo.get("/api/tickets/" + href.rsplit("/", 1)[1])["ticket"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_needs_are_a_labelled_group_of_toggle_buttons_in_words(demo: Demo, lang):
    with browser_page(1280, 800) as page:
        open_kiosk(page, demo, "?lang=en" if lang == "en" else "")
        group = page.locator("#needs")
        assert group.get_attribute("role") == "group"
        title = page.inner_text("#" + group.get_attribute("aria-labelledby"))
        assert title == {"fr": "Accueil adapté", "en": "Assistance at the counter"}[lang]
        buttons = page.eval_on_selector_all(
            "#needs button[data-need]",
            "bs => bs.map(b => [b.dataset.need, b.textContent.trim(), b.getAttribute('aria-pressed')])")
        assert buttons == [[k, v, "false"] for k, v in BUTTONS[lang].items()]
        page.click('button[data-need="seated"]')
        assert page.get_attribute('button[data-need="seated"]', "aria-pressed") == "true"
        assert page.inner_text('button[data-need="seated"]').startswith("✓")  # seen, not by colour
        page.click('button[data-need="seated"]')  # and off again
        assert pressed(page) == []


def test_a_need_asked_before_the_priority_card_and_one_after_are_on_the_ticket(demo: Demo):
    demo.post("/api/counters/1/open")
    with browser_page(1280, 800) as page:
        open_kiosk(page, demo)
        page.click('button[data-need="hearing_loop"]')
        page.click('button[data-category="cmi"]')
        page.wait_for_selector("#cancel-priority")
        page.click('button[data-need="seated"]')
        assert pressed(page) == ["hearing_loop", "seated"]
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-label")
        assert page.inner_text("#ticket-needs") == \
            "Vous avez demandé : boucle magnétique et guichet assis ou bas. L'agent le saura."
        assert page.inner_text("#ticket-priority").startswith("Ticket prioritaire")
        ticket = ticket_of(page, demo)
        assert ticket["needs"] == ["hearing_loop", "seated"] and ticket["category"] == "cmi"

        # the next citizen: nothing asked, and a ticket without needs says nothing of them
        page.click("#done")
        page.wait_for_selector("#choose:not([hidden])")
        assert pressed(page) == []
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-label")
        assert page.locator("#ticket-needs").count() == 0
        assert ticket_of(page, demo)["needs"] == []


def test_one_need_in_english_on_the_ticket(demo: Demo):
    demo.post("/api/counters/1/open")
    with browser_page(1280, 800) as page:
        open_kiosk(page, demo)
        page.click('button[data-need="sign_language"]')
        page.click("#lang")  # the choice comes along, as a priority card does
        page.wait_for_function(ENGLISH)
        assert pressed(page) == ["sign_language"]
        page.click('button[data-service="accueil"]')
        page.wait_for_selector("#ticket-label")
        assert page.inner_text("#ticket-needs") == \
            "You asked for: a sign language interpreter (LSF). The agent will know."
        assert ticket_of(page, demo)["needs"] == ["sign_language"]


def test_the_needs_go_for_the_next_citizen_after_the_timeouts_and_a_reload(demo: Demo):
    demo.post("/api/counters/1/open")
    with browser_page(1280, 800) as page:
        # left alone on the choice with a need asked: the kiosk asks, then starts afresh
        open_kiosk(page, demo, "?idle=1&warn=1")
        page.click('button[data-need="hearing_loop"]')
        page.wait_for_selector("#still-there", state="visible", timeout=10_000)
        page.wait_for_function(f"() => ({PRESSED})().length === 0", timeout=10_000)
        # left alone on the ticket
        open_kiosk(page, demo, "?ticket_idle=1&warn=1")
        page.click('button[data-need="seated"]')
        page.click('button[data-service="accueil"]')
        page.wait_for_selector("#ticket-needs")
        page.wait_for_selector("#choose:not([hidden])", timeout=10_000)
        assert pressed(page) == []
        # a reload
        page.click('button[data-need="sign_language"]')
        page.click("#lang")
        page.wait_for_function(ENGLISH)
        assert pressed(page) == ["sign_language"]
        page.reload()  # the next citizen's kiosk: French, nothing asked
        page.wait_for_function(FRENCH)
        assert pressed(page) == []


def run_needs_screens(demo: Demo, contrast: bool) -> dict:
    demo.post("/api/counters/2/open")
    for _ in range(3):
        demo.post("/api/tickets", {"service": "accueil"})
    suffix = "-contrast" if contrast else ""
    problems: dict = {}
    with browser_page(1024, 768) as page:
        open_kiosk(page, demo)
        if contrast:
            page.click("#contrast")
            page.wait_for_selector("html.contrast")
        for need in BUTTONS["fr"]:
            page.click(f'button[data-need="{need}"]')
        check_every_size(page, "needs-choice" + suffix, problems)
        page.click('button[data-category="cmi"]')
        page.wait_for_selector("#cancel-priority")
        check_every_size(page, "needs-priority" + suffix, problems)
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-needs")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        check_every_size(page, "needs-ticket" + suffix, problems, ticket=True)
        # the fullest ticket: printed, priority, three needs, the longest wait's wording (no
        # counter open for passports)
        page.click("#done")
        page.set_viewport_size({"width": 1024, "height": 768})
        page.route("**/api/tickets", lambda route: route.fulfill(
            status=201, json={**route.fetch().json(), "printed": True}))
        if contrast:  # « Terminé » turned it off for the next citizen
            page.click("#contrast")
            page.wait_for_selector("html.contrast")
        for need in BUTTONS["fr"]:
            page.click(f'button[data-need="{need}"]')
        page.click('button[data-category="cmi"]')
        page.click('button[data-service="passeports-cni"]')
        page.wait_for_selector("#printed")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        check_every_size(page, "needs-printed" + suffix, problems, ticket=True)
    return problems


def test_a_printed_priority_ticket_fits_in_large_text_too(demo: Demo):
    """Without needs: it scrolled by 34 px at 1024x768 (found with the needs' fullest ticket)."""
    problems: dict = {}
    with browser_page(1024, 768) as page:
        page.route("**/api/tickets", lambda route: route.fulfill(
            status=201, json={**route.fetch().json(), "printed": True}))
        open_kiosk(page, demo)
        page.click("#contrast")
        page.click('button[data-category="cmi"]')
        page.click('button[data-service="passeports-cni"]')
        page.wait_for_selector("#printed")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        check_every_size(page, "printed-priority-contrast", problems, ticket=True)
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("contrast", [False, True], ids=["normal", "large-text"])
def test_every_screen_with_needs_chosen_fits_each_kiosk_size(demo: Demo, contrast):
    problems = run_needs_screens(demo, contrast)
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_needs_with_the_keyboard_alone_and_axe_core_clean(demo: Demo):
    demo.post("/api/counters/1/open")
    found = {}
    with browser_page(1280, 800) as page:
        open_kiosk(page, demo)
        tab_to(page, 'button[data-need="hearing_loop"]')
        page.keyboard.press("Space")
        assert page.get_attribute('button[data-need="hearing_loop"]', "aria-pressed") == "true"
        # a toggle keeps the focus: the citizen may ask for another
        assert page.evaluate("document.activeElement.dataset.need") == "hearing_loop"
        tab_to(page, 'button[data-need="sign_language"]')
        page.keyboard.press("Enter")
        assert pressed(page) == ["hearing_loop", "sign_language"]
        page.keyboard.press("Enter")  # off again
        assert pressed(page) == ["hearing_loop"]
        found["fr choice, a need asked"] = serious_violations(page)
        tab_to(page, 'button[data-category="famille"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("#cancel-priority")
        tab_to(page, 'button[data-service="accueil"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("#ticket-needs")
        assert "boucle magnétique" in page.inner_text("#ticket-needs")
        found["fr ticket with a need"] = serious_violations(page)
        tab_to(page, "#done")
        page.keyboard.press("Enter")
        page.wait_for_selector("#choose:not([hidden])")
        assert pressed(page) == []

        tab_to(page, "#contrast")
        page.keyboard.press("Space")
        page.wait_for_selector("html.contrast")
        tab_to(page, 'button[data-need="seated"]')
        page.keyboard.press("Space")
        found["fr contrast choice, a need asked"] = serious_violations(page)
        tab_to(page, "#lang")
        page.keyboard.press("Enter")
        page.wait_for_function(ENGLISH)
        assert pressed(page) == ["seated"]
        found["en contrast choice, a need asked"] = serious_violations(page)
        tab_to(page, 'button[data-service="etat-civil"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("#ticket-needs")
        assert page.inner_text("#ticket-needs") == \
            "You asked for: a seated or low counter. The agent will know."
        found["en contrast ticket with a need"] = serious_violations(page)
        tab_to(page, "#done")
        page.keyboard.press("Space")
        page.wait_for_function(FRENCH)
        assert pressed(page) == []
    assert all(v == [] for v in found.values()), found
