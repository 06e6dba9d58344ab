"""SMS through the bridge's HTTP API, behind a real uvicorn, with a local server playing the
provider: a citizen gives a number, gets a confirmation then the call; replies by keyword
through the authenticated webhook; and the number is gone from every file and log once the
ticket ends."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import time
from datetime import datetime
from pathlib import Path

import pytest

from host_bridge.api import sms as sms_api
from host_bridge.notifications.notifier import Notifier
from host_bridge.notifications.sms.hub import install, store_path
from host_bridge.notifications.sms.inbound import authentic
from host_bridge.notifications.sms.settings import parse
from host_bridge.service.clock import ManualClock
from host_bridge.site_config import load

from live_server import running_server
from sms_provider import HANG, FakeProvider, forms
from support import AGENT, EXAMPLE, PARIS

SECRET = "s3cret-for-the-webhook-0123456789"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sms-site")


@pytest.fixture(scope="module")
def provider():
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(folder, provider):
    base = load(EXAMPLE)
    rules = dataclasses.replace(base.site.rules, refuse_outside_hours=False, guard_seconds=0,
                                delay_minutes=10)
    settings = dataclasses.replace(base, site=dataclasses.replace(base.site, rules=rules),
                                   db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"), source=None)
    (folder / "brevo.key").write_text("brevo-api-key")
    (folder / "inbound.secret").write_text(SECRET)
    sms_settings = parse({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "brevo.key",
                          "url": provider.url + "/v3/transactionalSMS/send", "timeout_seconds": 1,
                          "retries": 1, "inbound_secret_file": "inbound.secret"}, folder)
    clock = ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    with running_server(settings, clock) as srv:
        app, service = srv.bridge.app, srv.bridge.service
        notifier = app.state.notifier = Notifier(service)
        hub = install(app, service, sms_settings, settings.db_path, notifier, backoff=0.01)
        if not any(getattr(route, "path", None) == "/api/sms/inbound" for route in app.routes):
            app.include_router(sms_api.router)  # until create_app includes it
        hub.start()
        notifier.start()
        for counter in (1, 2, 3, 4):
            srv.post(f"/api/counters/{counter}/open", headers=AGENT)
        try:
            yield srv
        finally:
            notifier.stop()
            hub.stop()


@pytest.fixture
def sent(provider, server):
    """The provider's record, empty at the test's start (after the previous test's SMS)."""
    assert server.bridge.app.state.sms.sender.wait_idle(5)
    provider.reset()
    return provider


def take(server, service: str = "passeports-cni") -> dict:
    return server.post("/api/tickets", json={"service": service}).json()["ticket"]


def follow(server, ticket: dict, phone: str) -> dict:
    r = server.http.post(f"/api/tickets/{ticket['id']}/sms", json={"phone": phone})
    assert r.status_code == 200, r.text
    return r.json()


def reply(server, text: str, number: str, secret: str | None = SECRET, **headers):
    if secret is not None:
        headers["X-Suivant-Secret"] = secret
    return server.http.post("/api/sms/inbound", json={"from": number, "text": text}, headers=headers)


NEAR = "C'est bientôt"  # the notifier's « near » notices: sent as the line moves, not counted here


def contents(seen) -> list[str]:
    return [t for t in (r.json()["content"] for r in seen) if not t.startswith(NEAR)]


def texts(provider, count: int, timeout: float = 5.0) -> list[str]:
    """The SMS sent so far, « near » notices aside, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while len(found := contents(provider.requests)) < count:
        assert time.monotonic() < deadline, f"{len(found)} SMS, expected {count}: {found}"
        provider.wait(len(provider.requests) + 1, timeout)
    return found


def ticket(server, ticket_id: str) -> dict:
    return server.http.get(f"/api/tickets/{ticket_id}").json()["ticket"]


def test_a_citizen_gives_a_number_gets_a_confirmation_then_the_call(server, sent):
    mine = take(server, "urbanisme")
    assert follow(server, mine, "06 11 22 33 44") == {"phone": "+33 6 •• •• •• 44", "replies": True}
    first = sent.wait(1)[0]
    assert first.json()["recipient"] == "33611223344"
    assert "RETARD" in texts(sent, 1)[0] and "ANNULER" in texts(sent, 1)[0]
    assert server.http.get(f"/api/tickets/{mine['id']}/sms").json() == {
        "configured": True, "replies": True, "phone": "+33 6 •• •• •• 44"}
    called = server.post("/api/counters/4/next", headers=AGENT).json()["counter"]["ticket"]
    assert called["label"] == mine["label"]
    assert texts(sent, 2)[1] == f"{mine['label']} : présentez-vous au guichet 4"


def test_the_same_number_again_sends_no_second_confirmation(server, sent):
    mine = take(server)
    follow(server, mine, "0611223345")
    follow(server, mine, "+33 6 11 22 33 45")
    assert server.bridge.app.state.sms.sender.wait_idle(5)
    assert len(contents(sent.requests)) == 1


@pytest.mark.parametrize("phone, reason", [("01 23 45 67 89", "not_mobile"), ("12", "format")])
def test_a_number_that_cannot_get_an_sms_is_refused_with_its_reason(server, sent, phone, reason):
    mine = take(server)
    r = server.http.post(f"/api/tickets/{mine['id']}/sms", json={"phone": phone})
    assert r.status_code == 422 and r.json()["error"] == "invalid_phone"
    assert r.json()["reason"] == reason and phone not in r.text
    assert server.http.get(f"/api/tickets/{mine['id']}/sms").json()["phone"] is None


def test_an_unknown_or_ended_ticket_gets_no_sms(server, sent):
    r = server.http.post("/api/tickets/AAAAAAAAAAAAAAAA/sms", json={"phone": "0611223346"})
    assert r.status_code == 404
    mine = take(server)
    server.post(f"/api/tickets/{mine['id']}/cancel")
    r = server.http.post(f"/api/tickets/{mine['id']}/sms", json={"phone": "0611223346"})
    assert r.status_code == 409 and r.json()["error"] == "ticket_not_live"
    assert server.bridge.app.state.sms.sender.wait_idle(5) and contents(sent.requests) == []


def test_a_ticket_may_be_given_three_numbers_at_most(server, sent):
    mine = take(server)
    for phone in ("0611223301", "0611223302", "0611223303"):
        follow(server, mine, phone)
    r = server.http.post(f"/api/tickets/{mine['id']}/sms", json={"phone": "0611223304"})
    assert r.status_code == 409 and r.json()["reason"] == "too_many_changes"
    assert len(texts(sent, 3)) == 3


def test_without_sms_configured_the_page_is_told_so(server, sent):
    app = server.bridge.app
    mine = take(server)
    hub, app.state.sms = app.state.sms, None
    try:
        assert server.http.get(f"/api/tickets/{mine['id']}/sms").json()["configured"] is False
        r = server.http.post(f"/api/tickets/{mine['id']}/sms", json={"phone": "0611223347"})
        assert r.status_code == 404 and r.json()["error"] == "sms_not_configured"
        assert reply(server, "ANNULER", "+33611223347").status_code == 404
    finally:
        app.state.sms = hub


def test_stopping_forgets_the_number_and_its_replies_are_no_longer_heard(server, sent):
    mine = take(server)
    follow(server, mine, "0611223348")
    assert server.http.delete(f"/api/tickets/{mine['id']}/sms").json() == {"phone": None}
    assert server.http.get(f"/api/tickets/{mine['id']}/sms").json()["phone"] is None
    assert reply(server, "ANNULER", "33611223348").json() == {"handled": "unknown_number"}
    assert ticket(server, mine["id"])["status"] == "waiting"


@pytest.mark.parametrize("headers", [{"secret": None}, {"secret": "wrong-secret-0123456789"},
                                     {"secret": SECRET.upper()}])
def test_an_inbound_reply_without_the_secret_is_refused_and_changes_nothing(server, sent, headers):
    mine = take(server)
    follow(server, mine, "0611223349")
    r = reply(server, "ANNULER", "+33611223349", **headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert ticket(server, mine["id"])["status"] == "waiting"
    assert server.bridge.app.state.sms.sender.wait_idle(5)
    assert len(contents(sent.requests)) == 1  # the confirmation only
    server.http.delete(f"/api/tickets/{mine['id']}/sms")


def test_an_oversized_inbound_body_is_refused(server, sent):
    r = server.http.post("/api/sms/inbound", content=b"x" * 5000,
                         headers={"X-Suivant-Secret": SECRET, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_annuler_cancels_the_ticket_answers_and_forgets_the_number(server, sent):
    mine = take(server)
    follow(server, mine, "07 11 22 33 50")
    assert reply(server, "  annulé !", "+33711223350").json() == {"handled": "cancel"}
    assert ticket(server, mine["id"])["status"] == "cancelled"
    assert texts(sent, 2)[1] == f"{mine['label']} : votre ticket est annulé. Merci de nous avoir prévenus."
    assert server.http.get(f"/api/tickets/{mine['id']}/sms").json()["phone"] is None


def test_retard_holds_the_place_once_and_a_second_is_refused_in_french(server, sent):
    mine = take(server)
    follow(server, mine, "0711223351")
    assert reply(server, "Retard", "0033711223351").json() == {"handled": "delay"}
    held = ticket(server, mine["id"])["held_until"]
    assert held is not None
    at = datetime.fromisoformat(held).astimezone(PARIS)
    assert texts(sent, 2)[1] == (f"{mine['label']} : c'est noté, votre place est gardée ; "
                                         f"vous ne serez pas appelé(e) avant {at.hour} h {at.minute:02d}.")
    assert reply(server, "RETARD", "+33711223351").json() == {"handled": "delay"}
    assert texts(sent, 3)[2] == (f"{mine['label']} : le délai n'est plus possible "
                                         "(déjà demandé, ou ticket déjà appelé).")
    server.http.delete(f"/api/tickets/{mine['id']}/sms")


def test_a_providers_redelivery_of_a_reply_is_applied_once(server, sent):
    mine = take(server)
    follow(server, mine, "0711223354")
    body = b'{"from": "+33711223354", "text": "RETARD", "id": "msg-1"}'
    headers = {"X-Suivant-Secret": SECRET, "Content-Type": "application/json"}
    assert server.http.post("/api/sms/inbound", content=body, headers=headers).json() == {"handled": "delay"}
    assert server.http.post("/api/sms/inbound", content=body, headers=headers).json() == {"handled": "duplicate"}
    assert server.bridge.app.state.sms.sender.wait_idle(5)
    assert len(contents(sent.requests)) == 2  # the confirmation and one answer, no « déjà demandé »
    server.http.delete(f"/api/tickets/{mine['id']}/sms")


def test_an_unknown_keyword_is_answered_with_the_keywords_and_an_unknown_number_not_at_all(server, sent):
    mine = take(server)
    follow(server, mine, "0711223352")
    assert reply(server, "bonjour, je suis en retard", "+33711223352").json() == {"handled": "help"}
    assert "RETARD" in texts(sent, 2)[1]
    assert reply(server, "ANNULER", "+33799999999").json() == {"handled": "unknown_number"}
    assert reply(server, "ANNULER", "pas un numéro").json() == {"handled": "ignored"}
    assert server.bridge.app.state.sms.sender.wait_idle(5) and len(contents(sent.requests)) == 2
    assert ticket(server, mine["id"])["status"] == "waiting"
    server.http.delete(f"/api/tickets/{mine['id']}/sms")


def test_an_hmac_signed_body_is_checked_against_the_secret(folder):
    (folder / "hmac.secret").write_text(SECRET)
    (folder / "k").write_text("k")
    settings = parse({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "k",
                      "inbound_secret_file": "hmac.secret", "inbound_auth": "hmac"}, folder)
    body = b'{"from": "+33611223344", "text": "ANNULER"}'
    good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert authentic(settings, {"X-Suivant-Signature": good}, body)
    assert authentic(settings, {"X-Suivant-Signature": "sha256=" + good.upper()}, body)
    assert not authentic(settings, {"X-Suivant-Signature": good}, body + b" ")
    assert not authentic(settings, {"X-Suivant-Secret": SECRET}, body)
    assert not authentic(settings, {}, body)


def test_a_hung_provider_never_slows_a_command(server, sent):
    sent.script(*[HANG] * 10)
    mine = take(server, "accueil")
    follow(server, mine, "0711223353")
    started = time.monotonic()
    for _ in range(5):  # calls (a notice for the SMS channel) while the provider hangs
        assert server.http.post("/api/counters/1/next", headers=AGENT).status_code in (200, 409)
    assert time.monotonic() - started < 1.0
    sent.release.set()
    server.http.delete(f"/api/tickets/{mine['id']}/sms")


def test_once_the_ticket_ends_the_number_is_in_no_file_and_no_log(server, sent, folder, caplog):
    caplog.set_level(logging.DEBUG)
    number = "+33711223399"
    mine = take(server, "etat-civil")
    follow(server, mine, "07 11 22 33 99")
    assert reply(server, "qui êtes-vous ?", number).json() == {"handled": "help"}
    texts(sent, 2)
    hub = server.bridge.app.state.sms
    assert hub.store.tickets_of(number) == [mine["id"]]
    kept = Path(store_path(str(folder / "queue.db")))
    assert number.encode() in kept.read_bytes()  # while live: kept for a restart (the check bites)
    # called and served: the ticket ends
    for _ in range(20):
        if ticket(server, mine["id"])["status"] != "waiting":
            break
        server.http.post("/api/counters/2/next", headers=AGENT)
    assert ticket(server, mine["id"])["status"] == "called"
    server.post("/api/counters/2/finish", headers=AGENT)
    deadline = time.monotonic() + 5
    while hub.store.tickets_of(number) and time.monotonic() < deadline:
        time.sleep(0.02)  # the sweeper is woken by the commit; this only waits for its thread
    assert hub.store.tickets_of(number) == []
    assert hub.sender.wait_idle(5)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sms.db") for p in files) and any(p.name == "queue.db" for p in files)
    for path in files:
        data = path.read_bytes()
        for form in forms(number):
            assert form.encode() not in data, f"{form} found in {path.name}"
            assert form.encode("utf-16-le") not in data, f"{form} found in {path.name}"
    for form in forms(number):
        assert form not in caplog.text
    assert "+33 7 •• •• •• 99" in caplog.text  # it was logged, masked
