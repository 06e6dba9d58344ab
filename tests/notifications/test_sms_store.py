"""The number store: bounded, surviving a restart, and emptied (file included) as tickets end,
as an absent ticket's « Je suis là » window closes, and at day change. Inbound bodies of any
shape are read without an error."""
from __future__ import annotations

import dataclasses
import time
from datetime import datetime

import pytest
from hypothesis import given, strategies as st

from host_bridge.domain import commands as c
from host_bridge.notifications.notifier import Notifier
from host_bridge.notifications.sms import store as store_module
from host_bridge.notifications.sms.hub import SmsHub, store_path
from host_bridge.notifications.sms.inbound import Deliveries, parse as parse_inbound
from host_bridge.notifications.sms.providers import HttpProvider
from host_bridge.notifications.sms.settings import SmsSettings
from host_bridge.notifications.sms.store import NumberStore, StoreFull
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore

from sms_provider import forms
from support import EXAMPLE, PARIS

NUMBER = "+33612345678"
SETTINGS = SmsSettings(HttpProvider("http://127.0.0.1:9/", template={"t": "{text}", "n": "{number}"}),
                       inbound_secret=b"0123456789abcdef")


def no_trace(path, number: str = NUMBER) -> None:
    data = path.read_bytes()
    for form in forms(number):
        assert form.encode() not in data, f"{form} still in {path.name}"


def test_numbers_survive_a_restart_until_forgotten(tmp_path):
    path = tmp_path / "q.db.sms.db"
    store = NumberStore(str(path))
    store.put("t1", NUMBER, "2026-11-26")
    store.put("t2", "+33712345678", "2026-11-26")
    store.close()
    again = NumberStore(str(path))
    assert again.number_of("t1") == NUMBER and again.tickets_of("+33712345678") == ["t2"]
    assert again.forget("t1") == 1 and again.forget("t1") == 0
    again.close()
    assert NumberStore(str(path)).ticket_ids() == ["t2"]
    no_trace(path)


def test_a_spoiled_file_is_started_afresh(tmp_path, caplog):
    path = tmp_path / "q.db.sms.db"
    path.write_bytes(b"not a database" * 100)
    store = NumberStore(str(path))
    assert len(store) == 0
    store.put("t1", NUMBER, "2026-11-26")
    assert "started afresh" in caplog.text


def test_the_store_is_bounded(monkeypatch):
    store = NumberStore()
    for i in range(3):
        store.put(f"family-{i}", NUMBER, "2026-11-26")
    with pytest.raises(StoreFull) as busy:
        store.put("stranger", NUMBER, "2026-11-26")
    assert busy.value.reason == "number_busy" and store.number_of("stranger") is None
    monkeypatch.setattr(store_module, "MAX_NUMBERS", 4)
    store.put("t4", "+33700000004", "2026-11-26")
    with pytest.raises(StoreFull) as full:
        store.put("t5", "+33700000005", "2026-11-26")
    assert full.value.reason == "full" and len(store) == 4


@pytest.fixture
def queue(tmp_path):
    base = load(EXAMPLE)
    rules = dataclasses.replace(base.site.rules, refuse_outside_hours=False, guard_seconds=0,
                                undo_absent_seconds=60, comeback_minutes=10)
    clock = ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    service = QueueService(dataclasses.replace(base.site, rules=rules),
                           SqliteStore(str(tmp_path / "queue.db")), clock)
    service.execute(c.OpenCounter(3), "test")
    yield service
    service.store.close()


def issue(service: QueueService) -> str:
    return service.execute(c.IssueTicket("passeports-cni", new_ticket_id()), "public")["ticket"]["id"]


def test_a_sweep_forgets_ended_tickets_and_keeps_live_ones(queue, tmp_path):
    path = store_path(str(tmp_path / "queue.db"))
    hub = SmsHub(SETTINGS, queue, NumberStore(path))
    waiting, cancelled = issue(queue), issue(queue)
    hub.store.put(waiting, "+33700000001", "2026-11-26")
    hub.store.put(cancelled, NUMBER, "2026-11-26")
    queue.execute(c.CancelTicket(cancelled), "public")
    assert hub.sweep() == 1
    assert hub.store.ticket_ids() == [waiting]
    no_trace(tmp_path / "queue.db.sms.db")


