"""§3 escaping: field text <-> the escaped ASCII form that travels in a line (the MAC covers it).

Encoding is canonical: text is UTF-8 first, then every byte outside 0x21-0x7E, and `%` and `|`,
becomes `%` + two uppercase hex digits. Decoding refuses exactly what §3 says it refuses: a `%`
not followed by two hex digits, and bytes that are not UTF-8 (checked here, strictly as CPython
does: MicroPython's own decoder lets surrogates and overlong forms through).
"""
from suivant_fw import ProtocolError

_HEX = b"0123456789ABCDEF"
# The bridge (CPython) puts a faster escape here (host_bridge/codec_fast.py); boards run the
# code below.
_fast = None


def _utf8(text):
    if not isinstance(text, str):
        raise ProtocolError("bad_field", "field is not text")
    try:
        return text.encode("utf-8")
    except UnicodeError:  # a lone surrogate (CPython)
        raise ProtocolError("bad_field", "field is not encodable as UTF-8")


def _plain(b):
    return 0x21 <= b <= 0x7E and b != 0x25 and b != 0x7C


def escaped_len(text):
    """Length in bytes of escape(text), without building it."""
    n = 0
    for b in _utf8(text):
        n += 1 if _plain(b) else 3
    return n


def escape(text):
    """str -> its escaped form (a str of bytes 0x21-0x7E). 'É 5%' -> '%C3%89%205%25'."""
    if _fast is not None:
        return _fast(text)
    raw = _utf8(text)
    n = 0
    for b in raw:
        n += 1 if _plain(b) else 3
    if n == len(raw):
        return text
    out = bytearray(n)
    i = 0
    for b in raw:
        if _plain(b):
            out[i] = b
            i += 1
        else:
            out[i] = 0x25
            out[i + 1] = _HEX[b >> 4]
            out[i + 2] = _HEX[b & 15]
            i += 3
    return str(out, "ascii")


def _hexval(b):
    if 0x30 <= b <= 0x39:
        return b - 0x30
    if 0x41 <= b <= 0x46:
        return b - 0x37
    if 0x61 <= b <= 0x66:
        return b - 0x57
    return -1


def _utf8_ok(buf, n):
    """True if buf[:n] is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF)."""
    i = 0
    while i < n:
        b = buf[i]
        if b < 0x80:
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            need, lo, hi = 1, 0x80, 0xBF
        elif b == 0xE0:
            need, lo, hi = 2, 0xA0, 0xBF
        elif b == 0xED:
            need, lo, hi = 2, 0x80, 0x9F
        elif 0xE1 <= b <= 0xEF:
            need, lo, hi = 2, 0x80, 0xBF
        elif b == 0xF0:
            need, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= b <= 0xF3:
            need, lo, hi = 3, 0x80, 0xBF
        elif b == 0xF4:
            need, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + need >= n:
            return False
        c = buf[i + 1]
        if c < lo or c > hi:
            return False
        for k in range(i + 2, i + need + 1):
            c = buf[k]
            if c < 0x80 or c > 0xBF:
                return False
        i += need + 1
    return True


def unescape(field):
    """Escaped form (str or bytes) -> text. Raises ProtocolError('bad_escape')."""
    raw = field.encode("utf-8") if isinstance(field, str) else bytes(field)
    n = len(raw)
    if raw.find(b"%") < 0:
        if _utf8_ok(raw, n):
            return str(raw, "utf-8")
        raise ProtocolError("bad_escape", "not UTF-8")
    out = bytearray(n)  # unescaping never lengthens
    i = j = 0
    while i < n:
        b = raw[i]
        if b == 0x25:
            if i + 2 >= n:
                raise ProtocolError("bad_escape", "% at end of field")
            hi = _hexval(raw[i + 1])
            lo = _hexval(raw[i + 2])
            if hi < 0 or lo < 0:
                raise ProtocolError("bad_escape", "% not followed by two hex digits")
            out[j] = (hi << 4) | lo
            i += 3
        else:
            out[j] = b
            i += 1
        j += 1
    if not _utf8_ok(out, j):
        raise ProtocolError("bad_escape", "not UTF-8")
    return str(memoryview(out)[:j], "utf-8")
