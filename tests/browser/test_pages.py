"""The people's pages in real headless Chromium, on the real `suivant demo`: a citizen takes a
ticket at the kiosk and follows it on the ticket page (its QR code's address), an agent calls
it from the console, the hall screen shows the call and queues the spoken announcement, and
the ticket page says « guichet 3 ». Screenshots of each page go to test-output/ for a
reviewer."""
from __future__ import annotations

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from support import ROOT


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"page-{name}.png"), full_page=True)


def test_kiosk_ticket_page_console_and_hall_screen_tell_the_same_story(demo: Demo):
    demo.post("/api/counters/3/open")  # guichet 3: passeports, then état civil
    with browser_page() as p:
        browser = p.context.browser
        kiosk, hall, desk = p, browser.new_page(), browser.new_page()
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        spoken: list = []
        hall.on("response", lambda r: spoken.append((r.status, r.headers.get("content-type")))
                if "/api/announce.wav" in r.url else None)
        # a TV stick without a French voice (as headless Chromium): the bridge's voice then
        hall.add_init_script("if (window.speechSynthesis) speechSynthesis.getVoices = () => []")
        hall.goto(demo.api + "/salle")
        hall.wait_for_selector("#site:not(:empty)")
        if hall.is_visible("#sound"):
            hall.click("#sound")  # as someone does once on the TV: sound allowed from then on

        kiosk.goto(demo.api + "/borne")
        kiosk.wait_for_selector('button[data-service="etat-civil"]')
        assert "guichet ouvert" not in kiosk.inner_text('button[data-service="etat-civil"]')
        shot(kiosk, "kiosk")
        kiosk.click('button[data-service="etat-civil"]')
        kiosk.wait_for_selector("#ticket-label")
        label = kiosk.inner_text("#ticket-label")
        assert label == "C001"
        assert kiosk.inner_text("#ticket-ahead") == "Vous êtes le prochain."
        qr = kiosk.get_attribute("#ticket img", "src")
        assert qr and qr.endswith("/qr.svg")
        # loaded first: its size is 0 until then (a race under load)
        kiosk.wait_for_function("() => document.querySelector('#ticket img').complete")
        assert kiosk.evaluate("document.querySelector('#ticket img').naturalWidth") > 50
        shot(kiosk, "kiosk-ticket")

        phone.goto(demo.api + kiosk.get_attribute("#ticket-link", "href"))
        phone.wait_for_selector("#label:not(:empty)")
        assert phone.inner_text("#label") == label
        phone.wait_for_selector("#faq:not([hidden]) details")
        phone.click("#faq details summary")  # a reading: counted
        shot(phone, "ticket-waiting")

        desk.goto(demo.api + "/guichet?guichet=3")
        desk.fill("#token", "demo-agent")
        desk.click("#login-button")
        desk.wait_for_selector("#desk:not([hidden]) button#next")
        desk.click("button#next")
        desk.wait_for_function(f"() => document.querySelector('#current').textContent === '{label}'")
        shot(desk, "console")

        hall.wait_for_function(f"() => document.querySelector('#now-label')?.textContent === '{label}'")
        hall.wait_for_function("() => window.suivantAnnouncements.length === 1")
        assert hall.evaluate("window.suivantAnnouncements[0]") == "Ticket C un, guichet trois"
        assert hall.inner_text("#now .service") == "État civil"  # the site gives it a colour
        assert "solid" in hall.evaluate("document.querySelector('#now').style.borderLeft")
        hall.wait_for_function("() => window.suivantSpeech.length === 1")
        assert hall.evaluate("window.suivantSpeech[0].via") == "bridge"
        for _ in range(50):
            if spoken:
                break
            hall.wait_for_timeout(100)
        assert spoken and spoken[0] == (200, "audio/wav"), spoken  # espeak-ng said it
        shot(hall, "hall")

        phone.wait_for_function("() => document.querySelector('#status-text')?.textContent"
                                ".includes('guichet 3')")
        assert phone.inner_text("#status-text") == "C'est à vous : guichet 3."
        shot(phone, "ticket-called")

        desk.click("button#recall")  # too soon after the call: refused, and said so
        desk.wait_for_selector("#message .error")
        assert desk.inner_text("#message .error").startswith("Rappel refusé")
        desk.wait_for_timeout(10_000)  # the site's recall_min_delay_seconds
        desk.click("button#recall")  # a recall is announced again
        hall.wait_for_function("() => window.suivantAnnouncements.length === 2")
        phone.wait_for_function("() => document.querySelector('#status-text')?.textContent"
                                ".startsWith('Rappel')")
    faq = demo.get("/api/services/etat-civil/faq")["faq"]
    assert faq[0]["views"] == 1  # the one read on the phone comes first now


def test_every_page_passes_the_accessibility_check(demo: Demo):
    from axe import serious_violations
    demo.post("/api/counters/2/open")
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    demo.post("/api/counters/2/next")  # a call on the hall screen
    other = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    with browser_page() as page:
        found = {}
        for path, ready in [("/", "h2"), ("/borne", 'button[data-service="accueil"]'),
                            ("/borne?lang=en", 'button[data-service="accueil"]'),
                            (f"/ticket/{other['id']}", "#ahead:not(:empty)"),
                            (f"/ticket/{ticket['id']}", "#status-text"),
                            ("/salle", "#now-label"), ("/guichet", "#login:not([hidden])")]:
            page.goto(demo.api + path)
            page.wait_for_selector(ready)
            found[path] = serious_violations(page)
        page.fill("#token", "demo-agent")
        page.click("#login-button")
        page.wait_for_selector("#desk:not([hidden]) button#next")
        found["/guichet (signed in)"] = serious_violations(page)
    assert all(v == [] for v in found.values()), found


