"""§4 authentication: HMAC-SHA256 (RFC 2104) on hashlib.sha256, truncated to 8 bytes (16 hex).

MicroPython has no `hmac` module, hence this one.
"""
import binascii
import hashlib

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

# The bridge (CPython) puts the stdlib's C HMAC and compare_digest here (host_bridge/__init__.py):
# it checks and signs every line. A board has no hmac module and runs the code below.
_digest = None
_compare = None

_BLOCK = const(64)  # SHA-256 block size in bytes
TAG_LEN = const(16)  # hex digits of the mac field


def hmac_sha256(key, data):
    """HMAC-SHA256(key, data) -> 32 bytes, as RFC 2104 (and CPython's hmac) computes it."""
    if _digest is not None:
        return _digest(key, data, "sha256")
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    ipad = bytearray(_BLOCK)
    opad = bytearray(_BLOCK)
    for i in range(len(key)):
        ipad[i] = key[i]
        opad[i] = key[i]
    for i in range(_BLOCK):
        ipad[i] ^= 0x36
        opad[i] ^= 0x5C
    inner = hashlib.sha256(ipad)
    inner.update(data)
    outer = hashlib.sha256(opad)
    outer.update(inner.digest())
    return outer.digest()


def tag(key, data):
    """The mac field for `data` (the line up to and including the `|` before the mac): 16 hex."""
    return str(binascii.hexlify(hmac_sha256(key, data)[:8]), "ascii")


def equal(a, b):
    """Compare two tags (str or bytes) in time that does not depend on where they differ."""
    if isinstance(a, str):
        a = a.encode("utf-8")
    if isinstance(b, str):
        b = b.encode("utf-8")
    if _compare is not None:
        return _compare(a, b)
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
