"""Web Push end to end without the internet: the bridge's pushes reach a push service on
loopback that checks their VAPID signature and decrypts them with the subscription's keys."""
from __future__ import annotations

import sqlite3
import stat
import time

import pytest

from host_bridge.domain import commands as c
from host_bridge.notifications.notifier import Notifier
from host_bridge.notifications.push import WebPush
from host_bridge.notifications.settings import NotifySettings
from host_bridge.notifications.subscriptions import SubscriptionRefused, check
from host_bridge.notifications.vapid_keys import key_path
from push_service import Browser, PushService
from queue_setup import example_queue, issue

CONTACT = "mailto:accueil@mairie-villeneuve.example"


@pytest.fixture
def queue(tmp_path, clock):
    service = example_queue(tmp_path / "queue.db", clock)
    service.execute(c.OpenCounter(3), "agent")
    yield service
    service.store.close()


def open_push(queue, tmp_path, **options) -> tuple[Notifier, WebPush]:
    notifier = Notifier(queue, NotifySettings(ahead=0, minutes=0), tick_seconds=600)
    push = WebPush(str(tmp_path / "queue.db"), notifier, contact=CONTACT, allow_loopback=True,
                   **{"timeout": 2.0, "backoff": 0.01, **options})
    push.start()
    notifier.start()
    return notifier, push


@pytest.fixture
def bridge(queue, tmp_path):
    notifier, push = open_push(queue, tmp_path)
    with PushService(push.public_key) as service:
        yield notifier, push, service
    notifier.stop()
    push.stop()


def test_the_call_reaches_the_phone_signed_and_encrypted(queue, bridge):
    notifier, push, service = bridge
    ticket = issue(queue)
    push.subscribe(ticket["id"], service.browser("/sub/1").subscription())
    [near] = service.wait(1)  # nobody ahead: « near » at once
    assert near.message["body"] == "C'est bientôt à vous : P001, vous êtes le prochain ou la prochaine"
    queue.execute(c.CallNext(3), "agent")
    called = service.wait(2)[1]
    assert called.message == {"title": "Suivant", "body": "P001 : présentez-vous au guichet 3",
                              "kind": "called", "tag": f"suivant-{ticket['id']}", "label": "P001",
                              "url": f"/ticket/{ticket['id']}"}
    assert called.headers["urgency"] == "high" and near.headers["urgency"] == "normal"
    assert called.claims["sub"] == CONTACT and called.claims["aud"] == service.url
    assert service.refusals == []


