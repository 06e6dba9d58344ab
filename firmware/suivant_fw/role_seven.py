"""The counter terminal and the counter display: one line on a 4-digit TM1637 (roles.py says
what each shows)."""
from suivant_fw import segments
from suivant_fw.buttons import LONG, PRESS, SHORT
from suivant_fw.device import Device
from suivant_fw.message import BUTTONS
from suivant_fw.roles import IDLE_TEXT, pins

try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

NOTICE_MS = const(2000)


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
        if self.line1 == IDLE_TEXT:
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
        have = pins(cfg)["buttons"]
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

