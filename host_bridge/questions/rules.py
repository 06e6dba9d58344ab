"""The chat's rules on its own data, pure (no store, no clock): message bounds, the citizen's
pace, and since when a question waits for staff."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .errors import InvalidText, TooFrequent

CITIZEN_MAX_CHARS = 500
STAFF_MAX_CHARS = 1000
CITIZEN_GAP_SECONDS = 5.0  # a second message within 5 s is a double tap or a script
CITIZEN_MAX_MESSAGES = 20  # a ticket's messages in a day: a real worry takes a handful
MAX_MESSAGES = 60  # a conversation's, both sides
MAX_CONVERSATIONS_SHOWN = 50


def clean(text: str, most: int, empty_ok: bool = False) -> str:
    """`text` trimmed, or InvalidText: empty (unless allowed) or over `most` characters."""
    text = text.strip()
    if not text and not empty_ok:
        raise InvalidText("the message is empty")
    if len(text) > most:
        raise InvalidText(f"a message has {most} characters at most")
    return text


def check_pace(citizen_times: Sequence[datetime], now: datetime,
               answered_since: bool = False) -> None:
    """TooFrequent (with the seconds to wait) for a citizen's next message at `now`, given the
    times of the ticket's earlier ones (any order): one every CITIZEN_GAP_SECONDS — unless
    the desk answered since the last one (« Merci ! » at once is a reply, not a burst) — and
    CITIZEN_MAX_MESSAGES in the day (then until the next day begins)."""
    if len(citizen_times) >= CITIZEN_MAX_MESSAGES:
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
        raise TooFrequent(f"{CITIZEN_MAX_MESSAGES} messages a ticket at most today",
                          max(1, math.ceil((midnight - now).total_seconds())))
    if citizen_times and not answered_since:
        since = (now - max(citizen_times)).total_seconds()
        if since < CITIZEN_GAP_SECONDS:
            raise TooFrequent(f"one message every {CITIZEN_GAP_SECONDS:g} seconds",
                              max(1, math.ceil(CITIZEN_GAP_SECONDS - since)))


def waiting_since(messages: Iterable[tuple[str, datetime]]) -> datetime | None:
    """The oldest citizen message not yet followed by a staff one (messages in order, as
    (sender, at)): since when someone waits for the desk, or None."""
    since = None
    for sender, at in messages:
        if sender == "staff":
            since = None
        elif since is None:
            since = at
    return since


def is_late(since: datetime | None, now: datetime, minutes: int) -> bool:
    return since is not None and (now - since).total_seconds() > minutes * 60
