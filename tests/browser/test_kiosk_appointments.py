"""Appointments at the kiosk and the agent console (issue 15), in headless Chromium against one
real bridge (uvicorn on loopback, the example town hall, a clock stopped on Thursday 26
November 2026 at 09:30 in Paris) with today's appointments sent through its REST API:

- « J'ai un rendez-vous »: a QR scanner types the code fast and ends with Enter (the focus
  stays in the field, even after a touch on a key); a citizen types initials and time on the
  big keys; the ticket says « Rendez-vous à 9 h 40 » and, checked in early, from when it may be
  called; a late one says it goes with the walk-ins; a refusal says why, then « Voir
  l'accueil », and changes nothing; a printer that fails checks nothing in and offers the
  ticket unprinted;
- the console: « RDV 9 h 40 » on the ticket in service with how late or early it was called,
  the appointments named in the waiting list, and reception's own check-in;
- every appointment screen fits each kiosk size, normal and large text, and stays readable
  zoomed and on a phone; axe-core clean.
Screenshots: test-output/kiosk-rdv-*.png, test-output/console-rdv-*.png."""
from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from host_bridge.service.clock import ManualClock

from axe import serious_violations
from chromium import OUTPUT, browser_page
from kiosk_checks import measure, readable_problems
from live_server import appointment_server
from support import AGENT, PARIS, SUPERVISOR, example_settings
from test_console_agent import current_is, sign_in
from test_kiosk_screens import check_every_size

SERVICE = "passeports-cni"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=PARIS)
# today's appointments, as a booking tool sends them (the codes are made up)
BOOKED = [
    {"id": "r-early", "at": "09:40", "code": "K7Q2MX", "initials": "JD"},   # 10 min early
    {"id": "r-typed", "at": "09:25", "initials": "ML"},                      # 5 min late
    {"id": "r-late", "at": "09:12", "code": "LATE01"},                       # 18 min late
    {"id": "r-desk", "at": "09:28", "code": "DESK42"},                       # at reception
    {"id": "r-shots", "at": "10:30", "code": "SHOT01"},                      # the screenshots'
    {"id": "r-shots2", "at": "10:45", "code": "SHOT02"},
]


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    """One bridge for the module: the example site on a fresh database, open at any hour."""
    settings = example_settings(tmp_path_factory.mktemp("rdv"))
    with appointment_server(settings, ManualClock(NOW), SERVICE, BOOKED) as server:
        yield server


def waiting(server) -> int:
    return server.http.get(f"/api/services/{SERVICE}").json()["waiting"]


def open_rdv(page, server, signed_in: bool = True) -> None:
    """The appointment screen of a kiosk signed in with its account (initials and time are
    taken only from it and from reception), or of an anonymous browser."""
    page.goto(server.url + "/borne" + ("#kiosk=demo-borne" if signed_in else ""))
    page.wait_for_selector("#rdv-open")
    page.click("#rdv-open")
    page.wait_for_selector("#rdv-key:focus")


def shown_ticket(page, server) -> dict:
    href = page.get_attribute("#ticket-link", "href")
    return server.http.get("/api/tickets/" + href.rsplit("/", 1)[1]).json()["ticket"]


def test_a_scanner_types_the_code_and_enter_the_ticket_says_when_it_may_be_called(bridge):
    with browser_page(1280, 800) as page:
        open_rdv(page, bridge)
        assert page.inner_text("#rdv-title") == "J'ai un rendez-vous"
        # a touch on a key leaves the focus in the field, where the scanner types
        page.click('[data-key="7"]')
        assert page.evaluate("document.activeElement.id") == "rdv-key"
        page.click("#rdv-clear")
        # and with the focus moved to a key by the keyboard, the scanner's text still goes there
        page.focus('[data-key="A"]')
        page.keyboard.type("K7Q2MX")  # as a scanner: no delay between characters
        assert page.input_value("#rdv-key") == "K7Q2MX"
        assert page.evaluate("document.activeElement.id") == "rdv-key"
        page.keyboard.press("Enter")
        page.wait_for_selector("#ticket-label")
        assert page.inner_text("#ticket-appointment") == "Rendez-vous à 9 h 40"
        # callable 5 min before its time ([services.appointments] of the example)
        assert page.inner_text("#ticket-callable") == "Vous serez appelé(e) à partir de 9 h 35."
        ticket = shown_ticket(page, bridge)
        assert ticket["service"] == SERVICE
        assert datetime.fromisoformat(ticket["appointment_at"]) == NOW.replace(minute=40)
        assert page.inner_text("#ticket-label") == ticket["label"]
        assert serious_violations(page) == []
        # « Terminé »: the next citizen finds the choice, and no code left in the field
        page.click("#done")
        page.wait_for_selector("#choose:not([hidden])")
        assert page.input_value("#rdv-key") == ""


