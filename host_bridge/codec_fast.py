"""The board codec's two hottest steps, done the CPython way for the bridge (host_bridge/
__init__.py puts them in suivant_fw): the bridge checks and signs every line, and a press costs
three lines (the press, its ack, the display's show). Same results as the board code for any
input, refusals included (tests/firmware/test_protocol_codec.py checks both ways).

- HMAC-SHA256 with each device key's two padded blocks hashed once: OpenSSL's one-shot HMAC
  sets up its context on every call; copying SHA-256 states that already absorbed the key's
  pads (RFC 2104's inner and outer keys) costs less than half as much.
- §3 escaping with a regular expression and a table instead of a loop over bytes.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from suivant_fw import ProtocolError

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
