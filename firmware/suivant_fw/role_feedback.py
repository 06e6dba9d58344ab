"""The feedback terminal: four vote buttons, a voting window per ticket served (roles.py)."""
from suivant_fw import segments
from suivant_fw.buttons import PRESS
from suivant_fw.device import Device
from suivant_fw.roles import pins

try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

MIN_VOTE_MS = const(1000)
THANKS_MS = const(2000)
VOTE_WINDOW_MS = const(180000)


class FeedbackTerminal(Device):
    role = "feedback"

    def __init__(self, cfg, boot, rand, now=0, **kw):
        self.button_names = tuple(sorted(pins(cfg)["buttons"]))  # vote_1 .. vote_4
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
