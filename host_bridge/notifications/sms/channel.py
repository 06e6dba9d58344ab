"""The notifier's SMS channel: a notice becomes a text to the ticket's number, if it has one."""
from __future__ import annotations

from ..notice import Notice
from .sender import SmsSender
from .store import NumberStore


class SmsChannel:
    def __init__(self, store: NumberStore, sender: SmsSender):
        self.store, self.sender = store, sender

    def send(self, notice: Notice) -> None:
        number = self.store.number_of(notice.ticket_id)
        if number is not None:
            self.sender.submit(number, notice.text)  # queued: returns at once
