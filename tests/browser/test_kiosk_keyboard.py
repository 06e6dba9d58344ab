"""The kiosk with a keyboard alone (RGAA 7.3, 12.8, 10.7): Tab, Enter and Space take a ticket, a
priority ticket, switch the language, turn the high-contrast mode on and close the ticket; the
focus is visible and on screen at every step; axe-core finds nothing serious in French and
English, normal and high contrast, on the choice and the ticket."""
from __future__ import annotations

from axe import serious_violations
from chromium import browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from kiosk_checks import tab_to


def take_with_keyboard(page, service: str, key: str = "Enter") -> None:
    tab_to(page, f'button[data-service="{service}"]')
    page.keyboard.press(key)
    page.wait_for_selector("#ticket-label")


def close_with_keyboard(page, key: str = "Enter") -> None:
    tab_to(page, "#done")
    page.keyboard.press(key)
    page.wait_for_selector("#choose:not([hidden])")


def test_a_ticket_a_priority_ticket_the_language_and_contrast_with_the_keyboard_alone(demo: Demo):
    demo.post("/api/counters/2/open")
    found = {}
    with browser_page(1280, 800) as page:
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        found["fr choice"] = serious_violations(page)
        tab_to(page, "#skip", limit=1)  # first, the way past the header (RGAA 12.7)
        assert page.inner_text("#skip") == "Aller au contenu"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # « J'ai un rendez-vous », beside the title (issue 15)
        assert page.evaluate("document.activeElement.id") == "rdv-open"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.service") == "accueil"
        take_with_keyboard(page, "etat-civil")
        assert page.inner_text("#ticket-label") == "C001"
        found["fr ticket"] = serious_violations(page)
        close_with_keyboard(page, "Space")

        tab_to(page, 'button[data-category="cmi"]')
        page.keyboard.press("Space")
        page.wait_for_selector("#cancel-priority")
        # the focus goes on to the services, for the démarche the status asks for
        assert page.evaluate("document.activeElement.dataset.service") == "accueil"
        take_with_keyboard(page, "etat-civil")
        assert page.inner_text("#ticket-priority").startswith("Ticket prioritaire")
        assert page.inner_text("#ticket-label") == "C002"
        close_with_keyboard(page)

        tab_to(page, "#contrast")
        page.keyboard.press("Space")
        page.wait_for_selector("html.contrast")
        assert page.get_attribute("#contrast", "aria-pressed") == "true"
        found["fr contrast choice"] = serious_violations(page)
        tab_to(page, "#lang")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.documentElement.lang === 'en'"
                               " && document.querySelector('#services button')")
        assert page.evaluate("document.documentElement.classList.contains('contrast')")
        found["en contrast choice"] = serious_violations(page)
        take_with_keyboard(page, "accueil", "Space")
        found["en contrast ticket"] = serious_violations(page)
        tab_to(page, "#contrast")
        page.keyboard.press("Enter")  # off again
        page.wait_for_selector("html:not(.contrast)")
        found["en ticket"] = serious_violations(page)
        close_with_keyboard(page, "Space")
        page.wait_for_function("() => document.documentElement.lang === 'fr'"
                               " && document.querySelector('#services button')")
        tab_to(page, "#lang")
        page.keyboard.press("Space")
        page.wait_for_function("() => document.documentElement.lang === 'en'"
                               " && document.querySelector('#services button')")
        found["en choice"] = serious_violations(page)
        tab_to(page, "#contrast")
        page.keyboard.press("Enter")
        page.wait_for_selector("html.contrast")
        take_with_keyboard(page, "etat-civil")
        found["en contrast ticket (priority path)"] = serious_violations(page)
        close_with_keyboard(page)
        page.wait_for_function("() => document.documentElement.lang === 'fr'"
                               " && document.querySelector('#services button')")
        tab_to(page, "#contrast")
        page.keyboard.press("Space")
        page.wait_for_selector("html.contrast")
        take_with_keyboard(page, "accueil")
        found["fr contrast ticket"] = serious_violations(page)
    assert all(v == [] for v in found.values()), found
