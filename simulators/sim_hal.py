"""The simulator's HAL: what the firmware's app.App needs, without a board (app.py lists it).

    hal = SimHal()                      # or SimHal(clock=lambda: ms) for a test's own time
    app = App(cfg, key, hal)
    hal.press("next"); ...; hal.release("next")
    hal.digits, hal.lines, hal.led, hal.beeps, hal.thanks   # what a citizen or agent sees

It records what the board would light instead of driving pins: `digits` (the 4 glyphs on the
7-segment display, blanks during a blink's off phase) and their TM1637 `segment_bytes`, the
hall's `lines`, the status `led` (online, waiting, offline), the feedback LED saying `thanks`,
and how many `beeps`. The network is the desktop's: asyncio's open_connection to a real
broker; `network_up = False` makes net_up fail like a lost Wi-Fi. The serial port is a pair of
streams the simulator gives (`serial`), e.g. a real pty.

Plain Python that MicroPython runs too (bench/firmware_memory.py boots the roles with it under
MicroPython): no typing, no dataclasses, %-formatting.
"""
import asyncio
import random
import time

from suivant_fw import segments


def _monotonic_ms():
    ticks = getattr(time, "ticks_ms", None)
    if ticks is None:
        return int(time.monotonic() * 1000)
    return ticks()  # MicroPython: wraps after 2**30 ms, more than a simulation lasts


class SimHal:
    flash = False  # the simulator's boards run from the checkout: no over-the-air updates

    def __init__(self, clock=None, rand=None, nonce=None, serial=None, ssl_context=None):
        self._clock = clock or _monotonic_ms
        self._start = self._clock()
        self._rand = rand or random.random
        self._nonce = nonce
        self.serial = serial  # (reader, writer) for a serial link
        self.ssl_context = ssl_context  # for broker.tls: trusts the test broker's CA
        self.network_up = True
        self.button_names = ()
        self.held = set()
        self.digits = None
        self.segment_bytes = None
        self.lines = ()
        self.led = "off"
        self.thanks = 0
        self.beeps = 0
        self.fed = 0
        self.resets = 0
        self.paints = 0
        self.free = 100000  # what heap() reports: gc.mem_free(), gc.mem_alloc()
        self.alloc = 40000
        self.signal = None  # Wi-Fi RSSI to report, or None

    # -- what the firmware calls -------------------------------------------------------------
    def attach(self, dev):
        self.button_names = dev.button_names

    def now(self):
        return self._clock() - self._start

    def rand(self):
        return self._rand()

    def boot_nonce(self):
        if self._nonce is not None:
            return self._nonce
        return "%08x" % random.getrandbits(32)

    def read_buttons(self, levels):
        names = self.button_names
        for i in range(len(names)):
            levels[i] = 1 if names[i] in self.held else 0

    def beep(self, now):
        self.beeps += 1

    def paint(self, view, now):
        glyphs = view.glyphs_at(now)
        if glyphs != self.digits:
            self.digits = glyphs
            self.segment_bytes = None if glyphs is None else bytes(segments.to_bytes(glyphs))
            self.paints += 1
        lines = view.lines_at(now)
        if lines != self.lines:
            self.lines = lines
            self.paints += 1
        self.led = view.led
        self.thanks = view.thanks

    def feed(self):
        self.fed += 1

    def reset(self):
        """The firmware asks for a restart (a staged update): counted; the simulator's board
        does not restart by itself (tests/integration's unix-port board does)."""
        self.resets += 1

    def heap(self):
        # (free, alloc, largest): no IDF heap here, so no largest free block ('-' in status)
        return self.free, self.alloc, None

    def rssi(self):
        return self.signal

    async def net_up(self):
        if not self.network_up:
            raise OSError("wifi: no network (simulated)")

    async def open_connection(self, host, port, tls):
        if not self.network_up:
            raise OSError("wifi: no network (simulated)")
        return await asyncio.open_connection(host, port, ssl=self.ssl_context if tls else None)

    def open_serial(self, serial):
        if self.serial is None:
            raise OSError("no serial port given to the simulator")
        return self.serial

    # -- what a test or the desk view does -----------------------------------------------------
    def press(self, name):
        if name not in self.button_names:
            raise ValueError("this device has no button %r (it has %r)"
                             % (name, self.button_names))
        self.held.add(name)

    def release(self, name):
        self.held.discard(name)
