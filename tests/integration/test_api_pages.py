"""What the pages need from the bridge: the pages themselves, the kiosk's QR code, the FAQ
ordered by readings, and who a staff token is. Refusals change nothing."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from host_bridge.site_config import parse, read_toml

from support import ADMIN, AGENT, EXAMPLE, SUPERVISOR, example_refusal


@pytest.fixture
def client(settings, clock):
    b = build(settings, clock)
    with TestClient(b.app) as c:
        yield c
    b.close()


@pytest.mark.parametrize("path, marker", [("/borne", "borne.js"), ("/salle", "salle.js"),
                                          ("/guichet", "guichet.js"),
                                          ("/ticket/abcdefgh12345678", "ticket.js"),
                                          ("/", 'href="borne"')])
def test_each_page_is_served_as_french_html_that_never_goes_stale(client, path, marker):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in r.text and marker in r.text
    if path != "/":
        assert r.headers["cache-control"] == "no-cache"


def test_a_page_loads_nothing_from_the_internet(client):
    for name in ("borne", "salle", "guichet", "ticket"):
        for asset in (f"/static/{name}.html", f"/static/{name}.js"):
            text = client.get(asset).text
            assert "http://" not in text and "https://" not in text, asset


def test_a_ticket_page_for_a_malformed_id_is_refused(client):
    assert client.get("/ticket/../etc").status_code == 404
    page = client.get("/ticket/not%20an%20id")  # a person typed it: a page, not JSON
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_the_qr_code_is_an_svg_of_the_ticket_page_address(client):
    ticket = client.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]
    r = client.get(f"/api/tickets/{ticket['id']}/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(r.text)
    assert svg.tag.endswith("svg") and int(svg.get("width")) >= 100


def test_the_qr_code_uses_the_sites_public_address_when_it_has_one(settings, clock):
    import segno
    b = build(dataclasses.replace(settings, public_url="https://file.mairie.example/suivant"),
              clock)
    with TestClient(b.app) as c:
        ticket = c.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]
        got = c.get(f"/api/tickets/{ticket['id']}/qr.svg").text
    b.close()
    want = segno.make(f"https://file.mairie.example/suivant/ticket/{ticket['id']}", error="m")
    assert got.split("<path", 1)[1] == _svg(want).split("<path", 1)[1]


def _svg(code) -> str:
    import io
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="QR")
    return out.getvalue().decode()


def test_no_qr_code_for_a_ticket_that_does_not_exist(client):
    r = client.get("/api/tickets/AAAAAAAAAAAAAAAA/qr.svg")
    assert r.status_code == 404 and r.json()["error"] == "unknown_ticket"


def _ticket(client, service: str = "etat-civil") -> str:
    return client.post("/api/tickets", json={"service": service}).json()["ticket"]["id"]


def test_the_faq_comes_most_read_first_and_counts_each_ticket_s_reading_once(client):
    before = client.get("/api/services/etat-civil/faq").json()["faq"]
    assert [e["id"] for e in before] == list(range(len(before))) and len(before) >= 2
    assert all(e["views"] == 0 for e in before)
    last = before[-1]["id"]
    readers = [_ticket(client), _ticket(client)]
    for reader in readers + readers + readers:  # issue 10: 300 clicks reordered the FAQ
        r = client.post(f"/api/services/etat-civil/faq/{last}/view?ticket={reader}")
        assert r.status_code == 204
    after = client.get("/api/services/etat-civil/faq").json()["faq"]
    assert after[0]["id"] == last and after[0]["views"] == 2
    assert after[0]["question"] == before[-1]["question"]
    # another service's readings are its own
    assert all(e["views"] == 0 for e in client.get("/api/services/accueil/faq").json()["faq"])


@pytest.mark.parametrize("url, status, code", [
    ("/api/services/cantine/faq/0/view?ticket={t}", 404, "unknown_service"),
    ("/api/services/etat-civil/faq/99/view?ticket={t}", 404, "unknown_faq_entry"),
    ("/api/services/etat-civil/faq/-1/view?ticket={t}", 422, "invalid_request"),
    ("/api/services/etat-civil/faq/x/view?ticket={t}", 422, "invalid_request"),
    ("/api/services/etat-civil/faq/0/view", 422, "invalid_request"),
    ("/api/services/etat-civil/faq/0/view?ticket=AAAAAAAAAAAAAAAA", 404, "unknown_ticket"),
])
def test_a_reading_of_an_unknown_entry_is_refused_and_counts_nothing(client, url, status, code):
    r = client.post(url.format(t=_ticket(client)))
    assert r.status_code == status and r.json()["error"] == code
    assert all(e["views"] == 0 for e in client.get("/api/services/etat-civil/faq").json()["faq"])


@pytest.mark.parametrize("headers, name, role", [(AGENT, "agents", "agent"),
                                                 (SUPERVISOR, None, "supervisor"),
                                                 (ADMIN, None, "admin")])
def test_me_says_who_a_staff_token_is(client, headers, name, role):
    r = client.get("/api/me", headers=headers)
    assert r.status_code == 200 and r.json()["role"] == role
    assert name is None or r.json()["name"] == name


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic abc"}])
def test_me_without_a_known_token_is_401(client, headers):
    r = client.get("/api/me", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


@pytest.mark.parametrize("url", ["ftp://x", "https://", "https://a.b/?q=1", "javascript:alert(1)",
                                 "https://a.b/#x", ""])
def test_a_bad_public_url_in_the_config_is_refused(url):
    assert example_refusal(lambda d: d.update(web={"public_url": url})).key == "web.public_url"


def test_the_web_table_takes_no_unknown_key():
    web = {"public_url": "https://file.mairie.fr", "theme": "dark"}
    assert example_refusal(lambda d: d.update(web=web)).key == "web.theme"


def test_a_call_is_spoken_by_the_bridge_for_screens_without_a_voice(client):
    r = client.get("/api/announce.wav", params={"text": "Ticket C dix-sept, guichet trois"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content[:4] == b"RIFF" and r.content[8:12] == b"WAVE" and len(r.content) > 20000
    en = client.get("/api/announce.wav", params={"text": "Ticket C 17, counter 3", "lang": "en"})
    assert en.status_code == 200 and en.content[:4] == b"RIFF"


@pytest.mark.parametrize("params", [
    {"text": "La mairie est fermée, rentrez chez vous"},
    {"text": "Ticket C dix-sept, guichet trois; rm -rf"},
    {"text": "Ticket C dix-sept, guichet trois", "lang": "de"},
    {"text": "Ticket C 17, guichet 3"},
    {"text": "Ticket C " + "dix " * 40 + ", guichet un"},
])
def test_the_bridge_speaks_nothing_but_a_call(client, params):
    r = client.get("/api/announce.wav", params=params)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_a_service_colour_must_be_a_colour():
    refusal = example_refusal(lambda d: d["services"][0].update(colour="red"))
    assert refusal.key == "services[0].colour"
    assert parse(read_toml(EXAMPLE), "x").site.services[1].colour == "#00c2a8"