def test_initials_and_time_on_the_big_keys(bridge):
    with browser_page(1024, 768) as page:
        open_rdv(page, bridge)
        for key in ("M", "L"):
            page.click(f'[data-key="{key}"]')
        page.click("#rdv-space")
        for key in "09:25":
            page.click(f'[data-key="{key}"]')
        page.click("#rdv-erase")  # a slip, put right
        page.click('[data-key="5"]')
        assert page.input_value("#rdv-key") == "ML 09:25"
        page.click("#rdv-go")
        page.wait_for_selector("#ticket-label")
        assert page.inner_text("#ticket-appointment") == "Rendez-vous à 9 h 25"
        assert page.locator("#ticket-callable").count() == 0  # callable already
        assert page.locator("#ticket-wait").count() == 1
        assert shown_ticket(page, bridge)["appointment_at"] is not None


def test_a_refusal_in_words_then_see_reception_and_nothing_changed(bridge):
    before = waiting(bridge)
    with browser_page(1280, 800) as page:
        # a browser that is not the kiosk: initials and time refused (anyone could guess them)
        open_rdv(page, bridge, signed_in=False)
        page.keyboard.type("JD 09:40\n")
        page.wait_for_selector("#ticket-error")
        assert page.inner_text("#ticket-error").startswith(
            "Cette borne n'enregistre pas un rendez-vous par les initiales et l'heure")
        page.click("#rdv-retry")
        page.wait_for_selector("#rdv-key:focus")
        page.keyboard.type("ZZ9999\n")
        page.wait_for_selector("#ticket-error")
        assert page.inner_text("#ticket-title") == "Rendez-vous non enregistré"
        assert page.inner_text("#ticket-error").startswith(
            "Aucun rendez-vous d'aujourd'hui ne correspond à ce code.")
        assert page.inner_text("#ticket-reception") == "Voir l'accueil : un agent vous aidera."
        assert page.get_attribute("#ticket-error", "role") == "alert"
        assert waiting(bridge) == before
        assert serious_violations(page) == []
        # another try: the field again, empty, with the focus
        page.click("#rdv-retry")
        page.wait_for_selector("#rdv-key:focus")
        assert page.input_value("#rdv-key") == ""
        # Enter on an empty field asks for the code and sends nothing
        page.keyboard.press("Enter")
        assert page.inner_text("#rdv-help").startswith("Tapez d'abord votre code")
        assert page.is_visible("#rdv-key")
        # checked in 18 min late (past the 15 the example allows): a walk-in ticket, said so
        page.keyboard.type("LATE01\n")
        page.wait_for_selector("#ticket-label")
        assert page.inner_text("#ticket-appointment").startswith(
            "Votre rendez-vous était à 9 h 12 : arrivé(e) trop tard")
        assert shown_ticket(page, bridge)["appointment_at"] is None


def test_a_printer_that_fails_checks_nothing_in_and_offers_the_ticket_unprinted(bridge):
    asked = []

    def printer_down(route):  # the bridge's answer when its kiosk printer does not answer
        asked.append(json.loads(route.request.post_data))
        if asked[-1]["print"]:
            route.fulfill(status=503, json={"error": "printer_failed", "message": "no printer"})
        else:
            route.continue_()
    with browser_page(1280, 800) as page:
        page.route("**/api/appointments/check-in", printer_down)
        open_rdv(page, bridge)
        page.keyboard.type("SHOT02\n")
        page.wait_for_selector("#ticket-error")
        assert page.inner_text("#ticket-error").startswith("L'imprimante ne répond pas")
        assert page.input_value("#rdv-key") == ""  # the code is on no screen meanwhile
        page.click("#no-print")
        page.wait_for_selector("#ticket-appointment")
        assert page.inner_text("#ticket-appointment") == "Rendez-vous à 10 h 45"
        assert [a["print"] for a in asked] == [True, False] and asked[1]["key"] == "SHOT02"


