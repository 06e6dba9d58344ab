"""What every device displays, computed from the queue: the `show` messages (protocol.md §2).

`screen(state, device)` is a pure function of the queue state: the lines a device of that role
shows now. `DisplayBoard` remembers what each device was last sent and turns committed events
into the shows to send — only for the devices whose screen changed, or that must blink or beep:

- counter terminal: the ticket in service at its counter, `----` when idle, `PAUS` paused,
  `CLOS` closed; beeps once, if the counter is open, when its services go from nobody
  waiting to someone.
- counter display: the ticket called to its counter (`----` when none); blinks BLINK_S seconds
  on a call or a recall.
- hall display: the latest calls, newest first, `C017>3`; blinks on a call or recall.
- feedback terminal: the ticket last served at its counter (it opens the voting window), or
  `----`.

Versions: a show's version is the sequence number of the last committed event (or, for a
resend with nothing new, the device's last version). Event sequence numbers only grow and
survive restarts, so a show made after a bridge restart is never older than one made before.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..domain.queue import QueueState
from ..domain.tickets import CounterStatus
from .registry import Device

HALL_LINES = 8  # protocol.md §2: a show has at most 8 lines; a hall shows what its chain fits
BLINK_S = 5
IDLE = "----"
PAUSED = "PAUS"
CLOSED = "CLOS"
_CALLS = ("TicketCalled", "TicketRecalled")


@dataclass(frozen=True)
class Show:
    device: str
    version: int
    lines: tuple[str, ...]
    blink: int = 0
    beep: bool = False

    def fields(self) -> tuple[str, ...]:
        return ("1" if self.beep else "0", str(self.blink), *self.lines)


def terminal_line(state: QueueState, counter: int) -> str:
    status = state.counters[counter].status
    if status is CounterStatus.CLOSED:
        return CLOSED
    if status is CounterStatus.PAUSED:
        return PAUSED
    current = state.current_ticket(counter)
    return current.label if current else IDLE


def called_line(state: QueueState, counter: int) -> str:
    current = state.current_ticket(counter)
    return current.label if current else IDLE


class Screens:
    """Every screen of the site at one moment: read from the queue state (under its lock) in
    O(counters) — the hall's latest calls and the last served tickets are kept by the state as
    events apply (domain/call_board.py) — and kept as plain values, so the shows are made
    from it after the lock is released, whatever the number of devices and tickets.

    With `previous` and the `counters` that events since then touched (touched_counters),
    only those counters' lines are read again and the rest copied: a burst of presses at a
    few counters does not read 200 counters' lines per batch."""

    def __init__(self, state: QueueState, previous: Screens | None = None,
                 counters: set[int] | None = None):
        calls = state.calls
        self.hall = tuple(f"{t.label}>{t.counter}" for t in calls.latest(HALL_LINES)) \
            or (IDLE,)
        if previous is None or counters is None or previous.terminal.keys() != \
                state.counters.keys():
            counters = set(state.counters)
            self.terminal, self.called, self.served = {}, {}, {}
            self.open: set[int] = set()
        else:
            self.terminal, self.called = dict(previous.terminal), dict(previous.called)
            self.served, self.open = dict(previous.served), set(previous.open)
        for n in counters:
            if n not in state.counters:
                continue
            self.terminal[n] = terminal_line(state, n)
            self.called[n] = called_line(state, n)
            served = calls.last_served(n)
            if served is not None:
                self.served[n] = served.label
            if state.counters[n].status is CounterStatus.OPEN:
                self.open.add(n)
            else:
                self.open.discard(n)
        site_served = calls.last_served(None)  # a feedback terminal of no counter: the site's
        if site_served is not None:
            self.served[None] = site_served.label  # type: ignore[index]
        self.lines = {service: len(line) for service, line in state.waiting.items()}
        self.site = state.site  # what the counters serve (a site is immutable)

    def waiting(self, counter: int) -> int:
        """People waiting for any of the counter's services."""
        config = self.site.counter(counter)
        return sum(self.lines.get(s, 0) for s in config.services) if config else 0

    def of(self, device: Device) -> tuple[str, ...]:
        if device.role == "counter":
            return (self.terminal.get(device.counter, CLOSED),)
        if device.role == "display":
            return (self.called.get(device.counter, IDLE),)
        if device.role == "hall":
            return self.hall
        return (self.served.get(device.counter, IDLE),)