def test_the_supervisor_sees_the_queues_live_the_indicators_and_gets_the_csv(demo: Demo):
    from axe import serious_violations
    demo.post("/api/counters/2/open")
    demo.post("/api/tickets", {"service": "accueil"})
    demo.post("/api/counters/2/next")
    with browser_page(1280, 1400) as page:
        page.goto(demo.api + "/supervision")
        page.fill("#token", "demo-superviseur")
        page.click("#login-button")
        page.wait_for_selector("#figures tbody tr")
        rows = page.locator("#figures tbody tr")
        assert rows.count() == 5  # four services and the total
        accueil = rows.nth(0).inner_text()
        assert accueil.startswith("Accueil") and "\t1\t" in accueil
        assert page.locator("#live-counters tbody tr").nth(1).inner_text().split("\t")[1] == "ouvert"
        # live: a ticket taken elsewhere shows up in the waiting count
        demo.post("/api/tickets", {"service": "urbanisme"})
        page.wait_for_function("() => [...document.querySelectorAll('#live-services tbody tr')]"
                               ".some(r => r.textContent.startsWith('Urbanisme') && "
                               "r.children[1].textContent === '1')")
        cells = page.locator("#heat tbody td").all_inner_texts()
        assert sorted(cells)[-1] == "1" and len(cells) % 7 == 0  # today's ticket, in its hour
        with page.expect_download() as download:
            page.click("#csv")
        text = open(download.value.path(), encoding="utf-8-sig").read()
        assert text.startswith("jour;service;tickets émis") and "Accueil et renseignements;1;1" in text
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "page-supervision.png"), full_page=True)
        assert serious_violations(page) == []
        # an agent's token does not open it
        page.click("#logout")
        page.wait_for_selector("#login:not([hidden])")
        page.fill("#token", "demo-agent")
        page.click("#login-button")
        page.wait_for_selector("#message .error")
        assert "n'a pas accès" in page.inner_text("#message")


def test_the_administrator_adds_a_service_and_the_kiosk_offers_it_at_once(demo: Demo):
    import re

    from axe import serious_violations
    from host_bridge.ota.store import UpdateStore
    # a firmware update started for one board (`suivant device update` writes these rows)
    registry = re.search(r"registered \((.+)\)", "".join(demo.output)).group(1)
    store = UpdateStore(registry)
    build = store.add_build("hall", "mqtt", "0.1.0+test", [("suivant_fw/app.mpy", b"x")]).build
    store.start_rollout([("salle", build, 0)], 5, 300)
    store.close()
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + "/admin")
        page.fill("#token", "demo-admin")
        page.click("#login-button")
        page.wait_for_selector("#editor:not([hidden]) fieldset")
        page.wait_for_selector("#devices tbody tr")  # the demo's boards, read-only
        assert page.locator("#devices tbody tr").count() == 10
        assert "Mise à jour 1 : en cours" in page.inner_text("#rollout")
        hall = page.locator("#devices tbody tr", has_text="salle").first.inner_text()
        assert f"{build} : proposée" in hall or f"{build} : en attente" in hall
        # a mistake first: named, and nothing saved
        letter = page.locator('[data-path="services[1].letter"]')
        letter.fill("c")
        page.click("#save")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message") == ("Non enregistré. Service État civil : la lettre doit "
                                               "être une seule lettre majuscule, de A à Z (reçu : c).")
        assert page.evaluate("document.activeElement.dataset.path") == "services[1].letter"
        letter.fill("C")
        # a new service, served at guichet 1 after its own two
        page.click('button[data-add="services"]')
        n = page.locator('fieldset[data-path="services"] > div > fieldset').count() - 1
        page.fill(f'[data-path="services[{n}].id"]', "cantine")
        page.fill(f'[data-path="services[{n}].letter"]', "K")
        page.fill(f'[data-path="services[{n}].name"]', "Cantine scolaire")
        page.fill('[data-path="counters[0].services"]', "accueil, etat-civil, cantine")
        page.click("#save")
        page.wait_for_function("() => document.querySelector('#saved').textContent.includes('appliqué')")
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "page-admin.png"), full_page=True)
        assert serious_violations(page) == []
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="cantine"]')
    assert demo.post("/api/tickets", {"service": "cantine"})["ticket"]["label"] == "K001"


def test_when_the_printer_fails_the_kiosk_says_so_and_offers_the_ticket_unprinted(tmp_path):
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "integration"))  # the bridge-process helper
    from bridge_process import BridgeProcess, site_config_copy
    config = site_config_copy(tmp_path / "site.toml")
    with open(config, "a", encoding="utf-8") as f:
        f.write('\n[printer]\nurl = "tcp://127.0.0.1:1"\n')  # nobody listens there
    bridge = BridgeProcess(config, tmp_path / "queue.db")
    bridge.start()
    try:
        with browser_page() as page:
            page.goto(bridge.url + "/borne")
            page.click('button[data-service="urbanisme"]')
            page.wait_for_selector("#ticket-error")
            assert "aucun ticket n'a été créé" in page.inner_text("#ticket-error")
            shot(page, "kiosk-printer-failed")
            page.click("#no-print")
            page.wait_for_selector("#ticket-label")
            assert page.inner_text("#ticket-label") == "U002"  # U001 was cancelled
            assert not page.is_visible("#printed")
    finally:
        bridge.stop()
