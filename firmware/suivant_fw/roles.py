"""The four roles on top of device.Device: their buttons and what their display shows
(role_seven.py: counter terminal and display; role_hall.py; role_feedback.py).

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
try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

MAX_LINES = const(8)  # protocol.md §2: a show has 1 to 8 lines
IDLE_TEXT = "-"  # an ack's text when no ticket is served


def pins(cfg):
    p = cfg.get("pins")
    if p:
        return p  # a validated config always has them: pins_default stays unloaded
    from suivant_fw.pins_default import PINS
    return PINS[cfg["role"]]


def for_config(cfg, boot, rand, now=0, **kw):
    """The Device of cfg["role"] (a validated config, or at least device, role, pins). Each
    role's classes are in a module of their own, imported here: a board loads its own only
    (RAM, docs/performance.md)."""
    role = cfg["role"]
    if role == "counter":
        from suivant_fw.role_seven import CounterTerminal
        return CounterTerminal(cfg, boot, rand, now, **kw)
    if role == "display":
        from suivant_fw.role_seven import CounterDisplay
        return CounterDisplay(cfg, boot, rand, now, **kw)
    if role == "hall":
        from suivant_fw.role_hall import HallDisplay
        return HallDisplay(cfg, boot, rand, now, **kw)
    if role == "feedback":
        from suivant_fw.role_feedback import FeedbackTerminal
        return FeedbackTerminal(cfg, boot, rand, now, **kw)
    raise KeyError(role)
