"""The push routes over real HTTP: the key, a ticket's subscription (refusals with a reason,
nothing kept), its end, and the service worker served at the root."""
from __future__ import annotations

import pytest

from push_bridge import push_bridge
from push_service import Browser


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    with push_bridge(tmp_path_factory.mktemp("push-api")) as server:
        yield server


def take(bridge) -> dict:
    return bridge.post("/api/tickets", json={"service": "urbanisme"}).json()["ticket"]


def test_the_key_is_the_sites_vapid_public_key(bridge):
    answer = bridge.http.get("/api/push/key")
    assert answer.status_code == 200
    assert answer.json() == {"key": bridge.notifications.push.public_key}


def test_the_service_worker_is_served_at_the_root_for_the_ticket_pages(bridge):
    answer = bridge.http.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert answer.headers["cache-control"] == "no-cache"
    assert 'addEventListener("push"' in answer.text


def test_a_subscription_is_watched_then_stopped(bridge):
    ticket = take(bridge)
    sub = bridge.pushes.browser("/sub/api").subscription()
    answer = bridge.http.post(f"/api/tickets/{ticket['id']}/push", json=sub)
    assert (answer.status_code, answer.json()) == (201, {"push": True})
    push = bridge.notifications.push
    assert [s.endpoint for s in push.subs.of(ticket["id"])] == [sub["endpoint"]]
    assert bridge.notifications.notifier.watching(ticket["id"]) == {"push"}
    answer = bridge.http.delete(f"/api/tickets/{ticket['id']}/push")
    assert (answer.status_code, answer.json()) == (200, {"push": False})
    assert push.subs.of(ticket["id"]) == []
    assert bridge.notifications.notifier.watching(ticket["id"]) == set()


@pytest.mark.parametrize("endpoint, reason", [
    ("https://intranet.mairie.local/x", "unknown_push_service"),
    ("ftp://fcm.googleapis.com/x", "not_https"),
])
def test_a_bad_subscription_is_refused_with_its_reason_and_nothing_kept(bridge, endpoint, reason):
    ticket = take(bridge)
    answer = bridge.http.post(f"/api/tickets/{ticket['id']}/push",
                              json=Browser(endpoint).subscription())
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_subscription" and answer.json()["reason"] == reason
    assert bridge.notifications.push.subs.of(ticket["id"]) == []


def test_malformed_and_oversized_bodies_are_refused(bridge):
    ticket = take(bridge)
    url = f"/api/tickets/{ticket['id']}/push"
    assert bridge.http.post(url, json={"endpoint": "https://fcm.googleapis.com/x"}).status_code == 422
    huge = Browser("https://fcm.googleapis.com/" + "a" * 3000).subscription()
    assert bridge.http.post(url, json=huge).json()["error"] == "invalid_request"


def test_an_unknown_or_ended_ticket_gets_no_subscription(bridge):
    sub = Browser(f"{bridge.pushes.url}/sub/none").subscription()
    answer = bridge.http.post("/api/tickets/nosuchticketatall/push", json=sub)
    assert answer.status_code == 404
    ticket = take(bridge)
    bridge.post(f"/api/tickets/{ticket['id']}/cancel")
    answer = bridge.http.post(f"/api/tickets/{ticket['id']}/push", json=sub)
    assert (answer.status_code, answer.json()["error"]) == (409, "ticket_ended")
