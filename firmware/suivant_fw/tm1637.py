"""TM1637 4-digit 7-segment driver (counter terminal and counter display), bit-banged.

    d = TM1637(clk_pin, dio_pin, time.sleep_us, brightness=4)   # pins: outputs, callable
    d.show(segments.to_bytes("C017"))                           # 4 segment bytes, left first

The TM1637's two-wire bus is not I2C (no address, bytes go least significant bit first), so
it is driven by hand: start (DIO falls while CLK is high), bytes clocked on CLK's rising edge,
a ninth clock for the chip's ACK, stop (DIO rises while CLK is high). The modules carry
pull-ups on both lines. Commands (datasheet §7): 0x40 write with auto-increment, 0xC0 address
0, then 0x88 | brightness (display on, 0-7). The pins and the delay are injected, so tests can
decode what the driver sends (tests/firmware/test_board_drivers.py).
"""


class TM1637:
    def __init__(self, clk, dio, sleep_us, brightness=4):
        self._clk = clk
        self._dio = dio
        self._sleep = sleep_us
        self.brightness = brightness & 7
        clk(1)
        dio(1)

    def _start(self):
        self._dio(0)
        self._sleep(10)
        self._clk(0)

    def _stop(self):
        self._clk(0)
        self._dio(0)
        self._sleep(10)
        self._clk(1)
        self._sleep(10)
        self._dio(1)

    def _byte(self, b):
        clk, dio, sleep = self._clk, self._dio, self._sleep
        for i in range(8):
            clk(0)
            dio((b >> i) & 1)
            sleep(10)
            clk(1)
            sleep(10)
        clk(0)  # ninth clock: the chip pulls DIO low to acknowledge; not read
        dio(1)
        sleep(10)
        clk(1)
        sleep(10)
        clk(0)

    def _command(self, b):
        self._start()
        self._byte(b)
        self._stop()

    def show(self, segs):
        """Light the digits: segs[0] is the leftmost (bit 0 segment a ... bit 7 dp)."""
        self._command(0x40)
        self._start()
        self._byte(0xC0)
        for s in segs:
            self._byte(s)
        self._stop()
        self._command(0x88 | self.brightness)