# Events whose effect on the screens is confined to their own counter (or, TicketIssued and
# a feedback, to nobody's lines: only the waiting counts, which are always read again).
_LOCAL = frozenset({"TicketCalled", "TicketRecalled", "TicketServed", "TicketAbsent",
                    "TicketTransferred", "CounterOpened", "CounterPaused", "CounterClosed",
                    "FeedbackGiven", "TicketIssued"})


def touched_counters(events: Iterable[dict[str, Any]]) -> set[int] | None:
    """The counters whose lines these (public) events may change; None: any of them (a day
    start, a cancellation, an event this list does not know)."""
    out = set()
    for ev in events:
        if ev["type"] not in _LOCAL:
            return None
        counter = ev.get("counter")
        if counter is not None:
            out.add(counter)
    return out


def screen(state: QueueState, device: Device) -> tuple[str, ...]:
    """What `device` shows at this state (one device; DisplayBoard uses Screens for many)."""
    return Screens(state).of(device)


class DisplayBoard:
    """The shows sent so far, and which to send next. Not thread-safe: one caller at a time."""

    def __init__(self) -> None:
        self.sent: dict[str, Show] = {}
        self._lines: dict[str, int] = {}  # service -> people waiting at the last refresh

    def everything(self, screens: Screens, devices: Iterable[Device],
                   version: int) -> list[Show]:
        """Every device's current screen, without blink or beep: at start-up, after a broker
        reconnect. A device keeps its last version when its screen is unchanged."""
        out = []
        for dev in devices:
            lines = screens.of(dev)
            last = self.sent.get(dev.id)
            v = last.version if last is not None and last.lines == lines else \
                max(version, last.version + 1 if last else 0)
            show = Show(dev.id, v, lines)
            self.sent[dev.id] = show
            out.append(show)
        self._lines = screens.lines
        return out

    def changes(self, screens: Screens, devices: Iterable[Device],
                events: list[dict[str, Any]], counters: set[int] | None = None) -> list[Show]:
        """The shows that events (public events, as the bus carries them) make necessary.
        `counters`: the only counters whose lines may have changed (None: any); the devices
        of the others are skipped, unless their terminal must beep."""
        if not events:
            return []
        version = max(ev["seq"] for ev in events)
        called = {ev["counter"] for ev in events if ev["type"] in _CALLS}
        queue_grew = self._queue_grew(screens)
        self._lines = screens.lines
        out = []
        for dev in devices:
            if counters is not None and dev.role != "hall" and dev.counter not in counters \
                    and dev.counter not in queue_grew and dev.counter is not None:
                continue
            lines = screens.of(dev)
            blink = BLINK_S if (dev.role == "display" and dev.counter in called) or \
                (dev.role == "hall" and called) else 0
            beep = dev.role == "counter" and dev.counter in queue_grew
            last = self.sent.get(dev.id)
            if last is not None and last.lines == lines and not blink and not beep:
                continue
            v = max(version, last.version + 1 if last else 0)
            show = Show(dev.id, v, lines, blink, beep)
            self.sent[dev.id] = show
            out.append(show)
        return out

    def _queue_grew(self, screens: Screens) -> set[int]:
        """The open counters whose services went from nobody waiting to someone: only those
        serving a service that was empty at the last refresh and is not now (O(services)
        when no line became non-empty, which is most refreshes)."""
        before = self._lines
        woke = [s for s, n in screens.lines.items() if n and not before.get(s, 0)]
        grew: set[int] = set()
        for service in woke:
            for number in screens.site.counters_of_service.get(service, ()):
                if number in grew or number not in screens.open:
                    continue  # a closed or paused counter's agent is not there
                config = screens.site.counter(number)
                if config is not None and not any(before.get(s, 0) for s in config.services):
                    grew.add(number)
        return grew
