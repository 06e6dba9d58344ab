"""What every role shares: the link state, hello and status, exactly-once presses, acks, shows,
a bounded outbox and the `View` the HAL paints. Pure logic: no machine, no network.

    dev = roles.for_config(cfg, boot, rand, now)   # a Device subclass for cfg["role"]
    dev.connecting(now); dev.link_up(now)          # the link task reports what it sees
    dev.announce(now)                              # a hello before link_up (serial)
    dev.receive(msg, now)                          # a decoded Message for this device
    dev.buttons(b.events, now)                     # after Buttons.update(); index i names
                                                   #   dev.button_names[i]
    dev.tick(now)                                  # in the loop: resends, status, timers
    for msg in dev.take_outbox(): link.send(msg)   # at most OUTBOX messages
    if dev.view.dirty: paint(dev.view); dev.view.dirty = False

Time: `now` is a plain count of ms that never decreases (as suivant_fw.buttons wants; the HAL
keeps it with ticks_diff). Randomness: `rand` (like random.random) feeds the resend jitter.

Rules (docs/protocol.md):
- hello (role, firmware, shown) each time the link comes up, then the pending presses (oldest
  first: the bridge applies them once each, in order); status every timing.status_s while
  online. hello, status, press and vote share one seq counter per boot (§2).
- press/vote live in PendingPresses (at most 4): a fifth is refused and `busy` counted, never
  dropped silently. They are resent with backoff while online; offline they wait.
- an ack is taken only for an awaited message (same boot, seq); a show only if its version is
  newer than the shown one (older or equal: counted in stale_shows).
- the outbox holds at most OUTBOX messages; one more is counted in outbox_drops (a press in it
  is still pending, so it is resent). A link going down empties it: hello and status are made
  anew, presses are resent from PendingPresses.
"""
from suivant_fw import FIRMWARE_VERSION, segments
from suivant_fw.backoff import Backoff
from suivant_fw.message import Message
from suivant_fw.pending import PendingPresses, SeqCounter

try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

OFFLINE = const(0)  # no link (at boot, after a loss)
CONNECTING = const(1)  # the link task is trying
ONLINE = const(2)  # link up, hello sent
LINK_NAMES = ("offline", "connecting", "online")

OUTBOX = const(8)  # hello + 4 pending + status fit, with room to spare
BLINK_PERIOD_MS = const(500)
SCROLL_MS = const(400)  # a label longer than the display moves one glyph this often
STATUS_S = const(60)  # as config.py's default for timing.status_s
# The bridge answers every hello (a show). Nothing from it this long after a hello: either it
# cannot hear us or we cannot hear it (a broker ACL that silently drops, a bridge down at
# our connect): shown `noBr` and counted, and the hello is sent again (protocol.md §7.1).
ANSWER_MS = const(20000)

# status LED states (the counter terminal's dual LED; "off" for roles without one)
LED_OFF = "off"
LED_ONLINE = "online"
LED_WAITING = "waiting"
LED_OFFLINE = "offline"


def _opt(n):
    return "-" if n is None else str(n)


