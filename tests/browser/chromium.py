"""Headless Chromium for the page tests: Debian's /usr/bin/chromium (the Makefile installs it),
driven by Playwright, with the flags this machine needs (no sandbox as root, no GPU, no
background network: the machine has no internet and Chromium would keep trying)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"  # screenshots for a reviewer


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        errors: list[str] = []  # uncaught exceptions in any page's JavaScript fail the test
        opened = browser.new_page

        def new_page(**kwargs):
            page = opened(**kwargs)
            page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
            return page
        browser.new_page = new_page  # type: ignore[method-assign]
        try:
            yield new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
        assert not errors, f"JavaScript errors in the pages: {errors}"
