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
