"""A citizen's SMS reply, as the provider's webhook hands it over: who, what, and what to do.

« RETARD » keeps the ticket's place a few minutes (DelayTicket), « ANNULER » gives the ticket
up (CancelTicket), « STOP » stops the SMS and forgets the number: any case, with or without
accents, the first word counts. Each is answered by SMS in French, refusals included. A
number that follows no ticket is not answered (nothing is known of it, nothing is said to it).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import unicodedata
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain import commands as c
from ...domain.errors import DomainError
from ...service.queue_service import QueueService
from ...service.views import ticket_view
from .numbers import PhoneRefused, mask, normalise
from .settings import SmsSettings
from .store import NumberStore

log = logging.getLogger(__name__)

MAX_INBOUND = 4096  # bytes of a webhook's body: an SMS is 160 characters, its envelope small
SOURCE = "sms"  # the queue's request source for what citizens ask by SMS

HELP = ("Suivant : répondez RETARD pour garder votre place quelques minutes, ANNULER pour "
        "annuler votre ticket, STOP pour ne plus recevoir de SMS.")
HELP_NO_DELAY = ("Suivant : répondez ANNULER pour annuler votre ticket, STOP pour ne plus "
                 "recevoir de SMS.")
NO_DELAY = "nous ne pouvons pas garder votre place ; adressez-vous à l'accueil."
_REFUSALS = {
    "delay_refused": "le délai n'est plus possible (déjà demandé, ou ticket déjà appelé).",
    "ticket_not_waiting": "ce ticket n'est plus en attente.",
    "unknown_ticket": "ce ticket n'existe plus.",
}
_REFUSED = "votre demande n'a pas pu être prise en compte ; adressez-vous à l'accueil."


@dataclass(frozen=True)
class Message:
    number: str
    text: str


def authentic(settings: SmsSettings, headers: Any, body: bytes) -> bool:
    """The shared secret in its header, or (inbound_auth = "hmac") the HMAC-SHA256 of the raw
    body with it, in hex, optionally prefixed "sha256=". Constant-time comparisons."""
    secret = settings.inbound_secret
    given = headers.get(settings.inbound_header)
    if secret is None or not given:
        return False
    if settings.inbound_auth == "header":
        return hmac.compare_digest(given.encode(), secret)
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.removeprefix("sha256=").lower().encode(), expected.encode())


def parse(settings: SmsSettings, body: bytes, content_type: str) -> Message | None:
    """The sender and text from a JSON or form body; None when either is missing or the
    sender is not a number we could have."""
    fields: dict[str, Any]
    try:
        if "json" in content_type:
            fields = json.loads(body)
        else:
            fields = dict(urllib.parse.parse_qsl(body.decode(), max_num_fields=50))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(fields, dict):
        return None
    sender, text = _field(fields, settings.inbound_from), _field(fields, settings.inbound_text)
    if not isinstance(sender, str) or not isinstance(text, str):
        return None
    if re.fullmatch(r"[1-9]\d{7,14}", sender.strip()):
        sender = "+" + sender.strip()  # providers often give international numbers without +
    try:
        return Message(normalise(sender), text[:1000])
    except PhoneRefused:
        return None


def _field(fields: dict, path: str) -> Any:
    """'from' or a dotted path into nested JSON ('message.from')."""
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class Deliveries:
    """Webhook bodies seen lately, to apply a provider's redelivery (same body: its retry
    after a lost answer) once. Salted hashes only: no number is kept here."""

    WINDOW = 600.0  # seconds a body is remembered
    SIZE = 512  # bodies remembered: far more than a site's replies in ten minutes

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock, self._salt = clock, secrets.token_bytes(16)
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, body: bytes) -> bool:
        """True the first time a body comes within the window (and remembers it)."""
        key, now = hashlib.sha256(self._salt + body).digest(), self._clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self.SIZE
                                  or now - next(iter(self._seen.values())) > self.WINDOW):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


def keyword(text: str) -> str:
    """The first word, upper case, without accents: « Annulé » -> 'ANNULE'."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).upper()
    words = re.findall(r"[A-Z]+", plain)
    return words[0] if words else ""


_ACTIONS = {"RETARD": "delay", "RETARDS": "delay", "ANNULER": "cancel", "ANNULE": "cancel",
            "ANNULATION": "cancel", "STOP": "stop"}


def handle(message: Message, service: QueueService, store: NumberStore) -> tuple[str, str | None]:
    """-> (what was done, the SMS to send back or None). Never raises for a citizen's text."""
    tickets = store.tickets_of(message.number)
    if not tickets:
        log.info("SMS from %s: no ticket follows this number; not answered", mask(message.number))
        return "unknown_number", None
    action = _ACTIONS.get(keyword(message.text))
    delay = offers_delay(service)
    if action is None:
        return "help", HELP if delay else HELP_NO_DELAY
    if action == "stop":
        store.forget(tickets)
        return "stop", "Suivant : c'est noté, vous ne recevrez plus de SMS pour votre ticket."
    replies = []
    for ticket_id in tickets:
        command = c.DelayTicket(ticket_id) if action == "delay" else c.CancelTicket(ticket_id)
        label = _label(service, ticket_id)
        if action == "delay" and not delay:
            replies.append(f"{label} : {NO_DELAY}")
            continue
        try:
            service.execute(command, SOURCE)
        except DomainError as exc:
            replies.append(f"{label} : {_REFUSALS.get(exc.code, _REFUSED)}")
            continue
        if action == "cancel":
            store.forget(ticket_id)
            replies.append(f"{label} : votre ticket est annulé. Merci de nous avoir prévenus.")
        else:
            replies.append(f"{label} : c'est noté, votre place est gardée{_until(service, ticket_id)}.")
    return action, " ".join(replies)[:480]


def offers_delay(service: QueueService) -> bool:
    """Whether the site holds places for « RETARD » (rules.delay_minutes > 0)."""
    return getattr(service.site.rules, "delay_minutes", 0) > 0


def _label(service: QueueService, ticket_id: str) -> str:
    try:
        return service.read(lambda state: state.ticket(ticket_id).label)
    except DomainError:
        return "Votre ticket"


def _until(service: QueueService, ticket_id: str) -> str:
    """' jusqu'à 10 h 25' from the ticket's held_until, in the site's time."""
    try:
        held = service.read(lambda state: ticket_view(state, state.ticket(ticket_id))).get("held_until")
        at = datetime.fromisoformat(str(held)).astimezone(service.tz)
    except (DomainError, ValueError):  # no hold shown (None): words without a time
        return " quelques minutes"
    return f" ; vous ne serez pas appelé(e) avant {at.hour} h {at.minute:02d}"