def test_the_kiosk_goes_back_to_the_start_left_alone_on_the_code(bridge):
    with browser_page(1280, 800) as page:
        page.goto(bridge.url + "/borne?idle=1&warn=1")
        page.click("#rdv-open")
        page.keyboard.type("K7Q")
        page.wait_for_selector("#still-there", state="visible", timeout=10_000)
        page.wait_for_selector("#choose:not([hidden])", timeout=10_000)
        assert page.is_hidden("#rdv") and page.input_value("#rdv-key") == ""


@pytest.mark.slow
@pytest.mark.parametrize("contrast", [False, True], ids=["normal", "large-text"])
def test_every_appointment_screen_fits_each_kiosk_size(bridge, contrast):
    suffix = "-contrast" if contrast else ""
    problems: dict = {}
    with browser_page(1024, 768) as page:
        page.goto(bridge.url + "/borne#kiosk=demo-borne")
        page.wait_for_selector("#rdv-open")
        if contrast:
            page.click("#contrast")
            page.wait_for_selector("html.contrast")
        check_every_size(page, "rdv-choice" + suffix, problems)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.click("#rdv-open")
        page.keyboard.type("JD 09:40")
        check_every_size(page, "rdv-code" + suffix, problems)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.keyboard.press("Enter")  # checked in already: its ticket again
        page.wait_for_selector("#ticket-callable")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        check_every_size(page, "rdv-ticket" + suffix, problems, ticket=True)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.click("#done")
        if contrast:
            page.click("#contrast")
        page.click("#rdv-open")
        page.keyboard.type("NOPE42\n")
        page.wait_for_selector("#ticket-error")
        check_every_size(page, "rdv-refused" + suffix, problems)
        if not contrast:
            found = {"fr": serious_violations(page)}
            page.click("#done")
            page.click("#lang")
            page.wait_for_function("() => document.documentElement.lang === 'en'")
            page.click("#rdv-open")
            assert page.inner_text("#rdv-title") == "I have an appointment"
            found["en"] = serious_violations(page)
            assert found == {"fr": [], "en": []}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("width, height", [(390, 844), (512, 384), (320, 256)])
def test_the_code_screen_on_a_phone_or_zoomed_scrolls_but_loses_nothing(bridge, width, height):
    with browser_page(width, height) as page:
        open_rdv(page, bridge)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"kiosk-rdv-code-{width}x{height}.png"), full_page=True)
        assert readable_problems(measure(page)) == []
        page.keyboard.type("SHOT01\n")
        page.wait_for_selector("#ticket-appointment")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        page.screenshot(path=str(OUTPUT / f"kiosk-rdv-ticket-{width}x{height}.png"), full_page=True)
        assert readable_problems(measure(page)) == []
        page.click("#done")


