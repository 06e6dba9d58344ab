"""The phone's ticket page alerts its citizen (issue 15): « Activer les alertes » (a sound and a
vibration at the call), « Me prévenir » (Web Push: the page's service worker shows what the
bridge pushed), the SMS offered where the browser cannot push (iOS outside a Home Screen
app), « Je serai en retard », « Je suis là », the appointment's time.

Headless Chromium has no vendor push service: the page's PushManager.subscribe is given the
subscription of the tests' own push service (tests/notifications/push_service.py), so the
bridge's real pushes are decrypted there, and what it decrypted is delivered to the page's
service worker through the DevTools protocol (ServiceWorker.deliverPushMessage), as a vendor's
push service would. Screenshots: test-output/ticket-alerts-*.png."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from host_bridge.domain import commands as c
from host_bridge.service.queue_service import new_ticket_id
from support import AGENT, PARIS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notifications"))
from push_bridge import push_bridge  # noqa: E402

PHONE = {"width": 390, "height": 844}
# what the tests' push service gets subscribed with, in place of a vendor's
FAKE_SUBSCRIBE = """(subscription) => {
  window.__beeps = 0;
  const start = AudioScheduledSourceNode.prototype.start;
  AudioScheduledSourceNode.prototype.start = function (...args) { window.__beeps++; return start.apply(this, args); };
  let current = null;
  const fake = { endpoint: subscription.endpoint, toJSON: () => subscription,
    unsubscribe: async () => { current = null; return true; } };
  PushManager.prototype.subscribe = async function () { current = fake; return fake; };
  PushManager.prototype.getSubscription = async function () { return current; };
}"""


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    with push_bridge(tmp_path_factory.mktemp("alerts"), comeback_minutes=10, delay_minutes=5) as server:
        yield server


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module (its start is most of a page test's time)."""
    with browser_page(**PHONE) as first:
        yield first.context.browser


@pytest.fixture
def page(chromium):
    """A fresh phone (its own browser context: permissions, storage, service workers)."""
    page = chromium.new_page(viewport=PHONE)
    yield page
    page.context.close()


def take(server, service: str) -> dict:
    return server.post("/api/tickets", json={"service": service}).json()["ticket"]


def agent(server, path: str) -> None:
    server.post(path, headers=AGENT)


def test_me_prevenir_pushes_to_the_service_worker_which_shows_the_call(bridge, page):
    agent(bridge, "/api/counters/3/open")
    first, mine = take(bridge, "passeports-cni"), take(bridge, "passeports-cni")
    browser = bridge.pushes.browser("/sub/phone")
    page.context.grant_permissions(["notifications"], origin=bridge.url)
    page.add_init_script(f"({FAKE_SUBSCRIBE})({json.dumps(browser.subscription())})")
    page.goto(f"{bridge.url}/ticket/{mine['id']}")
    page.wait_for_selector("#push-on:not([hidden])")
    assert page.inner_text("#alerts-title") == "Être prévenu"
    page.click("#alerts-on")  # one tap: sound and vibration allowed from now on
    assert page.get_attribute("#alerts-on", "aria-pressed") == "true"
    assert page.inner_text("#alerts-on") == "Alertes activées"
    page.click("#push-on")
    page.wait_for_function("document.getElementById('push-status').textContent.startsWith(\"C'est noté\")")
    assert page.inner_text("#push-on") == "Ne plus me prévenir"
    [near] = bridge.pushes.wait(1)  # 1 ahead: near at once, decrypted by the push service
    assert near.message["body"] == f"C'est bientôt à vous : {mine['label']}, 1 personne avant vous"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "ticket-alerts-push.png"), full_page=True)
    assert serious_violations(page) == []

    beeps = page.evaluate("window.__beeps")
    agent(bridge, "/api/counters/3/next")  # the first one
    agent(bridge, "/api/counters/3/next")  # mine, at counter 3
    page.wait_for_selector("#status-text.called")
    page.wait_for_function(f"window.__beeps >= {beeps + 3}")  # three beeps at the call
    called = bridge.pushes.wait(2)[1]
    assert called.message["body"] == f"{mine['label']} : présentez-vous au guichet 3"

    # the service worker gets what the push service decrypted, as from a vendor's service
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")

    def ours() -> list[dict]:
        return [r for r in registrations if r["scopeURL"] == bridge.url + "/" and not r["isDeleted"]]
    for _ in range(100):  # the DevTools event reaches Python on its own time: wait for it
        if ours():
            break
        page.wait_for_timeout(50)
    [registration] = ours()
    for pushed in (near, called):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": bridge.url, "registrationId": registration["registrationId"],
            "data": json.dumps(pushed.message, ensure_ascii=False)})
    shown = page.wait_for_function("""async () => {
        const ns = await (await navigator.serviceWorker.ready).getNotifications();
        return ns.length && ns[0].body.includes('guichet') ? ns.map(n => ({title: n.title,
            body: n.body, tag: n.tag, url: n.data.url})) : null;
    }""").json_value()
    # one notification per ticket: the call replaced the « near »
    assert shown == [{"title": "Suivant", "body": called.message["body"],
                      "tag": f"suivant-{mine['id']}", "url": f"/ticket/{mine['id']}"}]
    cdp.send("ServiceWorker.disable")
    agent(bridge, "/api/counters/3/finish")


