"""The keyboard's focus on every page but the kiosk (which has its own tests) and the hall:
seen at 3:1 at least against what is behind it, on the white page and on the blue header
(RGAA 3.3: the shared orange ring was 2.1:1 on white), and the skip link first (RGAA 12.7)."""
from __future__ import annotations

import pytest

from chromium import browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from kiosk_checks import FOCUS, RING


def tab_through(page, stops: int) -> list[str]:
    seen = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:  # past the last control, to the browser
            break
        assert focus["visible"], f"focus not visible on {focus}"
        ring = page.evaluate(RING)
        assert ring >= 3, f"focus ring {ring:.2f}:1 on {focus}"
        seen.append(focus["id"] or focus["tag"])
    return seen


@pytest.mark.parametrize("path", ["/admin", "/supervision", "/guichet"])
def test_a_staff_pages_focus_is_seen_and_its_skip_link_comes_first(demo: Demo, path: str):
    with browser_page() as page:
        page.goto(demo.api + path)
        page.wait_for_selector("#login:not([hidden])")
        seen = tab_through(page, 8)
        assert len(seen) >= 3, seen  # the header's links and the sign-in form were reached
        page.goto(demo.api + path + "?lang=en")
        page.wait_for_selector("#login:not([hidden])")
        skip_link_first(page)


def skip_link_first(page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_ticket_pages_focus_is_seen(demo: Demo):
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    with browser_page(390, 844) as page:
        page.goto(f"{demo.api}/ticket/{ticket['id']}")
        page.wait_for_selector("#label:not(:empty)")
        assert len(tab_through(page, 8)) >= 2
        page.goto(f"{demo.api}/ticket/{ticket['id']}?lang=en")
        page.wait_for_selector("#label:not(:empty)")
        skip_link_first(page)


# every data table named by its title (RGAA 5.4): a caption, or the heading it sits under
NAMELESS_TABLES = """() => [...document.querySelectorAll('table')].filter((t) => t.getClientRects().length).filter((t) => {
  const by = t.getAttribute('aria-labelledby');
  const named = (t.caption && t.caption.textContent.trim()) || (t.getAttribute('aria-label') || '').trim()
    || (by && by.split(' ').map((id) => document.getElementById(id)?.textContent || '').join('').trim());
  return !named; }).map((t) => t.id || t.outerHTML.slice(0, 60))"""


def test_every_table_of_the_supervision_and_administration_has_its_title(demo: Demo):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil"})
    with browser_page() as page:
        for path, token in (("/supervision", "demo-superviseur"), ("/admin", "demo-admin")):
            page.goto(demo.api + path)
            page.wait_for_selector("#login:not([hidden])")
            page.fill("#token", token)
            page.click("#login-button")
            page.wait_for_selector("#login", state="hidden")
            page.wait_for_function("() => [...document.querySelectorAll('table')].some((t) => t.rows.length)")
            page.wait_for_timeout(500)  # the period's figures and charts arrive after the live ones
            assert page.evaluate(NAMELESS_TABLES) == [], path
            if path == "/supervision":  # RGAA 1.9: each chart's figure named by its caption
                page.wait_for_selector("#chart-waiting figcaption")
                assert page.evaluate("""() => [...document.querySelectorAll('figure[id^=chart]')].every((f) =>
                    f.getAttribute('role') === 'figure' &&
                    f.getAttribute('aria-label') === f.querySelector('figcaption').textContent)""")
