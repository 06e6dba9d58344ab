"""After a restart the SMS hub watches again the tickets whose numbers it kept. Review of issue
15: a full notifier (MAX_WATCHED, which anonymous push subscriptions can fill) made `attach`
raise and the bridge did not start. Now the numbers it cannot watch are forgotten (no notice
would reach them), logged masked, and the others are watched as before."""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from host_bridge.domain import commands as c
from host_bridge.notifications.notifier import Notifier
from host_bridge.notifications.sms.hub import CHANNEL, SmsHub, store_path
from host_bridge.notifications.sms.providers import HttpProvider
from host_bridge.notifications.sms.settings import SmsSettings
from host_bridge.notifications.sms.store import NumberStore
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import load
from host_bridge.store.sqlite_store import SqliteStore

from sms_provider import forms
from support import EXAMPLE, PARIS

SETTINGS = SmsSettings(HttpProvider("http://127.0.0.1:9/", template={"t": "{text}", "n": "{number}"}))
NUMBERS = ["+33612345678", "+33712345678", "+33698765432"]


class Quiet:
    def send(self, notice) -> None:
        pass


def test_a_full_notifier_at_restart_forgets_what_it_cannot_watch_and_the_bridge_starts(
        tmp_path, caplog):
    caplog.set_level(logging.INFO)
    base = load(EXAMPLE)
    site = dataclasses.replace(base.site, rules=dataclasses.replace(
        base.site.rules, refuse_outside_hours=False))
    queue = QueueService(site, SqliteStore(str(tmp_path / "queue.db")),
                         ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    try:
        tickets = [queue.execute(c.IssueTicket("passeports-cni", new_ticket_id()), "public")
                   ["ticket"]["id"] for _ in NUMBERS]
        queue.execute(c.CancelTicket(tickets[2]), "public")  # ended while the bridge was down
        path = store_path(str(tmp_path / "queue.db"))
        before = NumberStore(path)
        for ticket, number in zip(tickets, NUMBERS):
            before.put(ticket, number, "2026-11-26")
        before.close()

        notifier = Notifier(queue, max_watched=2)  # one place left, as 4999 push watches leave
        notifier.add_channel("push", Quiet())
        notifier.watch("someone-elses-ticket", "push")
        hub = SmsHub(SETTINGS, queue, NumberStore(path))
        hub.attach(notifier)  # the restart: must not raise

        assert hub.store.number_of(tickets[2]) is None  # ended: swept, took no place
        live = {t: hub.store.number_of(t) for t in tickets[:2]}
        watched = [t for t in tickets[:2] if CHANNEL in notifier.watching(t)]
        assert len(watched) == 1 and len(notifier) == 2
        assert live[watched[0]] is not None  # the one watched keeps its number
        lost = next(t for t in tickets[:2] if t not in watched)
        assert live[lost] is None  # the other is forgotten, not kept for nothing
        assert "notifier is full" in caplog.text and "••" in caplog.text
        assert not any(f in caplog.text for n in NUMBERS for f in forms(n))
        hub.store.close()
        again = NumberStore(path)  # forgotten on disk too
        assert again.ticket_ids() == watched
        again.close()
    finally:
        queue.store.close()