class View:
    """The latest state to paint, not a queue: the HAL repaints when `dirty` and clears it."""

    def __init__(self):
        self.glyphs = None  # 7-segment roles: 4 glyphs (segments.fit); else None
        self.scroll = ()  # a label longer than 4: its frames (segments.frames), shown in turn
        self.blink_until = 0  # ms: glyphs (or the hall's newest line) blink until then
        self.led = LED_OFF
        self.beep = False  # one shot: take_beep()
        self.lines = ()  # hall: the lines, newest first
        self.thanks = 0  # feedback: the score whose LED says thank you (0: none)
        self.link = OFFLINE
        self.silent = False  # online, but no answer from the bridge (the hall draws it)
        self.dirty = True

    def set(self, name, value):
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.dirty = True

    def glyphs_at(self, now):
        """The glyphs to show at now: scrolling through a long label, blinking until
        blink_until."""
        glyphs = self.glyphs
        if glyphs is None:
            return None
        if self.scroll:
            glyphs = self.scroll[(now // SCROLL_MS) % len(self.scroll)]
        return segments.blink(glyphs, now, BLINK_PERIOD_MS, self.blink_until)

    def lines_at(self, now):
        """The hall's lines to light at now: the newest blinks (as glyphs do) until then."""
        lines = self.lines
        if not lines:
            return lines
        first = segments.blink(lines[0], now, BLINK_PERIOD_MS, self.blink_until)
        return lines if first == lines[0] else (first,) + lines[1:]

    def take_beep(self):
        beep = self.beep
        self.beep = False
        return beep


class Device:
    """The common part; roles.py adds each role's buttons and display."""

    role = ""
    button_names = ()  # type: tuple
    long_press = ()  # type: tuple  # indexes with a long action (give them to Buttons)
    has_led = False

    def __init__(self, cfg, boot, rand, now=0, firmware=FIRMWARE_VERSION):
        self.device = cfg["device"]
        self.firmware = firmware
        timing = cfg.get("timing") or {}
        self.status_ms = 1000 * timing.get("status_s", STATUS_S)
        self.start = now
        self.seq = SeqCounter()
        self.pending = PendingPresses(self.device, boot, backoff=Backoff(rand=rand),
                                      seq=self.seq)
        self.view = View()
        self.link = OFFLINE
        self.shown = 0  # version of the show on display
        self.next_status = 0
        # the HAL writes (gc.mem_free(), gc.mem_alloc(), the IDF heap's largest free block
        # or None off an ESP32) here: status's heap, alloc and largest
        self.heap = (0, 0, None)
        self.rssi = None  # the HAL writes the Wi-Fi RSSI (dBm); None on serial
        self.errors = 0  # link errors since boot (each link_down, plus what the HAL adds)
        self._outbox = []  # type: list
        self.outbox_drops = 0
        self.stale_shows = 0
        self.busy = 0  # presses refused because 4 await their ack
        self.ignored = 0  # messages of a kind this device does not take, or for another id
        self.answer_due = 0  # when the bridge's answer to our hello is overdue (0: not waiting)
        self.silent = False  # online, but the bridge has not answered a hello
        self.ota = None  # the updater (ota.py), made by make_ota at the first `update`
        self.make_ota = None  # set by App: the device does not hold the key
        self._refresh(now)

    # -- link ------------------------------------------------------------------------------
    def connecting(self, now):
        if self.link != ONLINE:
            self.link = CONNECTING
            self._refresh(now)

    def announce(self, now):
        """A hello while not online: a serial link says who it is until the bridge answers."""
        self._push(Message("hello", self.device, self.pending.boot, self.seq.next(),
                           (self.role, self.firmware, str(self.shown))))

    def link_up(self, now):
        self.link = ONLINE
        self.answer_due = now + ANSWER_MS
        self.announce(now)
        for msg in self.pending.messages():
            self._push(msg)
        self.next_status = now + self.status_ms
        self._refresh(now)

    def link_down(self, now):
        if self.link == ONLINE:
            self.errors += 1
        self.link = OFFLINE
        self._outbox = []
        self.answer_due = 0
        self.silent = False
        self._refresh(now)

    # -- input -----------------------------------------------------------------------------
    def receive(self, msg, now):
        if msg.device != self.device:
            self.ignored += 1
            self._refresh(now)
            return
        self.answer_due = 0  # an authenticated line for us: the bridge and we hear each other
        self.silent = False
        if msg.kind == "ack":
            if self.pending.ack(msg):
                self._on_ack(msg, now)
        elif msg.kind == "show":
            if msg.seq <= self.shown:
                self.stale_shows += 1
            else:
                self.shown = msg.seq
                self._on_show(msg, now)
        elif msg.kind in ("update", "chunk") and (self.ota or self.make_ota):
            if self.ota is None:  # imported only now: RAM (performance.md)
                self.ota = self.make_ota()  # type: ignore[misc]  # set when not None
            self.ota.receive(msg, now)
        else:  # config (issue 5), poll (the RS-485 link layer's)
            self.ignored += 1
        self._refresh(now)

    def buttons(self, events, now):
        for i in range(len(self.button_names)):
            if events[i]:
                self._on_button(i, events[i], now)
        self._refresh(now)

    def tick(self, now):
        if self.link == ONLINE:
            if self.answer_due and now >= self.answer_due:
                self.silent = True
                self.errors += 1
                self.answer_due = now + ANSWER_MS
                self.announce(now)
            msg = self.pending.due(now)
            if msg is not None:
                self._push(msg)
            if now >= self.next_status:
                self.next_status = now + self.status_ms
                free, alloc, largest = self.heap
                self._push(Message("status", self.device, self.pending.boot, self.seq.next(),
                                   (str((now - self.start) // 1000), str(free), _opt(self.rssi),
                                    str(self.errors), str(self.shown), str(alloc),
                                    _opt(largest))))
        if self.ota is not None:
            self.ota.tick(now, self.link == ONLINE)
        self._refresh(now)

    def send_now(self, msg):
        """A message made elsewhere (the updater's fetch and report) into the outbox."""
        self._push(msg)

    def take_outbox(self):
        """The messages to send now, oldest first (at most OUTBOX); the outbox is emptied."""
        out = tuple(self._outbox)
        self._outbox = []
        return out

    # -- for the roles ---------------------------------------------------------------------
    def _send(self, kind, fields, now):
        """A press or vote: True if accepted (sent now, or when the link comes up)."""
        msg = self.pending.add(now, kind, fields)
        if msg is None:
            self.busy += 1
            return False
        if self.link == ONLINE:
            self._push(msg)
        return True

    def _push(self, msg):
        if len(self._outbox) >= OUTBOX:
            self.outbox_drops += 1
        else:
            self._outbox.append(msg)

    def _refresh(self, now):
        v = self.view
        v.set("link", self.link)
        v.set("silent", self.silent)
        if self.has_led:
            if self.link != ONLINE or self.silent:
                led = LED_OFFLINE
            elif self.pending.waiting:
                led = LED_WAITING
            else:
                led = LED_ONLINE
            v.set("led", led)
        self._paint(now)

    def _status_glyphs(self):
        """The 7-segment status code for the link, or None when online."""
        if self.link == OFFLINE:
            return segments.OFFLINE
        if self.link == CONNECTING:
            return segments.WAITING
        if self.silent:
            return segments.NO_BRIDGE
        return None

    # hooks, overridden by the roles
    def _on_ack(self, msg, now):
        pass

    def _on_show(self, msg, now):
        pass

    def _on_button(self, i, event, now):
        pass

    def _paint(self, now):
        pass