def test_the_console_marks_the_appointment_and_reception_checks_one_in(bridge):
    bridge.post("/api/counters/3/open", headers=AGENT)
    with browser_page(1280, 900) as page:
        sign_in(page, SimpleNamespace(api=bridge.url), 3)
        # reception: the citizen at the desk gives the code
        page.fill("#checkin-key", "desk42")
        page.click("#checkin-go")
        page.wait_for_selector("#checkin-result.alert")
        result = page.inner_text("#checkin-result")
        assert result.endswith(": rendez-vous de 9 h 28 enregistré (Passeports / CNI).")
        assert page.input_value("#checkin-key") == ""
        desk_label = result.split(" :")[0]
        # the waiting list names the appointments, in call order
        named = f"{desk_label} à 9 h 28"
        page.wait_for_function(f"""() => (document.querySelector('[data-appointments="{SERVICE}"]')
            || {{}}).textContent?.includes('{named}')""")
        assert page.inner_text(f'[data-appointments="{SERVICE}"]').startswith("Rendez-vous : ")
        # the same code again: its ticket, not a second one
        page.fill("#checkin-key", "DESK42")
        page.click("#checkin-go")
        page.wait_for_function("() => document.querySelector('#checkin-result').textContent"
                               ".startsWith('Déjà enregistré')")
        assert page.inner_text("#checkin-result") == \
            f"Déjà enregistré : son ticket est {desk_label}."
        # a refusal, in words
        page.fill("#checkin-key", "NOPE")
        page.click("#checkin-go")
        page.wait_for_selector("#checkin-result.error")
        assert page.inner_text("#checkin-result").startswith("Aucun rendez-vous d'aujourd'hui")
        # the first call: an appointment that may be called goes before the walk-ins
        page.click("button#next")
        page.wait_for_selector("#current-appointment:not([hidden])")
        ticket = bridge.http.get("/api/counters/3").json()["ticket"]
        assert ticket["appointment_at"] is not None
        current_is(page, ticket["label"])
        at = datetime.fromisoformat(ticket["appointment_at"]).astimezone(PARIS)
        late = round((NOW - at).total_seconds() / 60)
        words = "appelé à l'heure" if late == 0 else (f"appelé {late} min après l'heure"
                                                       if late > 0 else
                                                       f"appelé {-late} min avant l'heure")
        marker = page.inner_text("#current-appointment")
        assert marker == f"RDV {at.hour} h {at.minute:02} · {words}"
        assert marker in page.get_attribute("#current", "aria-label")
        assert serious_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "console-rdv.png"), full_page=True)
        page.click("button#finish")
        current_is(page, "—")
        page.wait_for_selector("#current-appointment", state="hidden")


def test_the_supervisor_reads_the_appointments_figures_in_words_and_a_table(bridge):
    """Appointments checked in (one late) and one called, whatever ran before: the page says
    what /api/indicators says, and the CSV has the appointments' columns."""
    for key in ("K7Q2MX", "LATE01", "DESK42"):  # checked in before: the same ticket again
        r = bridge.http.post("/api/appointments/check-in", json={"key": key}, headers=AGENT)
        assert r.status_code in (200, 201), r.text
    bridge.post("/api/counters/3/open", headers=AGENT)
    if bridge.http.get("/api/counters/3").json()["ticket"] is None:
        bridge.post("/api/counters/3/next", headers=AGENT)
    day = NOW.date().isoformat()
    figures = bridge.http.get(f"/api/indicators?from={day}&to={day}", headers=SUPERVISOR).json()
    p = figures["services"][SERVICE]
    assert p["appointments"] >= 2 and p["walk_ins"] >= 1 and p["punctuality_median"] is not None
    with browser_page(1280, 1400) as page:
        page.goto(bridge.url + "/supervision")
        page.fill("#token", "demo-superviseur")
        page.click("#login-button")
        page.fill("#from", day)
        page.fill("#to", day)
        page.click("#show")
        page.wait_for_function("() => document.querySelector('#rdv-text').textContent.includes("
                               f"'{p['appointments']} tickets de rendez-vous')")
        total = figures["total"]
        sentence = page.inner_text("#rdv-text")
        assert sentence.startswith(f"Sur la période, {total['appointments']} tickets de "
                                   f"rendez-vous sur {total['issued']} (")
        assert "min après l'heure" in sentence
        row = next(r for r in page.locator("#rdv tbody tr").all_inner_texts()
                   if r.startswith("Passeports"))
        cells = row.split("\t")
        assert cells[1:3] == [str(p["appointments"]), str(p["walk_ins"])]
        assert cells[3] == f"{round(p['appointment_share'] * 100)} %"
        minutes = f"{p['punctuality_median']:.1f}".replace(".", ",")
        assert cells[7] == f"{minutes} min après l'heure"
        assert serious_violations(page) == []
        page.screenshot(path=str(OUTPUT / "supervision-rdv.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#csv")
        header = open(download.value.path(), encoding="utf-8-sig").readline()
        assert "rendez-vous;sans rendez-vous;part de rendez-vous (%)" in header
