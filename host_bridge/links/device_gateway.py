"""The devices' one door to the bridge, whatever the link: a line in, acks and shows out.

    gateway = DeviceGateway(service, registry)
    gateway.attach("mqtt", mqtt_link)           # links: send(device, channel, line)
    gateway.handle_line(line, via="mqtt")       # from any link's thread
    gateway.start(); gateway.stop()             # the display worker

A line is checked in the order protocol.md §2 gives (its MAC before anything is believed),
then against replays (the registry: a retired boot, or a seq older than any resend), then:
- hello: firmware and boot noted; the device gets its current show;
- status: its health noted;
- press / vote: turned into the same queue command the HTTP API would build and handed to the
  press worker, which executes whatever has arrived meanwhile as one batch — decided in
  order, committed in one transaction (one fsync for a burst: group commit) — with source
  `device:<id>` and request id `<boot>:<seq>` (the service applies a request once and answers
  a repeat with the stored answer), then acknowledged (`ok` + the ticket now served,
  `refused` + the reason's code, or `error`: not applied, the device tries again later).
Whatever is refused is counted (`rejected`, per reason) and logged, and changes nothing.

Displays follow the queue, not the presses: committed events (from any entry point) are
queued, and the shows they call for (displays.DisplayBoard) are computed by whichever thread
takes them first: the press worker right after the acks of its batch (a burst of presses is
decided, committed, acknowledged and drawn as one, in one thread), or the display worker
(events from HTTP and the other entry points). Either way a press's ack never waits for the
displays.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

from suivant_fw import ProtocolError
from suivant_fw.message import Message, decode, encode, peek

from ..domain import commands as c
from ..domain.errors import Conflict, DomainError
from ..service.queue_service import QueueService
from ..service.requests import Request
from .displays import IDLE, DisplayBoard, Screens, Show, touched_counters
from .registry import OLD, RETIRED, Device, DeviceRegistry

log = logging.getLogger(__name__)
# What each role may send: a display pressing buttons is a forged or broken device.
_EVERY_ROLE = ("hello", "status", "fetch", "report")  # fetch, report: updates (ota/)
KINDS_OF_ROLE = {"counter": ("press",) + _EVERY_ROLE, "display": _EVERY_ROLE,
                 "hall": _EVERY_ROLE, "feedback": ("vote",) + _EVERY_ROLE}
LOG_EVERY_S = 60  # a device sending garbage is logged once a minute per reason, always counted
BATCH_MAX = 500  # presses committed together at most
FLUSH_S = 0.5  # the registry's replay state is written at least this often


class Link(Protocol):
    def send(self, device: Device, channel: str, line: bytes) -> None:
        """channel: "down" (acks) or "show" (display state)."""


def press_command(device: Device, button: str) -> c.Command:
    counter = device.counter
    if counter is None:  # the registry refuses a counter terminal without a counter
        raise ValueError(f"{device.id} has no counter")
    return {
        "next": c.CallNext, "recall": c.Recall, "absent": c.MarkAbsent, "finish": c.Finish,
        "pause": c.PauseOrResume, "close": c.CloseCounter,
    }[button](counter) if button != "transfer" else c.Transfer(counter, None)


class DeviceGateway:
    def __init__(self, service: QueueService, registry: DeviceRegistry,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.service = service
        self.registry = registry
        self.clock = clock
        self.links: dict[str, Link] = {}
        self.board = DisplayBoard()
        self.rejected: Counter[str] = Counter()  # refused lines by reason, all devices
        self.refusals: dict[str, Counter[str]] = {}  # the same, per registered device
        self._logged: dict[tuple[str, str], float] = {}
        self._events: queue.SimpleQueue[list[dict[str, Any]] | None] = queue.SimpleQueue()
        self._presses: queue.SimpleQueue[tuple[Device, Message, c.Command, bool] | None] = \
            queue.SimpleQueue()
        self._board_lock = threading.Lock()
        self._last_screens: Screens | None = None  # what the shows in self.board came from
        self.updates: Any = None  # ota.rollout.Updates, when the bridge serves updates
        self._workers: list[threading.Thread] = []
        self._own: list[dict[str, Any]] = []  # the press worker's own batch's events
        self._press_thread: int | None = None
        service.bus.listen(self._on_events)  # called under the service lock: only enqueue

    def attach(self, name: str, link: Link) -> None:
        self.links[name] = link

    # -- lines in ----------------------------------------------------------------------------
    def handle_line(self, line: bytes, via: str, sender: str | None = None) -> None:
        """`sender`: who the link says sent it (the MQTT topic's device), if it can say."""
        if line.endswith(b"\n"):  # an MQTT payload written as a line: tolerated (protocol.md §7)
            line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        try:
            _, device_id = peek(line)
        except ProtocolError as e:
            self.reject(sender or "-", e.code, via)
            return
        if sender is not None and sender != device_id:
            self.reject(sender, "not_its_topic", via)
            return
        dev = self.registry.get(device_id)
        if dev is None:
            self.reject(device_id, "unknown_device", via)
            return
        health = self.registry.health[dev.id]
        try:
            msg = decode(line, dev.key)
        except ProtocolError as e:
            self.reject(dev.id, e.code, via)
            return
        answered = msg.kind in ("press", "vote")  # the kinds that get an ack, refusals too
        if msg.kind not in KINDS_OF_ROLE[dev.role]:
            self.reject(dev.id, "wrong_kind", via)
            if answered:  # signed, so a compliant board frees its pending slot
                self._ack(dev, msg, "refused", "wrong_kind")
            return
        verdict = self.registry.sequence(dev.id, msg.boot, msg.seq).verdict
        if verdict == RETIRED:
            self.reject(dev.id, "old_boot", via)
            if answered:  # answered from the record if it was decided, else refused for good
                getattr(self, "_on_" + msg.kind)(dev, msg, retired=True)
            return
        if verdict == OLD and not answered:  # a late or replayed hello/status: old news
            self.reject(dev.id, "replay", via)
            return
        health.last_seen = self.clock()
        health.via = via
        health.boot = msg.boot
        if not health.online:  # it speaks; offline again by its last will (MQTT) or silence
            self.presence(dev.id, True, via)
        getattr(self, "_on_" + msg.kind)(dev, msg)

    def _on_hello(self, dev: Device, msg: Message) -> None:
        role, firmware, shown = msg.fields
        if role != dev.role:
            self.reject(dev.id, "wrong_role", "hello")
            return
        self.registry.set_firmware(dev.id, firmware)
        health = self.registry.health[dev.id]
        health.firmware, health.shown = firmware, int(shown)
        with self._board_lock:
            show = self.board.sent.get(dev.id)
        if show is None:  # registered since the bridge started: nothing computed for it yet
            show = self._screens([dev])[0]
        # always answered, even when it shows this version already: the answer tells the
        # board that the bridge hears it and that it hears the bridge (protocol.md §7.1)
        self._send_show(dev, Show(dev.id, show.version, show.lines))  # no blink, no beep

    def _on_status(self, dev: Device, msg: Message) -> None:
        uptime, heap, rssi, errors, shown = msg.fields[:5]
        # alloc and largest: firmware that predates them sends five fields (protocol.md §2)
        alloc, largest = (*msg.fields[5:], "-", "-")[:2]
        health = self.registry.health[dev.id]
        health.uptime_s, health.heap, health.link_errors, health.shown = \
            int(uptime), int(heap), int(errors), int(shown)
        health.rssi, health.heap_alloc, health.heap_largest = _opt(rssi), _opt(alloc), \
            _opt(largest)
        with self._board_lock:
            show = self.board.sent.get(dev.id)
        if show is not None and show.version > int(shown):  # it missed one: it gets it again
            self._send_show(dev, Show(dev.id, show.version, show.lines))

    def _on_fetch(self, dev: Device, msg: Message) -> None:
        if self.updates is None:
            self.reject(dev.id, "not_offered", "fetch")
        else:
            self.updates.on_fetch(dev, msg)

    def _on_report(self, dev: Device, msg: Message) -> None:
        if self.updates is not None:
            self.updates.on_report(dev, msg)

    def send(self, dev: Device, msg: Message) -> None:
        """A line for a device from elsewhere in the bridge (the updates): on `down`."""
        self._send(dev, "down", msg)

    def _on_press(self, dev: Device, msg: Message, retired: bool = False) -> None:
        self._presses.put((dev, msg, press_command(dev, msg.fields[0]), retired))

    def _on_vote(self, dev: Device, msg: Message, retired: bool = False) -> None:
        with self._board_lock:
            shown = self.board.sent.get(dev.id)
        label = shown.lines[0] if shown is not None and shown.lines[0] != IDLE else None
        self._presses.put((dev, msg, c.GiveFeedback(int(msg.fields[0]), dev.counter, label),
                           retired))

    def _run_presses(self) -> None:
        self._press_thread = threading.get_ident()
        flushed = time.monotonic()
        while True:
            try:
                first = self._presses.get(timeout=FLUSH_S)
            except queue.Empty:
                self.registry.flush()
                flushed = time.monotonic()
                continue
            if first is None:
                self.registry.flush()
                return
            self._apply([first, *_waiting(self._presses, BATCH_MAX - 1)])
            own, self._own = self._own, []  # the batch's own events: drawn now, in this thread
            self._draw([own])
            if time.monotonic() - flushed >= FLUSH_S:  # written behind: not a commit a batch
                self.registry.flush()
                flushed = time.monotonic()

    def _apply(self, batch: list[tuple[Device, Message, c.Command, bool]]) -> None:
        """One group commit; then every press or vote of the batch is acknowledged. A press
        or vote keeps its first answer for good, refusals included (protocol.md §4); one of a
        retired boot is refused, unless it was decided before (then it gets that answer)."""
        try:
            results = self.service.execute_batch([_request(*item) for item in batch])
        except Exception:  # the store failed, a bug: nothing applied; the devices resend later
            log.exception("%d device commands could not be applied", len(batch))
            for dev, msg, *_ in batch:
                self._ack(dev, msg, "error", "internal")
            return
        for (dev, msg, *_), result in zip(batch, results):
            if isinstance(result, DomainError):
                self._ack(dev, msg, "refused", result.code)
            else:
                self._ack(dev, msg, "ok", _served(result))

    def presence(self, device_id: str, online: bool, via: str = "mqtt") -> None:
        """From the retained MQTT status (the device's own, or its last will), a line heard,
        or a serial board's silence. A change is logged, once."""
        health = self.registry.health.get(device_id)
        if health is not None and health.online != online:
            health.online = online
            log.info("device %s", "online" if online else "offline", extra={
                "event": "device_online" if online else "device_offline", "device": device_id,
                "via": via})

    # -- lines out ---------------------------------------------------------------------------
    def _ack(self, dev: Device, msg: Message, result: str, text: str) -> None:
        self._send(dev, "down", Message("ack", dev.id, msg.boot, msg.seq, (result, text)))

    def _send_show(self, dev: Device, show: Show) -> None:
        self._send(dev, "show", Message("show", dev.id, "-", show.version, show.fields()))

    def _send(self, dev: Device, channel: str, msg: Message) -> None:
        link = self.links.get(dev.link)
        if link is None:
            return
        try:
            link.send(dev, channel, encode(msg, dev.key))
        except Exception:  # a link that fails must not stop the others
            log.exception("%s: sending %s on %s failed", dev.id, msg.kind, dev.link)

    def reject(self, device_id: str, reason: str, via: str) -> None:
        """Count a refused line: by reason for the bridge, and against the device the link
        says it came from (its topic, its port) when that device is registered."""
        self.rejected[reason] += 1
        health = self.registry.health.get(device_id)
        if health is not None:
            health.bad_messages += 1
            self.refusals.setdefault(device_id, Counter())[reason] += 1
        now = time.monotonic()
        # per registered board, or one for every stranger: ids a stranger makes up would grow
        # this dict and the log without bound
        key = (device_id if health is not None else "", reason)
        if now - self._logged.get(key, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged[key] = now
            log.warning("refused a line from a board (counted; logged once a minute)",
                        extra={"event": "bad_device_message", "device": device_id, "via": via,
                               "reason": reason})

    def link_stats(self) -> dict[str, Any]:
        """What the links counted that no device answers for: refusals by reason, and the
        serial ports' frame counters."""
        out: dict[str, Any] = {"refused": dict(self.rejected)}
        for name, link in self.links.items():
            stats = getattr(link, "stats", None)
            if stats is not None:
                out[name] = stats()
        return out

    # -- displays ----------------------------------------------------------------------------
    def _screens(self, devices: list[Device]) -> list[Show]:
        with self._board_lock:  # read and applied in the state's order: no older screen last
            screens, version = self.service.read(
                lambda state: (Screens(state), self.service.store.last_seq()))
            self._last_screens = screens
            return self.board.everything(screens, devices, version)

    def send_all_shows(self, link: str | None = None) -> None:
        """Every device's current show again (start-up, a broker reconnect, a port back)."""
        devices = self.registry.all()
        shows = self._screens(devices)
        by_id = {d.id: d for d in devices}
        for show in shows:
            dev = by_id[show.device]
            if link is None or dev.link == link:
                self._send_show(dev, show)

    def start(self) -> None:
        self.send_all_shows()
        self._workers = [threading.Thread(target=self._run, name="displays", daemon=True),
                         threading.Thread(target=self._run_presses, name="presses", daemon=True)]
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        if self._workers:
            self._presses.put(None)
            self._events.put(None)
            for worker in self._workers:
                worker.join(5)
            self._workers = []

    def _run(self) -> None:
        while True:
            batch = self._events.get()
            if batch is None:
                return
            self._draw([batch])

    def _on_events(self, events: list[dict[str, Any]]) -> None:
        """The bus's listener: the press worker keeps its own batch's events to draw them
        itself after the acks; any other committer's go to the display worker."""
        if threading.get_ident() == self._press_thread:
            self._own.extend(events)
        else:
            self._events.put(events)

    def _draw(self, batches: list[list[dict[str, Any]]]) -> None:
        events = [ev for batch in batches for ev in batch]
        for more in _waiting(self._events, 10000):  # one refresh for all that is waiting
            events += more
        if not events:
            return
        try:
            self._refresh(events)
        except Exception:
            self._last_screens = None  # the next refresh reads and looks at everything
            log.exception("display refresh failed; the next event tries again")

    def _refresh(self, events: list[dict[str, Any]]) -> None:
        devices = self.registry.all()
        touched = touched_counters(events)
        with self._board_lock:  # read and applied in the state's order: no older screen last
            # the queue's lock for O(counters) at most: the touched counters' lines are read,
            # the others' copied from the screens the last shows came from (all of them read
            # and looked at after a failed refresh)
            counters = touched if self._last_screens is not None else None
            screens = self.service.read(lambda state: Screens(state, self._last_screens,
                                                              counters))
            self._last_screens = screens
            shows = self.board.changes(screens, devices, events, counters)
            # sent in the order made (two threads draw): a link only queues them
            by_id = {d.id: d for d in devices}
            for show in shows:
                self._send_show(by_id[show.device], show)


def _request(dev: Device, msg: Message, command: c.Command, retired: bool) -> Request:
    source, request_id = f"device:{dev.id}", f"{msg.boot}:{msg.seq}"
    if retired:
        return Request(command, source, request_id,
                       refused=OldBoot("a message of a boot that a newer one replaced"))
    return Request(command, source, request_id, order=(msg.boot, msg.seq))


class OldBoot(Conflict):
    code = "old_boot"


def _waiting(q: queue.SimpleQueue[Any], limit: int) -> list[Any]:
    """What else is in q now, without waiting (at most `limit` items); a stop marker (None)
    is left in the queue for the worker's next get."""
    out: list[Any] = []
    while len(out) < limit:
        try:
            item = q.get_nowait()
        except queue.Empty:
            break
        if item is None:
            q.put(None)
            break
        out.append(item)
    return out


def _served(answer: dict[str, Any]) -> str:
    counter = answer.get("counter") or {}
    ticket = counter.get("ticket")
    return ticket["label"] if ticket else "-"


def _opt(field: str) -> int | None:
    """A status figure, or None for '-' (not known by that device)."""
    return None if field == "-" else int(field)
