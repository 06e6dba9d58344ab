"""The four roles on top of device.Device: their buttons and what their display shows.

    dev = for_config(cfg, boot, rand, now)
    b = Buttons(len(dev.button_names), dev.long_press, ...)   # indexes as dev.button_names

- counter terminal: buttons next, recall, absent, (finish,) transfer, pause (long press:
  close), each a `press`; shows line 1 of the latest show, or the ticket an `ok` ack names;
  beeps when a show says beep=1; bUSy while 4 presses await their ack; rEFU for NOTICE_MS
  when the bridge refused a press (its reason goes to the REPL log only: 4 digits cannot say
  `counter_closed`).
- counter display: line 1 of the latest show, blinking `blink` seconds after a new version.
  A label longer than 4 characters scrolls (View.scroll).
- hall display: the show's lines newest first (at most the chain's lines), the newest blinking.
- feedback terminal: vote_1 .. vote_4 -> `vote` 1-4. A show with a new version whose line 1 is
  a ticket (not `----`) opens a voting window, for VOTE_WINDOW_MS at most (the citizen has
  left by then: a later press would be the next citizen's); the first accepted vote closes
  it. A press
  closer than MIN_VOTE_MS to the previous one is ignored (a double press, a child), as is a
  press with no window open; both counted in ignored_votes. The voted button's LED says thank
  you for THANKS_MS.
7-segment codes (segments.py): oFFL offline, Conn connecting or nothing to show yet, bUSy, ----.
"""
from suivant_fw import segments
from suivant_fw.buttons import LONG, PRESS, SHORT
from suivant_fw.device import Device
from suivant_fw.message import BUTTONS

try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

MIN_VOTE_MS = const(1000)
THANKS_MS = const(2000)
NOTICE_MS = const(2000)
VOTE_WINDOW_MS = const(180000)
_MAX_LINES = const(8)  # protocol.md §2: a show has 1 to 8 lines
_IDLE_TEXT = "-"  # an ack's text when no ticket is served


def _pins(cfg):
    pins = cfg.get("pins")
    if pins:
        return pins  # a validated config always has them: pins_default stays unloaded
    from suivant_fw.pins_default import PINS
    return PINS[cfg["role"]]


class _SevenSegment(Device):
    """Counter terminal and display: one line on a 4-digit TM1637."""

    def __init__(self, cfg, boot, rand, now=0, **kw):
        self.line1 = None  # nothing to show yet: Conn
        super().__init__(cfg, boot, rand, now, **kw)

    def _on_show(self, msg, now):
        self.line1 = msg.fields[2]
        blink = int(msg.fields[1])
        if blink:
            self.view.set("blink_until", now + 1000 * blink)

    def _glyphs(self, now):
        """A status code, or the label (longer than the display if it must scroll)."""
        code = self._status_glyphs()
        if code is not None:
            return code
        if self.line1 is None:
            return segments.WAITING
        if self.line1 == _IDLE_TEXT:
            return segments.IDLE
        if len(self.line1) > segments.WIDTH:
            return self.line1
        return segments.fit(self.line1)

    def _paint(self, now):
        glyphs = self._glyphs(now)
        scroll = ()
        if len(glyphs) > segments.WIDTH:
            scroll = segments.frames(glyphs)
            glyphs = scroll[0]
        self.view.set("scroll", scroll)
        self.view.set("glyphs", glyphs)


class CounterTerminal(_SevenSegment):
    role = "counter"
    has_led = True

    def __init__(self, cfg, boot, rand, now=0, **kw):
        self.notice_until = 0  # rEFU shown until then
        self.refused = 0
        have = _pins(cfg)["buttons"]
        self.button_names = tuple([b for b in BUTTONS if b in have])
        self.long_press = tuple([i for i in range(len(self.button_names))
                                 if self.button_names[i] == "pause"])
        super().__init__(cfg, boot, rand, now, **kw)

    def _on_button(self, i, event, now):
        name = self.button_names[i]
        if i in self.long_press:
            if event == LONG:
                name = "close"
            elif event != SHORT:
                return
        elif event != PRESS:
            return
        self._send("press", (name,), now)

    def _on_ack(self, msg, now):
        # The ack names the ticket now served, but shows are versioned and acks are not: once a
        # show has been taken, a late ack must not bring back an older ticket.
        if msg.fields[0] == "ok" and self.shown == 0:
            self.line1 = msg.fields[1]
        elif msg.fields[0] == "refused":
            self.refused += 1
            self.notice_until = now + NOTICE_MS

    def _on_show(self, msg, now):
        super()._on_show(msg, now)
        if msg.fields[0] == "1":
            self.view.set("beep", True)

    def _glyphs(self, now):
        if self._status_glyphs() is None:
            if self.pending.full:
                return segments.BUSY
            if now < self.notice_until:
                return segments.REFUSED
        return super()._glyphs(now)


class CounterDisplay(_SevenSegment):
    role = "display"


class HallDisplay(Device):
    role = "hall"

    def __init__(self, cfg, boot, rand, now=0, **kw):
        display = _pins(cfg).get("display") or {}
        self.max_lines = (display.get("chain") or {}).get("lines", _MAX_LINES)
        super().__init__(cfg, boot, rand, now, **kw)

    def _on_show(self, msg, now):
        self.view.set("lines", tuple(msg.fields[2:2 + self.max_lines]))
        blink = int(msg.fields[1])
        if blink:
            self.view.set("blink_until", now + 1000 * blink)


class FeedbackTerminal(Device):
    role = "feedback"

    def __init__(self, cfg, boot, rand, now=0, **kw):
        self.button_names = tuple(sorted(_pins(cfg)["buttons"]))  # vote_1 .. vote_4
        self.window = False
        self.window_until = 0
        self.ticket = None  # the ticket the open window is about
        self.last_press = None
        self.thanks_until = 0
        self.thanks = 0
        self.ignored_votes = 0
        self.votes = 0
        super().__init__(cfg, boot, rand, now, **kw)

    def _on_show(self, msg, now):
        line1 = msg.fields[2]
        if line1 != segments.IDLE:
            self.window = True
            self.window_until = now + VOTE_WINDOW_MS
            self.ticket = line1

    def _on_button(self, i, event, now):
        if event != PRESS:
            return
        last = self.last_press
        self.last_press = now
        if (last is not None and now - last < MIN_VOTE_MS) or not self.window \
                or now >= self.window_until:
            self.ignored_votes += 1
            return
        score = self.button_names[i][-1]
        if self._send("vote", (score,), now):
            self.votes += 1
            self.window = False
            self.thanks = int(score)
            self.thanks_until = now + THANKS_MS

    def _paint(self, now):
        if self.window and now >= self.window_until:
            self.window = False
        self.view.set("thanks", self.thanks if now < self.thanks_until else 0)


ROLES = {
    "counter": CounterTerminal,
    "display": CounterDisplay,
    "hall": HallDisplay,
    "feedback": FeedbackTerminal,
}


def for_config(cfg, boot, rand, now=0, **kw):
    """The Device of cfg["role"] (a validated config, or at least device, role, pins)."""
    return ROLES[cfg["role"]](cfg, boot, rand, now, **kw)
