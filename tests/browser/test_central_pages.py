"""Central's pages in Debian's Chromium, on a real PostgreSQL holding real sites' histories
(bridges built in process, as tests/network/test_central_api.py makes them): the sites list
at 320, 768 and 1280 px — each state in words and with an icon, never by colour alone, the
page never wider than the screen, no serious axe violation —, sorting and the region filter,
a region account's list, the figures pages and their CSV."""
from __future__ import annotations

import dataclasses
import socket
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import uvicorn

from chromium import OUTPUT, browser_page
from support import EXAMPLE, ROOT, free_port

sys.path.insert(0, str(ROOT / "tests" / "network"))  # the sites' histories, made alike
from test_central_api import config_for, site_history, store  # noqa: E402

pytestmark = pytest.mark.slow
PASSWORD = "un mot de passe sûr"
SITES = {"mairie-a": "Occitanie", "mairie-b": "Occitanie", "mairie-c": "Bretagne",
         "mairie-d": "Bretagne"}  # mairie-d never heard from


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    from host_bridge.central.accounts import CentralAccounts
    from host_bridge.central.app import Connections, create_app
    from host_bridge.site_config import load
    from network_servers import Postgres
    folder = tmp_path_factory.mktemp("central")
    base = load(EXAMPLE)
    base = dataclasses.replace(base, site=dataclasses.replace(
        base.site, rules=dataclasses.replace(base.site.rules, refuse_outside_hours=False)))
    with Postgres() as pg:
        dsn = pg.new_database()
        app = create_app(config_for(dsn, folder, SITES))
        for i, s in enumerate(["mairie-a", "mairie-b", "mairie-c"]):
            rows, state, *_ = site_history(base, folder / s, seed=i)
            store(dsn, s, rows, state)
        with psycopg.connect(dsn, autocommit=True) as conn:  # mairie-b fell silent
            conn.execute("UPDATE states SET received_at = clock_timestamp() - interval "
                         "'7 minutes' WHERE site = 'mairie-b'")
        people = CentralAccounts(Connections(dsn))
        people.add("dsi", "DSI du réseau", "network", "", PASSWORD)
        people.add("bzh", "Supervision Bretagne", "region", "Bretagne", PASSWORD)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = free_port()
        sock.bind(("127.0.0.1", port))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            app.state.connections.close()


def sign_in(page, login: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#user", login)
    page.fill("#password", PASSWORD)
    page.click("#login-button")


def names(page) -> list[str]:
    return page.locator("#sites tbody th").all_inner_texts()


@pytest.mark.parametrize("width, height", [(320, 700), (768, 1000), (1280, 900)])
def test_the_sites_list_says_each_state_in_words_at_every_size(central, width, height):
    from axe import serious_violations
    with browser_page(width, height) as page:
        page.goto(central + "/central/")
        sign_in(page, "dsi")
        page.wait_for_selector("#sites tbody tr")
        rows = page.locator("#sites tbody tr")
        assert rows.count() == 4
        states = {r.locator("th").inner_text(): r.locator(".state").inner_text()
                  for r in rows.all()}
        assert states["Mairie A"] == "● Connecté"
        assert states["Mairie B"].startswith("▲ Silencieux depuis 7 min")
        assert states["Mairie D"] == "○ Jamais connecté"
        # the icon is decoration: the words say the state (and the colour a third time)
        assert page.locator(".state [aria-hidden=true]").count() == 4
        # silent first, then never heard from, then connected (sorted by state)
        assert names(page)[:2] == ["Mairie B", "Mairie D"]
        assert "4 sites" in page.inner_text("#counts")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page is {wide} px wide on a {width} px screen"
        assert serious_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"central-sites-{width}.png"), full_page=True)


