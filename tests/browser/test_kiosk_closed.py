"""Outside opening hours the kiosk says « fermé » before anyone taps, with the next opening in
the site's time, and offers the services again when the hours come (it asks every minute;
?open_poll= shortens that for the test). Before, it showed the services and refused the tap."""
from __future__ import annotations

import json

import pytest

from chromium import browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from kiosk_checks import fit_problems, measure
from test_kiosk_screens import check_every_size

FRIDAY_MORNING = "2026-11-27T08:30:00+01:00"


def site_open(page, demo: Demo, state: dict) -> None:
    """/api/site as the bridge answers it, with `open` as the test says."""
    site = demo.get("/api/site")
    page.route("**/api/site", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({**site, "open": state})))


@pytest.mark.parametrize("lang, title, reopens", [
    ("fr", "L'accueil est fermé", "Réouverture : vendredi 27 novembre"),
    ("en", "We are closed", "We open again: Friday, November 27")])
def test_outside_opening_hours_the_kiosk_says_so_before_a_tap(demo: Demo, lang, title, reopens):
    with browser_page(1024, 768) as page:
        state = {"now": False, "next": FRIDAY_MORNING}
        site_open(page, demo, state)
        page.goto(f"{demo.api}/borne?open_poll=1" + ("&lang=en" if lang == "en" else ""))
        page.wait_for_selector("#closed:not([hidden])")
        assert page.inner_text("#closed-title") == title
        text = page.inner_text("#closed-next")
        assert text.startswith(reopens) and "08:30" in text, text
        assert not page.is_visible('button[data-service="accueil"]')  # nothing to tap in vain
        problems: dict = {}
        check_every_size(page, f"closed-before-{lang}", problems)
        assert problems == {}, problems
        page.set_viewport_size({"width": 1024, "height": 768})
        page.unroute("**/api/site")
        site_open(page, demo, {"now": True, "next": None})  # the hours come
        page.wait_for_selector('button[data-service="accueil"]', timeout=5000)
        assert page.is_hidden("#closed")
        assert fit_problems(measure(page)) == []
