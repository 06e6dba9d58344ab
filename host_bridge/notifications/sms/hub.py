"""SMS for one site: the numbers, the sender thread, the notifier's channel, and the sweeper
that forgets a number as soon as its ticket ends (bootstrap starts and stops it; the API
reaches it as app.state.sms)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ...domain.queue import QueueState
from ...domain.tickets import Ticket
from ...service.periodic import Periodic
from ...service.queue_service import QueueService
from ..notifier import TooManyWatched, absent_until
from .channel import SmsChannel
from .inbound import Deliveries, offers_delay
from .numbers import mask
from .providers import Provider
from .sender import SmsSender
from .settings import SmsSettings
from .store import NumberStore

log = logging.getLogger(__name__)

CHANNEL = "sms"  # the channel's name for the notifier's watch/unwatch
SWEEP_SECONDS = 60.0  # also checked after every commit that may end a ticket
_ENDING = frozenset({"TicketServed", "TicketCancelled", "TicketAbsent", "DayStarted"})


def store_path(db_path: str) -> str:
    return f"{db_path}.sms.db"


class SmsHub:
    def __init__(self, settings: SmsSettings, service: QueueService, store: NumberStore,
                 provider: Provider | None = None, **sender_options: Any):
        self.settings, self.service, self.store = settings, service, store
        self.sender = SmsSender(provider or settings.provider, settings.retries, **sender_options)
        self.channel = SmsChannel(store, self.sender)
        self.deliveries = Deliveries()  # the inbound webhook's redeliveries, applied once
        # the sweeper must outlive a bad moment; start() sweeps once itself
        self._rounds = Periodic("sms-sweeper", self.sweep, SWEEP_SECONDS, wait_first=True,
                                failed="sweeping ended tickets failed; trying again later")
        service.bus.listen(self._on_events)

    @property
    def inbound(self) -> bool:
        return self.settings.inbound_secret is not None

    def attach(self, notifier: Any) -> None:
        """Join the notifier: its notices go out by SMS too, its « ended » forgets the number,
        and the tickets whose numbers survived a restart are watched again. A full notifier
        (MAX_WATCHED) does not stop the bridge: the numbers it cannot watch are forgotten."""
        notifier.add_channel(CHANNEL, self.channel)
        notifier.on_ended(self.store.forget)
        self.sweep()  # the tickets that ended while the bridge was down take no place
        unwatched = []
        for ticket_id in self.store.ticket_ids():  # numbers kept across a restart
            try:
                notifier.watch(ticket_id, CHANNEL)
            except TooManyWatched:
                unwatched.append(ticket_id)
        for ticket_id in unwatched:  # no notice would reach it: a number kept for nothing
            log.warning("SMS: the notifier is full after the restart; %s forgotten, no SMS "
                        "will follow its ticket", mask(self.store.number_of(ticket_id) or ""))
        self.store.forget(unwatched)

    def start(self) -> "SmsHub":
        self.sender.start()
        self.sweep()  # what ended while the bridge was down
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
        self.sender.stop()
        self.store.close()

    def confirm(self, number: str) -> None:
        """The first SMS to a number given for a ticket: it says what comes, and the replies."""
        log.info("SMS: a ticket follows %s", mask(number))
        keys = ""
        if self.inbound:
            keys = " Répondez " + ("RETARD pour garder votre place, "
                                   if offers_delay(self.service) else "") + \
                "ANNULER pour annuler, STOP pour arrêter les SMS."
        # within 160 characters of the GSM alphabet (é, à, è are in it; « · », ô are not)
        self.sender.submit(number, f"Suivant : un SMS vous préviendra quand votre tour approchera.{keys}")

    def _on_events(self, items: list[dict[str, Any]]) -> None:
        # the committing thread, under the queue's lock: only a flag here
        if any(item.get("type") in _ENDING for item in items):
            self._rounds.wake()

    def sweep(self) -> int:
        """Forget the numbers of tickets that ended (and of earlier days): -> how many."""
        ids = self.store.ticket_ids()
        if not ids:
            return 0
        now = self.service.clock.now()

        def ended(state: QueueState) -> tuple[list[str], str | None]:
            gone = [t for t in ids if t not in state.tickets or not _kept(state, state.tickets[t], now)]
            return gone, None if state.day is None else state.day.isoformat()

        gone, day = self.service.read(ended)
        count = self.store.forget(gone)
        if day is not None:
            count += self.store.forget_days_before(day)
        return count


def _kept(state: QueueState, ticket: Ticket, now: datetime) -> bool:
    """Live, or absent while it may still be back in line (the counter's undo, « Je suis
    là »): the notifier's own rule, so the number lasts exactly as long as its watch."""
    if ticket.status.live:
        return True
    until = absent_until(state, ticket)
    return until is not None and now < until


def install(app: Any, service: QueueService, settings: SmsSettings, db_path: str,
            notifier: Any = None, **sender_options: Any) -> SmsHub:
    """Bootstrap's one call when the site has [notifications.sms]: the hub, joined to the
    notifier, where api/sms.py finds it (app.state.sms). The caller starts it
    (`links.append(hub.start())`: the bridge's close stops it)."""
    hub = SmsHub(settings, service, NumberStore(store_path(db_path)), **sender_options)
    if notifier is not None:
        hub.attach(notifier)
    app.state.sms = hub
    return hub
