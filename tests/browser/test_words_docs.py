"""/docs and /redoc on a site network without internet: every request that leaves the machine
is refused, as on a town hall's LAN, and both still show the API."""
from __future__ import annotations

from urllib.parse import urlparse

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)


def offline(page) -> list[str]:
    """Refuse every request to another host than this machine; -> the refused addresses."""
    refused: list[str] = []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    return refused


def test_swagger_ui_and_redoc_show_the_api_without_internet(demo: Demo):
    with browser_page(1280, 900) as page:
        refused = offline(page)
        page.goto(demo.api + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)  # the operations list
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/tickets" in paths
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "words-docs.png"))
        page.goto(demo.api + "/redoc")
        page.wait_for_selector("h1", timeout=20_000)  # ReDoc draws the API's title
        page.wait_for_function("() => document.body.innerText.includes('/api/tickets')")
        assert "Suivant host bridge" in page.inner_text("h1")
        page.screenshot(path=str(OUTPUT / "words-redoc.png"))
        assert refused == [], refused  # nothing needed from outside
