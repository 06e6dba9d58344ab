"""MAX7219 chain driver for the hall display: `lines` rows of `modules` 8x8 matrices, one chain.

    d = Max7219Lines(spi, cs_pin, lines=3, modules=4, layout="fc16", brightness=4)
    d.show(columns)      # columns[l]: a bytearray of modules*8 columns for line l (matrix.py)

The chain (hardware/hall/wiring.md) starts at line 1's board; every 16-bit word shifted in
pushes the previous ones one chip further, so for each digit register the driver sends the
words of the farthest chip first: line n's leftmost module ... line 1's rightmost module last.
Inside a module, `fc16` (the common 4-in-1 boards): digit register r + 1 is row r (0 = top)
and bit 7 the leftmost column. `parola` (MD_MAX72XX "generic" wiring): digit register k + 1 is
column k from the left and bit r row r. A MAX7219 word is (register, data), register first.

The setup registers (shutdown, scan limit, decode, intensity) are written again before each
picture: a supply glitch or a long cable can reset a chip to its power-on state (shut down,
one row scanned), and it would stay dark until the next boot otherwise (issue 11).
"""
_NOOP = 0x00
_DECODE = 0x09
_INTENSITY = 0x0A
_SCAN_LIMIT = 0x0B
_SHUTDOWN = 0x0C
_TEST = 0x0F


class Max7219Lines:
    def __init__(self, spi, cs, lines, modules, layout="fc16", brightness=4):
        if layout not in ("fc16", "parola"):
            raise ValueError("layout is fc16 or parola")
        self._spi = spi
        self._cs = cs
        self.lines = lines
        self.modules = modules
        self._fc16 = layout == "fc16"
        self._buf = bytearray(2 * lines * modules)
        self._brightness = brightness & 15
        cs(1)
        self._setup()

    def _setup(self):
        for reg, value in ((_TEST, 0), (_DECODE, 0), (_SCAN_LIMIT, 7),
                           (_INTENSITY, self._brightness), (_SHUTDOWN, 1)):
            self._all(reg, value)

    def _send(self):
        self._cs(0)
        self._spi.write(self._buf)
        self._cs(1)

    def _all(self, reg, value):
        buf = self._buf
        for i in range(0, len(buf), 2):
            buf[i] = reg
            buf[i + 1] = value
        self._send()

    def show(self, columns):
        self._setup()
        buf = self._buf
        for reg in range(1, 9):
            i = 0
            for line in range(self.lines - 1, -1, -1):
                cols = columns[line]
                for m in range(self.modules):
                    base = 8 * m
                    if self._fc16:
                        bit = 1 << (reg - 1)
                        v = 0
                        for c in range(8):
                            if cols[base + c] & bit:
                                v |= 0x80 >> c
                    else:
                        v = cols[base + reg - 1]
                    buf[i] = reg
                    buf[i + 1] = v
                    i += 2
            self._send()
