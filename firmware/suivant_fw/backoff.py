"""Exponential backoff with jitter, in integer milliseconds (§5: 0.5 s, doubling, at most 8 s).

    b = Backoff()              # 500 ms, x2, capped at 8000 ms, +-25 % jitter
    b.next_delay()             # ~500, then ~1000, ~2000, ~4000, ~8000, ~8000, ...
    b.reset()                  # after a success: the next delay is ~500 again

The base delay starts at `initial_ms`, is multiplied by `factor` after each `next_delay()` and
never exceeds `maximum_ms`. Jitter spreads each delay uniformly over base +- jitter*base, so
boards that lost the same broker don't come back in step; every delay lies within
[initial_ms*(1-jitter), maximum_ms*(1+jitter)].

Pure logic: no clock, no sleeping. The caller waits (resends a press, or sleeps before the next
Wi-Fi / broker connection attempt). The same class serves both:

    reconnect = Backoff(1000, 60000)
    while not link.connect():          # the link raises or returns False: we retry
        await asyncio.sleep_ms(reconnect.next_delay())
    reconnect.reset()

`rand` is a callable returning a float in [0, 1) (like random.random); tests inject a fixed
sequence. A value outside [0, 1] is clamped. The arithmetic is integer but for `span * r`:
ESP32 MicroPython floats are single precision, so test values of r that must give the same
delay everywhere are short binary fractions (0.5, 0.75, 0.9375...).
"""
try:
    from random import random as _random
except ImportError:  # a port built without random: no jitter source by default
    _random = None  # type: ignore[assignment]


class Backoff:
    def __init__(self, initial_ms=500, maximum_ms=8000, factor=2, jitter=0.25, rand=None):
        if not 1 <= initial_ms <= maximum_ms:
            raise ValueError("backoff needs 1 <= initial_ms <= maximum_ms")
        if factor < 1:
            raise ValueError("backoff factor must be >= 1")
        if not 0 <= jitter < 1:
            raise ValueError("backoff jitter must be in [0, 1)")
        if rand is None:
            rand = _random
            if rand is None:
                raise ValueError("no random module: give rand")
        self.initial_ms = int(initial_ms)
        self.maximum_ms = int(maximum_ms)
        self.factor = factor
        self.jitter = jitter
        self._rand = rand
        self._base = self.initial_ms
        self.attempts = 0  # next_delay() calls since the last reset()

    @property
    def base_ms(self):
        """The base (unjittered) delay the next next_delay() spreads."""
        return self._base

    def next_delay(self):
        """The delay to wait now, in ms; the base grows for the next call."""
        base = self._base
        span = int(base * self.jitter)
        r = self._rand()
        if r < 0:
            r = 0
        elif r > 1:
            r = 1
        delay = base - span + int(2 * span * r)
        self._base = min(int(base * self.factor), self.maximum_ms)
        self.attempts += 1
        return delay

    def reset(self):
        """After a success: start again from initial_ms."""
        self._base = self.initial_ms
        self.attempts = 0
