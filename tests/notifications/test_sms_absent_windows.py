"""An absent ticket's number lasts as long as the ticket may be back in line — the counter's
undo window or « Je suis là », whichever ends later — and exactly as long as the notifier's
watch (one rule: notifier.absent_until). Review of issue 15: with « Je suis là » off (the
default) the number was forgotten at once, and an « absent » undone within its minute left the
waiting ticket with no SMS."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from host_bridge.domain import commands as c
from host_bridge.notifications.notifier import Notifier
from host_bridge.notifications.sms.hub import CHANNEL, SmsHub
from host_bridge.notifications.sms.providers import HttpProvider
from host_bridge.notifications.sms.settings import SmsSettings
from host_bridge.notifications.sms.store import NumberStore
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, PARIS

NUMBER = "+33612345678"
SETTINGS = SmsSettings(HttpProvider("http://127.0.0.1:9/", template={"t": "{text}", "n": "{number}"}))


def make_queue(tmp_path, comeback_minutes: int) -> QueueService:
    base = load(EXAMPLE)
    rules = dataclasses.replace(base.site.rules, refuse_outside_hours=False, guard_seconds=0,
                                undo_absent_seconds=60, comeback_minutes=comeback_minutes)
    service = QueueService(dataclasses.replace(base.site, rules=rules),
                           SqliteStore(str(tmp_path / "queue.db")),
                           ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    service.execute(c.OpenCounter(3), "test")
    return service


@pytest.fixture
def queue(tmp_path):
    service = make_queue(tmp_path, comeback_minutes=0)  # « Je suis là » off: the default
    yield service
    service.store.close()


class Quiet:
    def send(self, notice) -> None:
        pass


def absent_ticket(queue: QueueService, hub: SmsHub, notifier: Notifier) -> str:
    ticket = queue.execute(c.IssueTicket("passeports-cni", new_ticket_id()), "public")["ticket"]["id"]
    hub.store.put(ticket, NUMBER, "2026-11-26")
    notifier.watch(ticket, CHANNEL)
    queue.execute(c.CallNext(3), "agent")
    queue.execute(c.MarkAbsent(3), "agent")
    return ticket


def agree(hub: SmsHub, notifier: Notifier, ticket: str) -> bool:
    """Sweep and check as the bridge does after a commit or a tick: -> the number kept; the
    notifier's watch must be kept exactly as long."""
    hub.sweep()
    notifier.check(everything=True)
    kept = hub.store.number_of(ticket) == NUMBER
    assert (CHANNEL in notifier.watching(ticket)) == kept, "the watch and the number disagree"
    return kept


def test_the_number_is_kept_while_the_counter_may_still_undo_absent(queue):
    hub = SmsHub(SETTINGS, queue, NumberStore())
    notifier = Notifier(queue)
    hub.attach(notifier)
    ticket = absent_ticket(queue, hub, notifier)
    assert agree(hub, notifier, ticket)  # what TicketAbsent wakes
    queue.clock.advance(20)
    queue.execute(c.UndoAbsent(3), "agent")  # a mistaken « absent », undone within its minute
    assert queue.read(lambda s: s.tickets[ticket].status.value) == "waiting"
    assert agree(hub, notifier, ticket), "the waiting ticket lost its number: no SMS for its call"


def test_the_number_goes_with_the_undo_window(queue):
    hub = SmsHub(SETTINGS, queue, NumberStore())
    notifier = Notifier(queue)
    hub.attach(notifier)
    ticket = absent_ticket(queue, hub, notifier)
    queue.clock.advance(59)
    assert agree(hub, notifier, ticket)
    queue.clock.advance(2)  # past the minute, no event: the sweeper's tick
    assert not agree(hub, notifier, ticket)


def test_with_je_suis_la_the_later_window_holds_the_number(tmp_path):
    queue = make_queue(tmp_path, comeback_minutes=10)
    try:
        hub = SmsHub(SETTINGS, queue, NumberStore())
        notifier = Notifier(queue)
        hub.attach(notifier)
        ticket = absent_ticket(queue, hub, notifier)
        queue.clock.advance(5 * 60)  # the undo's minute is over, « Je suis là » still open
        assert agree(hub, notifier, ticket)
        queue.clock.advance(5 * 60 + 1)
        assert not agree(hub, notifier, ticket)
    finally:
        queue.store.close()
