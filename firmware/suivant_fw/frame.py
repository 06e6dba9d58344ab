"""§6 serial frames: `#<addr> <message line> <crc>\\r\\n`.

encode_frame(addr, line) -> bytes. FrameReader turns a byte stream (any chunking) into
(addr, line) pairs, in a preallocated 300-byte buffer, counting what it drops.
"""
from binascii import crc32  # in MicroPython's ESP32 build (and its webassembly port)

from suivant_fw import ProtocolError

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

FRAME_MAX = const(300)  # bytes kept between '#' and '\n'
_LINE_MAX = const(240)
_MIN = const(13)  # "aa " + 1-byte line + " " + 8-digit crc
_HUNT = const(0)  # discarding noise until '#'
_IN = const(1)  # inside a frame, until '\n'
_SKIP = const(2)  # dropping the rest of an overlong frame, until '#'


def encode_frame(addr, line):
    """The frame carrying line (bytes or str, a §1 line) to or from bus address addr (0-254)."""
    if isinstance(addr, bool) or not isinstance(addr, int) or not 0 <= addr <= 0xFE:
        raise ValueError("bus address is 0x00-0xfe")
    line = line.encode("utf-8") if isinstance(line, str) else bytes(line)
    if not line:
        raise ProtocolError("bad_frame", "empty line")
    if len(line) > _LINE_MAX:
        raise ProtocolError("too_long", "line of %d bytes" % len(line))
    for b in line:
        if b < 0x20 or b > 0x7E:
            raise ProtocolError("bad_char", "byte 0x%02x" % b)
    covered = ("%02x " % addr).encode("utf-8") + line
    return b"#" + covered + (" %08x\r\n" % crc32(covered)).encode("utf-8")


def _hex(buf, start, n):
    """Value of n lowercase hex digits at buf[start:], or -1."""
    v = 0
    for i in range(start, start + n):
        b = buf[i]
        if 0x30 <= b <= 0x39:
            v = (v << 4) | (b - 0x30)
        elif 0x61 <= b <= 0x66:
            v = (v << 4) | (b - 0x57)
        else:
            return -1
    return v


class FrameReader:
    """Feed it bytes as they come; it returns the frames completed by each chunk.

    Counters: `frames` (good), `crc_errors`, `bad_frames` (no valid addr / spaces / crc field, or
    not printable), `overflows` (more than 300 bytes between '#' and '\\n': dropped whole),
    `noise_bytes` (discarded while looking for '#'). A '#' inside a frame is data (message text
    may hold one), so when a frame fails, the reader also tries the text after each '#' in it:
    a frame cut short by noise then costs only itself, not the good frame that followed it.
    """

    def __init__(self):
        self._buf = bytearray(FRAME_MAX)
        self._mv = memoryview(self._buf)
        self._n = 0
        self._state = _HUNT
        self.frames = 0
        self.crc_errors = 0
        self.bad_frames = 0
        self.overflows = 0
        self.noise_bytes = 0

    def reset(self):
        """Forget a partial frame (the counters stay)."""
        self._n = 0
        self._state = _HUNT

    def feed(self, data):
        """-> list of (addr, line) for the frames that data completes; line is bytes."""
        results = []
        buf = self._buf
        n = self._n
        state = self._state
        for b in data:
            if state == _IN:
                if b == 0x0A:
                    frame = self._finish(n)
                    if frame is not None:
                        results.append(frame)
                    n = 0
                    state = _HUNT
                elif n < FRAME_MAX:
                    buf[n] = b
                    n += 1
                else:
                    self.overflows += 1
                    n = 0
                    state = _SKIP
            elif b == 0x23:  # '#'
                state = _IN
                n = 0
            elif state == _HUNT:
                self.noise_bytes += 1
        self._n = n
        self._state = state
        return results

    def _parse(self, start, end):
        """(addr, line) of the frame in buf[start:end] ('#' and line ending excluded), else
        0 for a malformed frame, 1 for a bad CRC."""
        buf = self._buf
        n = end - start
        if n < _MIN or buf[start + 2] != 0x20 or buf[end - 9] != 0x20:
            return 0
        addr = _hex(buf, start, 2)
        crc = _hex(buf, end - 8, 8)
        if addr < 0 or addr == 0xFF or crc < 0:
            return 0
        if crc32(self._mv[start:end - 9]) != crc:
            return 1
        for i in range(start + 3, end - 9):
            b = buf[i]
            if b < 0x20 or b > 0x7E:
                return 0
        return (addr, bytes(self._mv[start + 3:end - 9]))

    def _finish(self, n):
        if n and self._buf[n - 1] == 0x0D:  # "\r\n"
            n -= 1
        got = self._parse(0, n)
        if isinstance(got, tuple):
            self.frames += 1
            return got
        if got == 1:
            self.crc_errors += 1
        else:
            self.bad_frames += 1
        buf = self._buf
        for start in range(1, n - _MIN + 1):  # a good frame after a '#' in the bad one
            if buf[start - 1] == 0x23:
                got = self._parse(start, n)
                if isinstance(got, tuple):
                    self.frames += 1
                    return got
        return None
