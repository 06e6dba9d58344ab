"""Debounce and long press for N buttons: pure logic, fed samples, returns events.

    b = Buttons(5, long_press=(4,))        # « Pause » (index 4): long press = close the counter
    levels = bytearray(5)                  # the HAL fills it: 1 = pressed (pin low: active low)
    ...
    if b.update(now_ms, levels):           # number of buttons with an event this update
        for i in range(5):
            if b.events[i]: handle(i, b.events[i])

Input: `pressed[i]` truthy when button i is pressed. The buttons are active low (hardware/
README.md), so the HAL writes `not pin.value()`; this module never sees pin levels.

Time: `now_ms` is a plain integer of milliseconds that never decreases (a caller that goes back
in time is treated as no time passing). MicroPython's ticks_ms() wraps, so the HAL keeps its own
count: `now += time.ticks_diff(t, last); last = t`. Only differences of now_ms are used. On the
ESP32 a count above 2**30 - 1 (12.4 days) is a long int: it still works, with a small
allocation per update.

Debounce (default 30 ms): a new level counts once every sample for debounce_ms has shown it:
it is taken at the first sample at least debounce_ms after the first sample that showed it. A
run of samples shorter than that (a bounce, a glitch) is ignored, while released as while held.

Events, at most one per button per update, in `events[i]` (0 = none):
- no long action: PRESS on the debounced press edge (« Suivant » wants no latency), RELEASE on
  the debounced release edge;
- with a long action: SHORT on the debounced release when the press lasted less than long_ms
  (default 1500 ms, counted from the first sample of the press); LONG once when it is held
  that long (not while a release is being debounced), then RELEASE on the release.
So every debounced press gives exactly one action (PRESS, SHORT or LONG), and every PRESS or
LONG is closed by exactly one RELEASE. The buttons start released; a button held at start-up
gives its press once debounced. Buttons are independent of each other.
"""
try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

NONE = const(0)
PRESS = const(1)
RELEASE = const(2)
SHORT = const(3)
LONG = const(4)
EVENT_NAMES = ("none", "press", "release", "short", "long")  # indexed by the event code

DEBOUNCE_MS = const(30)
LONG_MS = const(1500)


class Buttons:
    """`count` buttons; `long_press`: indexes of those with a long action.

    After each update(): `events` (a bytearray of `count` codes) says what happened.
    """

    def __init__(self, count, long_press=(), debounce_ms=DEBOUNCE_MS, long_ms=LONG_MS):
        if not 1 <= count <= 32:
            raise ValueError("1 to 32 buttons")
        if not 0 <= debounce_ms < long_ms:
            raise ValueError("buttons need 0 <= debounce_ms < long_ms")
        self.count = count
        self.debounce_ms = debounce_ms
        self.long_ms = long_ms
        self.events = bytearray(count)
        self._long = bytearray(count)  # 1: the button has a long action
        for i in long_press:
            if not 0 <= i < count:
                raise ValueError("long_press index %d out of range" % i)
            self._long[i] = 1
        self._stable = bytearray(count)  # debounced level, 1 = pressed
        self._pending = bytearray(count)  # 1: the samples show the other level, since _since
        self._long_sent = bytearray(count)  # 1: LONG emitted for the current press
        self._since = [0] * count  # first sample of the pending level
        self._down_at = [0] * count  # first sample of the current press
        self._last = None  # the latest now_ms, to ignore a clock going back

    def pressed(self, i):
        """The debounced state of button i."""
        return self._stable[i] == 1

    def update(self, now_ms, pressed):
        """Take one sample of every button at now_ms; -> how many buttons have an event."""
        if len(pressed) != self.count:
            raise ValueError("expected %d levels" % self.count)
        last = self._last
        if last is not None and now_ms < last:
            now_ms = last
        self._last = now_ms
        events = self.events
        n = 0
        for i in range(self.count):
            ev = NONE
            raw = 1 if pressed[i] else 0
            stable = self._stable[i]
            if raw == stable:
                self._pending[i] = 0
            else:
                if not self._pending[i]:
                    self._pending[i] = 1
                    self._since[i] = now_ms
                if now_ms - self._since[i] >= self.debounce_ms:
                    self._stable[i] = stable = raw
                    self._pending[i] = 0
                    if raw:
                        self._down_at[i] = self._since[i]
                        self._long_sent[i] = 0
                        if not self._long[i]:
                            ev = PRESS
                    elif self._long[i] and not self._long_sent[i]:
                        ev = SHORT
                    else:
                        ev = RELEASE
            if (stable and self._long[i] and not self._long_sent[i] and not self._pending[i]
                    and now_ms - self._down_at[i] >= self.long_ms):
                self._long_sent[i] = 1
                ev = LONG
            events[i] = ev
            if ev:
                n += 1
        return n