def test_sorting_and_the_region_filter(central):
    with browser_page(1280, 900) as page:
        page.clock.install()  # the list refreshes itself every 15 s
        page.goto(central + "/central/?lang=fr")
        sign_in(page, "dsi")
        page.wait_for_selector("#sites tbody tr")
        page.focus("#sites thead th:first-child button")
        page.keyboard.press("Enter")
        assert names(page) == ["Mairie A", "Mairie B", "Mairie C", "Mairie D"]
        before = page.inner_text("#updated")
        page.clock.fast_forward("00:16")
        page.wait_for_function(f"document.querySelector('#updated').textContent !== {before!r}")
        # redrawn, in the same order, the keyboard still on the same column's button
        assert names(page) == ["Mairie A", "Mairie B", "Mairie C", "Mairie D"]
        assert page.evaluate("document.activeElement.closest('th') === "
                             "document.querySelector('#sites thead th:first-child')")
        assert page.get_attribute("#sites thead th:first-child", "aria-sort") == "ascending"
        page.click("#sites thead th:first-child button")
        assert names(page) == ["Mairie D", "Mairie C", "Mairie B", "Mairie A"]
        assert page.get_attribute("#sites thead th:first-child", "aria-sort") == "descending"
        page.select_option("#region", "Bretagne")
        page.wait_for_function("document.querySelectorAll('#sites tbody tr').length === 2")
        assert sorted(names(page)) == ["Mairie C", "Mairie D"]
        assert "region=Bretagne" in page.url


def test_a_region_account_sees_only_its_region(central):
    with browser_page(768, 1000) as page:
        page.goto(central + "/central/")
        sign_in(page, "bzh")
        page.wait_for_selector("#sites tbody tr")
        assert sorted(names(page)) == ["Mairie C", "Mairie D"]
        assert "Bretagne" in page.inner_text("#who")
        assert page.is_disabled("#region")  # its one region: nothing else to choose
        page.goto(central + "/central/?lang=en")  # the session kept in the tab, in English
        page.wait_for_selector("#sites tbody tr")
        assert sorted(page.locator("#sites .state").all_inner_texts()) == [
            "○ Never connected", "● Connected"]
        assert page.inner_text("#sites-title") == "Sites"
        page.goto(central + "/central/?lang=fr")
        page.goto(central + "/central/indicateurs?from=2026-11-26&to=2026-11-27")
        page.wait_for_selector("#figures tbody tr")
        assert page.inner_text("#ind-title") == "Région Bretagne — indicateurs"
        assert page.locator("#figures tbody th").all_inner_texts() == ["Mairie C"]
        page.goto(central + "/central/site?id=mairie-a&from=2026-11-26&to=2026-11-27")
        page.wait_for_selector("#message .error")
        assert "ne voit pas ce site" in page.inner_text("#message")


def test_the_figures_pages_and_their_csv(central, tmp_path):
    from axe import serious_violations
    with browser_page(1280, 1200) as page:
        page.goto(central + "/central/indicateurs?from=2026-11-26&to=2026-11-27")
        sign_in(page, "dsi")
        page.wait_for_selector("#figures tbody tr")
        assert page.inner_text("#ind-title") == "Le réseau — indicateurs"
        assert page.locator("#figures tbody tr").count() == 3
        assert page.locator("#figures tfoot th").inner_text() == "Tous les sites"
        assert "hors des chiffres : Mairie D." in page.inner_text("#missing")
        assert "Synthèse annuelle 2026" in page.inner_text("#year-title")
        page.click("#year-button")  # many sites' year: asked for, not read at each display
        page.wait_for_selector("#year-sites tbody tr")
        assert page.locator("#year-sites tbody tr").count() == 4  # 3 sites and the total
        assert page.is_hidden("#year-ask")
        assert serious_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "central-network-figures.png"), full_page=True)
        with page.expect_download() as got:
            page.click("#csv")
        path = tmp_path / "network.csv"
        got.value.save_as(path)
        text = path.read_text(encoding="utf-8")
        assert text.startswith("\ufeffsite;région;jour;service;tickets émis")
        page.click("#figures tbody th a >> text=Mairie A")
        page.wait_for_selector("#figures tbody tr")
        assert page.inner_text("#ind-title") == "Mairie A — indicateurs"
        assert "Accueil et renseignements" in page.inner_text("#figures")
        assert page.inner_text("#now-title") == "Mairie A en ce moment"
        assert "● Connecté" in page.inner_text("#now")
        assert page.locator("#now-services tbody tr").count() == 4  # the site's services
        page.wait_for_selector("#year dd")  # one site's year: shown at once
        assert page.is_hidden("#year-ask")
        page.fill("#to", "2026-11-01")
        page.click("#show")
        page.wait_for_selector("#message .error")
        assert "avant de commencer" in page.inner_text("#message")
        assert serious_violations(page) == []
        page.screenshot(path=str(OUTPUT / "central-site-figures.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 800})  # a phone: the tables scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.goto(central + "/central/site")
        page.wait_for_selector("#message .error")
        assert "Aucun site choisi" in page.inner_text("#message")
