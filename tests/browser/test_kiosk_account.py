"""The kiosk signed in with its own account (role "kiosk"): set up once with /borne#kiosk=<token>,
the page keeps the token, takes it out of the address bar, and sends it with each ticket, so
the kiosk is not held to the anonymous per-address limit (issue 10: "the kiosk,
authenticated, is not")."""
from __future__ import annotations

from chromium import browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)


def test_the_kiosk_keeps_its_token_out_of_sight_and_sends_it_with_each_ticket(demo: Demo):
    demo.post("/api/counters/2/open")
    with browser_page() as page:
        sent = []
        page.on("request", lambda r: sent.append(r.headers.get("authorization"))
                if r.method == "POST" and r.url.endswith("/api/tickets") else None)
        page.goto(demo.api + "/borne#kiosk=demo-borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        assert "#" not in page.url and "demo-borne" not in page.url
        assert page.evaluate("localStorage.getItem('suivant-kiosk-token')") == "demo-borne"
        page.reload()  # set up once: kept across reloads (and restarts of the kiosk PC)
        page.wait_for_selector('button[data-service="etat-civil"]')
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-label")
        assert sent == ["Bearer demo-borne"]
