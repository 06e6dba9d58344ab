"""Review of issue 16's pages behind a proxy's prefix (`serve --root-path`, <base href> in
web/pages.py, the scripts made relative), as a hostile tester: Chromium loads the pages at
http://mairie.test/suivant/..., and a Playwright route plays the proxy (the prefix stripped,
the request handed to the bridge with root_path /suivant, as uvicorn's --root-path does)."""
from __future__ import annotations

import sys

import pytest
from fastapi.testclient import TestClient

from support import ADMIN, ROOT

sys.path.append(str(ROOT / "tests" / "browser"))
from chromium import browser_page  # noqa: E402

SITE = "http://mairie.test"
PREFIX = "/suivant"


@pytest.fixture
def proxied_page(bridge):
    """A phone's page on the bridge, behind the prefix; the live event stream left out (the
    in-process client would hold the route forever)."""
    with TestClient(bridge.app, root_path=PREFIX) as client, browser_page(390, 844) as page:
        def forward(route):
            request = route.request
            path = request.url[len(SITE + PREFIX):] or "/"
            if path.startswith("/api/events"):
                return route.abort()
            headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
            # uvicorn --root-path hands the app root_path + the proxy's path (h11_impl.py)
            r = client.request(request.method, PREFIX + path, headers=headers,
                               content=request.post_data_buffer)
            route.fulfill(status=r.status_code, body=r.content,
                          headers={k: v for k, v in r.headers.items()
                                   if k.lower() not in ("content-length", "content-encoding")})
        page.route(f"{SITE}{PREFIX}/**", forward)
        yield page, client


def test_the_booking_link_under_the_prefix_reads_its_code_and_checks_in(proxied_page):
    """Bug: rdv.js reads the booking code as `location.pathname.replace(/^\\/rdv\\/?/, "")`:
    under a prefix the path is /suivant/rdv/K7Q2M9, the regular expression does not match, and
    the page shows « Code : /suivant/rdv/K7Q2M9 » and sends that as the check-in key: the
    booking confirmation's link (the one a site sends by mail) can never check anyone in
    behind a proxy's prefix. Should strip `${root}rdv/` as ticket.js does with
    `${root}ticket/`."""
    page, client = proxied_page
    r = client.post("/api/appointments", headers=ADMIN, json={
        "service": "passeports-cni", "id": "rdv-1005", "at": "10:05", "code": "K7Q2M9"})
    assert r.status_code == 201, r.text
    page.goto(f"{SITE}{PREFIX}/rdv/K7Q2M9")
    page.wait_for_selector("#arrive")
    shown = page.inner_text("#code-line")
    assert "K7Q2M9" in shown and "rdv/" not in shown, shown
    page.click("#arrive")
    page.wait_for_url(f"{SITE}{PREFIX}/ticket/**", timeout=5000)


def test_the_unknown_ticket_page_links_back_to_the_site_not_the_proxy_s_root(proxied_page):
    """Bug: ticket.js's « Retour à l'accueil » under an unknown or malformed ticket id is
    `el("a", { href: "/" })`, an absolute path: behind the prefix it leaves the site for the
    proxy host's root (http://mairie.test/, another application or a 404). Should be the
    site's root (`root`, or "./" under the <base href>). The scripts' test
    (tests/install/test_behind_proxy.py) looks for "/api", "/static"... and misses a bare "/"."""
    page, _ = proxied_page
    page.goto(f"{SITE}{PREFIX}/ticket/abcdefgh12345678")  # well formed, unknown: 404
    page.wait_for_selector("#back")
    assert page.eval_on_selector("#back", "a => a.href") == f"{SITE}{PREFIX}/"


def test_the_language_link_stays_on_the_page_under_the_prefix(proxied_page):
    """Found fixing the two above: suivant.js's langLink set `href = "?lang=en"`, which resolves
    against the <base href> (the site's root), not the page: « English » on a ticket or a
    booking page opened the list of pages, with or without a prefix."""
    page, _ = proxied_page
    page.goto(f"{SITE}{PREFIX}/guichet?guichet=2&lang=fr")
    page.wait_for_selector("#lang:has-text('English')")
    assert page.eval_on_selector("#lang", "a => a.href") == \
        f"{SITE}{PREFIX}/guichet?guichet=2&lang=en"  # the page's other parameters kept