@pytest.mark.parametrize("device", ["no-push", "iphone"])
def test_where_the_browser_cannot_push_the_page_says_so_and_offers_an_sms(bridge, page, device):
    mine = take(bridge, "etat-civil")
    if device == "iphone":  # Safari in a tab: no PushManager, navigator.standalone false
        page.add_init_script("""Object.defineProperty(Navigator.prototype, 'userAgent', {get: () =>
            'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'});
            Object.defineProperty(Navigator.prototype, 'standalone', {get: () => false});
            delete window.PushManager;""")
    else:
        page.add_init_script("delete window.PushManager;")
    sent: list[dict] = []

    def sms(route, request):  # H4's endpoint, played here: the page's side is tested
        if request.method == "GET":
            return route.fulfill(json={"configured": True, "replies": True, "phone": None})
        sent.append(json.loads(request.post_data))
        if len(sent) == 1:
            return route.fulfill(status=422, json={
                "error": "invalid_phone", "reason": "not_mobile",
                "message": "only a mobile (06 or 07) can receive an SMS"})
        return route.fulfill(json={"phone": "06 •• •• •• 78", "replies": True})
    page.route(f"**/api/tickets/{mine['id']}/sms", sms)
    page.goto(f"{bridge.url}/ticket/{mine['id']}")
    page.wait_for_selector("#sms-form:not([hidden])")
    assert page.is_hidden("#push-on")
    said = page.inner_text("#push-status")
    if device == "iphone":
        assert said.startswith("Sur iPhone et iPad, les notifications ne marchent que depuis "
                               "l'écran d'accueil")
    else:
        assert said == "Ce navigateur ne peut pas recevoir de notifications."
    assert page.inner_text("#sms-offer") == "Recevez plutôt un SMS :"
    page.fill("#phone", "01 23 45 67 89")
    page.click("#sms-send")
    page.wait_for_selector("#sms-status .error")
    assert page.inner_text("#sms-status") == "Seul un mobile (06 ou 07) peut recevoir un SMS."
    assert page.get_attribute("#phone", "aria-invalid") == "true"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"ticket-alerts-sms-{device}.png"), full_page=True)
    assert serious_violations(page) == []
    page.fill("#phone", "06 12 34 56 78")
    page.click("#sms-send")
    page.wait_for_selector("#sms-stop")
    assert page.inner_text("#sms-status").startswith(
        "Vous recevrez un SMS au 06 •• •• •• 78 quand votre tour approche et à l'appel.")
    assert page.is_hidden("#sms-form")
    assert sent == [{"phone": "01 23 45 67 89"}, {"phone": "06 12 34 56 78"}]


def test_late_back_in_line_and_the_appointment_time(bridge, page):
    service = bridge.bridge.service
    appointment = service.execute(c.IssueTicket(
        "urbanisme", new_ticket_id(), appointment_at=datetime(2026, 11, 26, 10, 30, tzinfo=PARIS)),
        "public")["ticket"]
    late = take(bridge, "urbanisme")
    page.goto(f"{bridge.url}/ticket/{appointment['id']}")
    page.wait_for_selector("#appointment:not([hidden])")
    # checked in at 10:00 for 10:30: not called before 10:25, and not « bientôt » before then
    assert page.inner_text("#appointment") == \
        "Rendez-vous à 10 h 30 — Vous serez appelé(e) à partir de 10 h 25."
    assert "bientôt" not in page.inner_text("#status")

    page.goto(f"{bridge.url}/ticket/{late['id']}")
    page.click("#delay")  # « Je serai en retard »
    page.wait_for_selector("#held")
    # the clock stands at 10:00 and the site holds 5 minutes; the offer is gone (once)
    assert page.inner_text("#held") == "Votre place est gardée : on ne vous appellera pas avant 10 h 05."
    assert page.query_selector("#delay") is None

    absent = take(bridge, "urbanisme")
    agent(bridge, "/api/counters/4/open")
    while True:  # call until `absent` is at counter 4, then mark it absent
        agent(bridge, "/api/counters/4/next")
        current = bridge.http.get("/api/counters/4", headers=AGENT).json()
        if current["ticket"]["label"] == absent["label"]:
            break
    agent(bridge, "/api/counters/4/absent")
    page.goto(f"{bridge.url}/ticket/{absent['id']}")
    page.wait_for_selector("#comeback")
    assert page.inner_text("#status-text") == "Vous avez été appelé mais n'étiez pas là."
    assert page.inner_text("#comeback-help") == (
        "Vous pouvez encore demander à revenir dans la file, jusqu'à 10 h 10 (une seule fois).")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "ticket-alerts-comeback.png"), full_page=True)
    assert serious_violations(page) == []
    page.click("#comeback")
    page.wait_for_selector("#ahead:not(:empty)")
    assert page.query_selector("#comeback") is None
    assert bridge.http.get(f"/api/tickets/{absent['id']}").json()["ticket"]["status"] == "waiting"


def test_the_alerts_speak_english_when_asked(bridge, page):
    mine = take(bridge, "etat-civil")
    page.goto(f"{bridge.url}/ticket/{mine['id']}?lang=en")
    page.wait_for_selector("#push-on:not([hidden])")
    assert [page.inner_text(s) for s in ("#alerts-title", "#alerts-on", "#alerts-help", "#push-on")] == [
        "Get alerted", "Turn on alerts", "A sound and a vibration at the call, while this page stays open.",
        "Notify me"]
    assert page.is_hidden("#sms-form")  # this site sends no SMS: nothing offered