def test_the_key_is_made_once_owner_only_and_kept(queue, tmp_path, bridge):
    _, push, _ = bridge
    path = key_path(str(tmp_path / "queue.db"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = WebPush(str(tmp_path / "queue.db"), Notifier(queue))
    assert again.public_key == push.public_key and len(push.public_key) == 87  # 65 bytes
    again.subs.close()


def test_a_gone_subscription_is_dropped(queue, bridge):
    notifier, push, service = bridge
    ticket = issue(queue)
    issue(queue)  # someone ahead of the next one: the first push is the call
    service.browser("/sub/gone")
    service.answers["/sub/gone"] = [410]
    push.subscribe(ticket["id"], service.browsers["/sub/gone"].subscription())
    service.wait_attempts("/sub/gone", 1)
    deadline = time.monotonic() + 5
    while push.subs.of(ticket["id"]) and time.monotonic() < deadline:
        time.sleep(0.01)  # the worker drops it right after the answer
    assert push.subs.of(ticket["id"]) == [] and notifier.watching(ticket["id"]) == set()


def test_a_failing_push_service_is_retried_a_bounded_number_of_times(queue, bridge):
    _, push, service = bridge
    first, second = issue(queue), issue(queue)
    service.browser("/sub/flaky")
    service.answers["/sub/flaky"] = [500, 503]  # then 201
    push.subscribe(first["id"], service.browsers["/sub/flaky"].subscription())
    [pushed] = service.wait(1)
    assert service.attempts["/sub/flaky"] == 3 and pushed.message["kind"] == "near"
    service.browser("/sub/down")
    service.answers["/sub/down"] = [500] * 10
    push.subscribe(second["id"], service.browsers["/sub/down"].subscription())
    queue.execute(c.CallNext(3), "agent")  # the first called: the second is next
    service.wait_attempts("/sub/down", 3)
    deadline = time.monotonic() + 5
    while push.failed < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert push.failed == 1 and service.attempts["/sub/down"] == 3  # attempts=3, then given up


def test_a_hung_push_service_blocks_no_command_and_no_other_phone(queue, tmp_path):
    notifier, push = open_push(queue, tmp_path, timeout=5.0, attempts=1)
    with PushService(push.public_key) as service:
        try:
            hung, fine = issue(queue), issue(queue)
            push.subscribe(hung["id"], Browser(f"{service.url}/hang/1").subscription())
            service.wait_attempts("/hang/1", 1)  # one worker stuck there now
            started = time.monotonic()
            for _ in range(20):
                queue.execute(c.IssueTicket("accueil", f"walk-in-{_:04d}-xxxxxxxx"), "public")
            assert time.monotonic() - started < 1.0
            push.subscribe(fine["id"], service.browser("/sub/fine").subscription())
            queue.execute(c.CallNext(3), "agent")  # the hung ticket called: `fine` is next
            [pushed] = service.wait(1)
            assert pushed.path == "/sub/fine"
        finally:
            service.release.set()
            notifier.stop()
            push.stop()


def test_subscriptions_are_purged_when_the_ticket_ends(queue, tmp_path, bridge):
    notifier, push, service = bridge
    ticket = issue(queue)
    push.subscribe(ticket["id"], service.browser("/sub/end").subscription())
    service.wait(1)
    queue.execute(c.CallNext(3), "agent")
    queue.execute(c.Finish(3), "agent")
    deadline = time.monotonic() + 5
    while push.subs.of(ticket["id"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    with sqlite3.connect(tmp_path / "queue.db.push.db") as db:
        assert db.execute("SELECT count(*) FROM push_subscriptions").fetchone() == (0,)
    assert notifier.watching(ticket["id"]) == set()


def test_subscriptions_survive_a_restart_while_their_ticket_lives(queue, tmp_path):
    notifier, push = open_push(queue, tmp_path)
    with PushService(push.public_key) as service:
        first, second = issue(queue), issue(queue)
        push.subscribe(second["id"], service.browser("/sub/r").subscription())
        notifier.stop()
        push.stop()
        notifier, push = open_push(queue, tmp_path)
        try:
            assert notifier.watching(second["id"]) == {"push"}
            queue.execute(c.CallNext(3), "agent")
            [pushed] = service.wait(1)
            assert pushed.message["label"] == second["label"]
        finally:
            notifier.stop()
            push.stop()


@pytest.mark.parametrize("change, reason", [
    (lambda s: s.update(endpoint="http://fcm.googleapis.com/fcm/send/x"), "not_https"),
    (lambda s: s.update(endpoint="https://192.168.1.10/push"), "unknown_push_service"),
    (lambda s: s.update(endpoint="https://fcm.googleapis.com.evil.example/x"), "unknown_push_service"),
    (lambda s: s.update(endpoint="https://" + "a" * 2100), "bad_endpoint"),
    (lambda s: s["keys"].update(p256dh="AAAA"), "bad_key"),
    (lambda s: s["keys"].update(auth="not base64 !"), "bad_key"),
    (lambda s: s.pop("keys"), "bad_key"),
])
def test_bad_subscriptions_are_refused_with_a_reason(change, reason):
    body = Browser("https://fcm.googleapis.com/fcm/send/abc").subscription()
    check(body)  # the unchanged one is fine
    change(body)
    with pytest.raises(SubscriptionRefused) as refused:
        check(body)
    assert refused.value.reason == reason


def test_loopback_endpoints_only_when_the_setting_allows_them():
    body = Browser("http://127.0.0.1:8443/push").subscription()
    with pytest.raises(SubscriptionRefused):
        check(body)
    assert check(body, allow_loopback=True).endpoint == body["endpoint"]
    apple = Browser("https://web.push.apple.com/QGx").subscription()
    assert check(apple).endpoint.startswith("https://web.push.apple.com/")


def test_a_refused_subscription_keeps_nothing(queue, tmp_path, bridge):
    notifier, push, _ = bridge
    ticket = issue(queue)
    with pytest.raises(SubscriptionRefused):
        push.subscribe(ticket["id"], Browser("https://evil.example/x").subscription())
    assert push.subs.of(ticket["id"]) == [] and notifier.watching(ticket["id"]) == set()


def test_a_full_push_queue_drops_and_counts_instead_of_growing(queue, tmp_path, caplog):
    from host_bridge.notifications.notice import Notice
    notifier = Notifier(queue)
    push = WebPush(str(tmp_path / "queue.db"), notifier, allow_loopback=True, queue_size=2)
    try:  # workers not started: nothing leaves the queue
        ticket = issue(queue)
        push.subscribe(ticket["id"], Browser("http://127.0.0.1:9/a").subscription())
        notice = Notice(ticket["id"], "near", "P001", "passeports-cni", None, 0, 1, "bientôt")
        for _ in range(5):
            push.send(notice)
        assert (push._jobs.qsize(), push.dropped) == (2, 3)
        assert "queue full" in caplog.text and "127.0.0.1:9/a" not in caplog.text
    finally:
        push.subs.close()
