"""7-segment text: the font, fitting a label to the display, scrolling, blinking.

Glyphs are a str with one character per digit of the display, normalised by fit(): letters
upper case, any character without a glyph replaced by '?'. to_bytes() turns them into segment
bytes, in the TM1637 bit order (also mcauser's micropython-tm1637 and Wokwi's tm1637 part):

     a          bit 0 a, 1 b, 2 c, 3 d, 4 e, 5 f, 6 g, 7 dp
   f   b        so '7' = a b c = 0x07, 'C' = a d e f = 0x39,
     g          '-' = g = 0x40, ' ' = 0x00, '.' = dp alone = 0x80
   e   c        On the common 4-digit "clock" module, dp of digit 1 (the 2nd) is the colon
     d   dp     and the other dps are not wired.

Letters (case-insensitive, one glyph each) are the usual approximations. Readable: A b C d E F
H J L n P r t U y (G, o, q too). Equal to a digit: S = 5, Z = 2; close to one: I (left bar,
0x30) ~ 1, O (lowercase o, 0x5C) ~ 0, G ~ 6, Q (q) ~ 9. Poor: K, M, V, W, X. Ticket prefixes
should be taken among the readable ones. Symbols: space - _ = . ? ' " [ ] / and * (degree).

Status codes of the counter terminal and display (exactly 4 digits):
IDLE "----" no ticket served · WAITING "CONN" (Conn) connecting, no `show` yet ·
OFFLINE "OFFL" (oFFL) link lost · NO_CONFIG "NOCF" (noCF) config.json missing or invalid ·
BUSY "BUSY" (bUSy) 4 presses await their ack, a fifth is refused (docs/protocol.md §5) ·
REFUSED "REFU" (rEFU) the bridge refused the last press (a closed counter, ...), for 2 s ·
NO_BRIDGE "NOBR" (nobr) connected, but the bridge has not answered a hello for 20 s.
"""
try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

SEG_A = const(0x01)
SEG_B = const(0x02)
SEG_C = const(0x04)
SEG_D = const(0x08)
SEG_E = const(0x10)
SEG_F = const(0x20)
SEG_G = const(0x40)
SEG_DP = const(0x80)

WIDTH = const(4)  # TM1637 module of the counter terminal and display
MAX_TEXT = const(32)  # frames() scrolls at most this many characters: at most 29 frames of 4
_MAX_BLANK = const(8)

IDLE = "----"
WAITING = "CONN"
OFFLINE = "OFFL"
NO_CONFIG = "NOCF"
BUSY = "BUSY"
REFUSED = "REFU"
NO_BRIDGE = "NOBR"

# Every character with a glyph (canonical form) and its segment byte, in the same order.
CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -_=.?'\"[]/*"
FONT = (
    b"\x3f\x06\x5b\x4f\x66\x6d\x7d\x07\x7f\x6f"  # 0-9
    b"\x77\x7c\x39\x5e\x79\x71\x3d\x76\x30\x1e"  # A b C d E F G H I J
    b"\x75\x38\x37\x54\x5c\x73\x67\x50\x6d\x78"  # K L M n o P q r S t
    b"\x3e\x1c\x7e\x36\x6e\x5b"  # U V(u) W X y Z
    b"\x00\x40\x08\x48\x80\x53\x20\x22\x39\x0f\x52\x63"  # space - _ = . ? ' " [ ] / *(degree)
)
_UNKNOWN = "?"

_TABLE = bytearray(128)  # ASCII code -> segment byte; lowercase letters as upper case
_KNOWN = bytearray(128)  # 1: the character has a glyph


def _build():
    for i in range(len(CHARS)):
        c = ord(CHARS[i])
        for o in (c, c + 0x20) if 0x41 <= c <= 0x5A else (c,):
            _TABLE[o] = FONT[i]
            _KNOWN[o] = 1


_build()
_BLANKS = tuple(" " * n for n in range(_MAX_BLANK + 1))


def glyph(c):
    """The segment byte of one character (that of '?' when it has none)."""
    o = ord(c)
    if o >= 128 or not _KNOWN[o]:
        o = 0x3F  # '?'
    return _TABLE[o]


def _normal(text):
    out = ""
    for c in text:
        o = ord(c)
        if o >= 128 or not _KNOWN[o]:
            c = _UNKNOWN
        elif 0x61 <= o <= 0x7A:
            c = chr(o - 0x20)
        out += c
    return out


def fit(text, width=WIDTH, right=False):
    """Exactly `width` glyphs: text normalised, cut to width, padded with spaces (on the right,
    or on the left with right=True)."""
    if width < 1:
        raise ValueError("width must be at least 1")
    s = _normal(text[:width])
    pad = width - len(s)
    if pad:
        s = _blank(pad) + s if right else s + _blank(pad)
    return s


def frames(text, width=WIDTH):
    """Scrolling a text longer than the display: a tuple of `width`-glyph frames, the window
    moving one glyph at a time from the start to the end of text (cut at MAX_TEXT characters,
    so at most MAX_TEXT - width + 1 frames). A text that fits gives one frame, fit(text)."""
    if width < 1:
        raise ValueError("width must be at least 1")
    s = _normal(text[:MAX_TEXT])
    if len(s) <= width:
        return (fit(s, width),)
    return tuple(s[i:i + width] for i in range(len(s) - width + 1))


def blink(glyphs, now_ms, period_ms, until_ms):
    """The glyphs to show at now_ms while blinking until until_ms: the glyphs during the first
    half of each period of the clock (now_ms % period_ms < period_ms - period_ms // 2), blanks
    of the same width during the second; the glyphs, steadily, from until_ms on."""
    if period_ms < 2:
        raise ValueError("blink period must be at least 2 ms")
    if now_ms >= until_ms or now_ms % period_ms < period_ms - period_ms // 2:
        return glyphs
    return _blank(len(glyphs))


def _blank(n):
    return _BLANKS[n] if n <= _MAX_BLANK else " " * n


def to_bytes(glyphs, out=None):
    """The segment bytes of the glyphs (one per glyph, TM1637 order), in a new bytearray or
    written at the start of `out` (then no allocation: the display task keeps one buffer)."""
    n = len(glyphs)
    if out is None:
        out = bytearray(n)
    elif len(out) < n:
        raise ValueError("out holds %d bytes, %d glyphs" % (len(out), n))
    for i in range(n):
        out[i] = glyph(glyphs[i])
    return out
