"""« J'ai un rendez-vous » from the phone (issue 15): the booking confirmation's link
/rdv/<code> opens a page that checks in only on a tap (mail clients preview links; a citizen
may open it at home), then shows the ticket page; a refusal is said in words and changes
nothing; anonymous initials and time are refused. One real bridge (uvicorn on loopback, the
example town hall, a clock stopped at 09:30) with today's appointments sent by its REST API.
Screenshots: test-output/rdv-*.png."""
from __future__ import annotations

from datetime import datetime

import pytest

from host_bridge.service.clock import ManualClock

from axe import serious_violations
from chromium import OUTPUT, browser_page
from live_server import appointment_server
from support import PARIS, example_settings

SERVICE = "passeports-cni"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=PARIS)
BOOKED = [{"id": "r-1", "at": "09:40", "code": "K7Q2MX", "initials": "JD"},
          {"id": "r-2", "at": "08:30", "code": "GONE01"}]  # an hour ago: a no-show
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    settings = example_settings(tmp_path_factory.mktemp("rdv-page"))
    with appointment_server(settings, ManualClock(NOW), SERVICE, BOOKED) as server:
        yield server


@pytest.fixture(scope="module")
def phone():
    with browser_page(**PHONE) as page:
        yield page


def waiting(server) -> int:
    return server.http.get(f"/api/services/{SERVICE}").json()["waiting"]


def test_the_link_checks_in_only_on_a_tap_then_shows_the_ticket(bridge, phone):
    before = waiting(bridge)
    phone.goto(bridge.url + "/rdv/K7Q2MX")
    phone.wait_for_selector("#arrive")
    assert "K7Q2MX" in phone.inner_text("#code-line")
    assert waiting(bridge) == before  # opening the link did nothing
    assert serious_violations(phone) == []
    phone.screenshot(path=str(OUTPUT / "rdv-link.png"), full_page=True)
    phone.click("#arrive")
    phone.wait_for_url("**/ticket/**")
    phone.wait_for_selector("#appointment:not([hidden])")
    assert "9 h 40" in phone.inner_text("#appointment")
    assert phone.inner_text("#label").startswith("P")
    assert waiting(bridge) == before + 1
    # the link opened again later: the same ticket, not a second
    phone.goto(bridge.url + "/rdv/K7Q2MX")
    phone.click("#arrive")
    phone.wait_for_url("**/ticket/**")
    assert waiting(bridge) == before + 1


def test_a_refusal_is_said_in_words_and_changes_nothing(bridge, phone):
    before = waiting(bridge)
    for path, words in (("/rdv/GONE01", "manqué"), ("/rdv/NOPE99", "Aucun rendez-vous"),
                        ("/rdv/JD%2009%3A40", "initiales")):
        phone.goto(bridge.url + path)
        phone.click("#arrive")
        phone.wait_for_function("document.getElementById('status').textContent.length > 20")
        assert words in phone.inner_text("#status"), (path, phone.inner_text("#status"))
        assert not phone.is_disabled("#arrive")  # another try stays possible
    phone.screenshot(path=str(OUTPUT / "rdv-refused.png"), full_page=True)
    assert waiting(bridge) == before


def test_in_english_and_without_a_code(bridge, phone):
    phone.goto(bridge.url + "/rdv/K7Q2MX?lang=en")
    phone.wait_for_selector("#arrive")
    assert "check me in" in phone.inner_text("#arrive")
    phone.goto(bridge.url + "/rdv/")
    phone.wait_for_function("document.getElementById('help').textContent.length > 20")
    assert phone.is_hidden("#arrive")
    assert "booking code" in phone.inner_text("#help") or "code de réservation" in \
        phone.inner_text("#help")
