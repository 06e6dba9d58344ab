"""The board codec's two hottest steps, done the CPython way for the bridge (host_bridge/
__init__.py puts them in suivant_fw): the bridge checks and signs every line, and a press costs
three lines (the press, its ack, the display's show). Same results as the board code for any
input, refusals included (tests/firmware/test_protocol_codec.py checks both ways).

- HMAC-SHA256 with each device key's two padded blocks hashed once: OpenSSL's one-shot HMAC
  sets up its context on every call; copying SHA-256 states that already absorbed the key's
  pads (RFC 2104's inner and outer keys) costs less than half as much.
- §3 escaping, and the character checks of a line (its bytes, device id, boot, MAC), with
  regular expressions instead of loops over characters in Python.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from suivant_fw import ProtocolError
from suivant_fw import escape as _escape
from suivant_fw import mac as _mac
from suivant_fw import message as _message
from suivant_fw.message import _DEVICE_MAX

_BLOCK = 64  # SHA-256's block
_MAX_KEYS = 4096  # keys whose pads are kept: a site has a few hundred devices at most
_pads: dict[bytes, tuple[object, object]] = {}


def _padded(key: bytes) -> tuple[object, object]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def hmac_digest(key: bytes, data: bytes, name: str = "sha256") -> bytes:
    """hmac.digest(key, data, "sha256"), faster for a key seen before."""
    if name != "sha256" or type(key) is not bytes:  # bytearray keys are not kept (mutable)
        return hmac.digest(key, data, name)
    pads = _pads.get(key)
    if pads is None:
        if len(_pads) >= _MAX_KEYS:
            _pads.clear()  # rotated keys never pile up; the live ones come back on next use
        pads = _pads[key] = _padded(key)
    inner = pads[0].copy()  # type: ignore[attr-defined]
    inner.update(data)
    outer = pads[1].copy()  # type: ignore[attr-defined]
    outer.update(inner.digest())
    return outer.digest()


# bytes that travel as they are (§3: 0x21-0x7E but `%` and `|`); every other one as %XX
_ESCAPED = re.compile(rb"[^\x21-\x24\x26-\x7b\x7d\x7e]")
_FORM = [chr(b) if _ESCAPED.match(bytes([b])) is None else "%%%02X" % b for b in range(256)]


def escape(text: str) -> str:
    """suivant_fw.escape.escape: 'É 5%' -> '%C3%89%205%25'."""
    if not isinstance(text, str):
        raise ProtocolError("bad_field", "field is not text")
    try:
        raw = text.encode("utf-8")
    except UnicodeError:  # a lone surrogate
        raise ProtocolError("bad_field", "field is not encodable as UTF-8") from None
    if _ESCAPED.search(raw) is None:
        return text
    return "".join([_FORM[b] for b in raw])


_BAD_CHAR = re.compile(rb"[^\x20-\x7e]")
_HEX = re.compile(r"[0-9a-f]*")
_DEVICE = re.compile(r"[a-z0-9-]{1,%d}" % _DEVICE_MAX)


def check_chars(line: bytes) -> None:
    """suivant_fw.message._check_chars: the first byte that is not printable ASCII refused."""
    bad = _BAD_CHAR.search(line)
    if bad is not None:
        raise ProtocolError("bad_char", "byte 0x%02x" % bad.group()[0])


def is_hex(s: str, n: int) -> bool:
    """suivant_fw.message._is_hex: exactly n lowercase hex digits."""
    return len(s) == n and _HEX.fullmatch(s) is not None


def device_ok(s: object) -> bool:
    """suivant_fw.message._device_ok: 1-24 of a-z 0-9 -."""
    return isinstance(s, str) and _DEVICE.fullmatch(s) is not None


# (module, name) -> the board's own function, kept for the tests that compare both
BOARD: dict[tuple[object, str], object] = {}


def install() -> None:
    """Put the fast steps in the shared codec (once; host_bridge/__init__.py does it)."""
    if BOARD:
        return
    for module, name, fast in ((_mac, "_digest", hmac_digest),
                               (_mac, "_compare", hmac.compare_digest),
                               (_escape, "_fast", escape),
                               (_message, "_check_chars", check_chars),
                               (_message, "_is_hex", is_hex),
                               (_message, "_device_ok", device_ok)):
        BOARD[(module, name)] = getattr(module, name)
        setattr(module, name, fast)