def test_an_absent_ticket_keeps_its_number_while_it_may_come_back(queue, tmp_path):
    hub = SmsHub(SETTINGS, queue, NumberStore(store_path(str(tmp_path / "queue.db"))))
    absent = issue(queue)
    hub.store.put(absent, NUMBER, "2026-11-26")
    queue.execute(c.CallNext(3), "agent")
    queue.execute(c.MarkAbsent(3), "agent")
    assert hub.sweep() == 0  # « Je suis là » still open: it may be called again
    queue.clock.advance(11 * 60)
    assert hub.sweep() == 1
    no_trace(tmp_path / "queue.db.sms.db")


def test_day_change_forgets_every_number_of_the_day_before(queue, tmp_path):
    hub = SmsHub(SETTINGS, queue, NumberStore(store_path(str(tmp_path / "queue.db"))))
    for i in range(3):
        hub.store.put(issue(queue), f"+3361234567{i}", "2026-11-26")
    queue.clock.advance(24 * 3600)
    assert hub.sweep() == 3 and len(hub.store) == 0
    for i in range(3):
        no_trace(tmp_path / "queue.db.sms.db", f"+3361234567{i}")


def test_after_a_restart_the_kept_numbers_tickets_are_watched_again(queue, tmp_path):
    path = store_path(str(tmp_path / "queue.db"))
    ticket = issue(queue)
    before = SmsHub(SETTINGS, queue, NumberStore(path))
    before.store.put(ticket, NUMBER, "2026-11-26")
    before.store.close()
    notifier = Notifier(queue)
    SmsHub(SETTINGS, queue, NumberStore(path)).attach(notifier)
    assert notifier.watching(ticket) == {"sms"}


def test_the_commits_that_end_a_ticket_wake_the_sweeper(queue, tmp_path):
    hub = SmsHub(SETTINGS, queue, NumberStore(store_path(str(tmp_path / "queue.db"))))
    ticket = issue(queue)
    hub.store.put(ticket, NUMBER, "2026-11-26")
    hub.start()
    try:
        queue.execute(c.CancelTicket(ticket), "public")
        deadline = time.monotonic() + 5  # not the 60 s periodic sweep: the commit woke it
        while len(hub.store) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(hub.store) == 0
    finally:
        hub.stop()


def test_deliveries_remember_bodies_for_a_while_and_a_bounded_number():
    now = [0.0]
    seen = Deliveries(clock=lambda: now[0])
    assert seen.first(b"a") and not seen.first(b"a") and seen.first(b"b")
    now[0] = Deliveries.WINDOW + 1
    assert seen.first(b"a")  # forgotten after the window
    for i in range(2 * Deliveries.SIZE):
        seen.first(str(i).encode())
    assert len(seen._seen) <= Deliveries.SIZE


@given(st.binary(max_size=300), st.sampled_from(["application/json", "application/x-www-form-urlencoded", ""]))
def test_any_inbound_body_is_a_message_or_nothing_never_an_error(body, content_type):
    message = parse_inbound(SETTINGS, body, content_type)
    assert message is None or message.number.startswith("+")


@pytest.mark.parametrize("body, content_type, text", [
    (b'{"from": "33612345678", "text": "RETARD"}', "application/json", "RETARD"),
    (b"from=%2B33612345678&text=annuler", "application/x-www-form-urlencoded", "annuler"),
    (b'{"from": "0612345678", "text": 3}', "application/json", None),
    (b'["+33612345678"]', "application/json", None),
])
def test_inbound_bodies_as_providers_send_them(body, content_type, text):
    message = parse_inbound(SETTINGS, body, content_type)
    assert (message and message.text) == text
    if message:
        assert message.number == NUMBER
