"""§1-2 message lines: `SV1|<kind>|<device>|<boot>|<seq>|<fields...>|<mac>`.

encode(msg, key) -> bytes (no line ending); decode(line, key) -> Message or ProtocolError.
Both apply every rule of docs/protocol.md, so a Message that encodes also decodes to itself.

decode checks in this order, so the error code of a line is well defined:
too_long, bad_char, bad_magic, bad_arity (fewer than 6 parts), bad_kind, bad_device, bad_mac,
then (authenticated content) bad_boot, bad_seq, bad_arity, bad_escape, bad_field.
The MAC is checked before the content is interpreted: an unauthenticated line never gets past
the header, and a refused authenticated line names the rule its sender broke.
"""
from suivant_fw import ProtocolError
from suivant_fw.escape import escape, unescape
from suivant_fw.mac import TAG_LEN, equal, tag

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

MAGIC = "SV1"
MAX_LINE = const(240)  # bytes, before the line ending
KEY_LEN = const(32)
SEQ_MAX = const(2147483647)  # 2**31 - 1
_DEVICE_MAX = const(24)
CHUNK_BYTES = const(96)  # firmware bytes per chunk line: its base64 (128) keeps it under 240
CHUNK_B64 = const(128)
_NO_BOOT = "-"

KINDS = ("hello", "press", "vote", "status", "ack", "show", "config", "poll",
         "update", "fetch", "chunk", "report")
ROLES = ("counter", "display", "hall", "feedback")
BUTTONS = ("next", "recall", "absent", "finish", "transfer", "pause", "close")
SCORES = ("1", "2", "3", "4")
RESULTS = ("ok", "refused", "error")
_BEEPS = ("0", "1")

# kind -> (has a boot nonce, lowest seq, highest seq, fewest fields, most fields)
# Device messages count from 1 (§2); an ack carries the seq it acknowledges; a poll's seq is 0.
_RULES = {
    "hello": (True, 1, SEQ_MAX, 3, 3),
    "press": (True, 1, SEQ_MAX, 1, 1),
    "vote": (True, 1, SEQ_MAX, 1, 1),
    "status": (True, 1, SEQ_MAX, 5, 7),  # older firmware sends the first 5 only
    "ack": (True, 1, SEQ_MAX, 2, 2),
    "show": (False, 0, SEQ_MAX, 3, 10),  # beep, blink, 1 to 8 lines
    "config": (False, 0, SEQ_MAX, 1, MAX_LINE),  # at least one key=value; the length bounds it
    "poll": (False, 0, 0, 0, 0),
    # firmware updates (§9): the offer's seq is the build; a chunk answers its fetch's boot/seq
    "update": (False, 1, SEQ_MAX, 2, 2),  # manifest size, manifest sha256
    "fetch": (True, 1, SEQ_MAX, 3, 3),  # build, part, offset
    "chunk": (True, 1, SEQ_MAX, 4, 4),  # build, part, offset, data (base64)
    "report": (True, 1, SEQ_MAX, 4, 4),  # running build, build spoken of, state, detail
}
REPORTS = ("loading", "ready", "trial", "confirmed", "refused", "rolled_back")


class Message:
    """One protocol message. `boot` is 8 lowercase hex digits or '-'; `seq` an int;
    `fields` the kind-specific fields as unescaped text (a tuple of str)."""

    def __init__(self, kind, device, boot, seq, fields=()):
        self.kind = kind
        self.device = device
        self.boot = boot
        self.seq = seq
        self.fields = tuple(fields)

    def _key(self):
        return (self.kind, self.device, self.boot, self.seq, self.fields)

    def __eq__(self, other):
        return isinstance(other, Message) and self._key() == other._key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "Message(%r, %r, %r, %r, %r)" % self._key()


def _is_hex(s, n):
    """s is exactly n lowercase hex digits."""
    if len(s) != n:
        return False
    for c in s:
        if not ("0" <= c <= "9" or "a" <= c <= "f"):
            return False
    return True


def _device_ok(s):
    if not isinstance(s, str) or not 1 <= len(s) <= _DEVICE_MAX:
        return False
    for c in s:
        if not ("a" <= c <= "z" or "0" <= c <= "9" or c == "-"):
            return False
    return True


def _uint(s):
    """Value of a decimal 0 .. 2**31-1 without sign or leading zero, else -1."""
    n = len(s)
    if n == 0 or n > 10 or (n > 1 and s[0] == "0"):
        return -1
    for c in s:
        if not "0" <= c <= "9":
            return -1
    v = int(s)
    return v if v <= SEQ_MAX else -1


def _field_ok(kind, i, f):
    """Is f (unescaped, non-empty) allowed as field i of kind?"""
    if kind == "hello":
        return f in ROLES if i == 0 else (i == 1 or _uint(f) >= 0)  # role, firmware, shown
    if kind == "press":
        return f in BUTTONS
    if kind == "vote":
        return f in SCORES
    if kind == "status":  # uptime, heap, rssi, errors, shown, alloc, largest
        if i == 2:  # '-' on serial, else a negative integer (dBm)
            return f == "-" or (f[0] == "-" and _uint(f[1:]) > 0)
        return _uint(f) >= 0 or (i == 6 and f == "-")  # largest: '-' off an ESP32
    if kind == "ack":
        return f in RESULTS if i == 0 else True  # result, text
    if kind == "show":
        if i == 0:
            return f in _BEEPS
        return _uint(f) >= 0 if i == 1 else True  # blink seconds, then the lines
    if kind == "config":
        return f.find("=") > 0  # key=value with a key
    if kind == "update":
        return _uint(f) > 0 if i == 0 else _is_hex(f, 64)
    if kind == "chunk" and i == 3:
        return len(f) <= CHUNK_B64  # base64 of at most CHUNK_BYTES; the device decodes it
    if kind == "report" and i >= 2:
        return f in REPORTS if i == 2 else True  # state, then a detail code or '-'
    if kind in ("fetch", "chunk", "report"):
        return _uint(f) >= 0  # builds, part, offset
    return False


def _check_header(kind, device):
    if not isinstance(kind, str) or kind not in _RULES:
        raise ProtocolError("bad_kind", "unknown kind")
    if not _device_ok(device):
        raise ProtocolError("bad_device", "device id is 1-24 of a-z 0-9 -")
    return _RULES[kind]


def _check_boot_seq(rules, boot, seq_ok):
    has_boot = rules[0]
    if not (_is_hex(boot, 8) if has_boot else boot == _NO_BOOT):
        raise ProtocolError("bad_boot", "8 lowercase hex digits" if has_boot else "'-' expected")
    if not seq_ok:
        raise ProtocolError("bad_seq", "out of range for this kind")


def _check_arity(kind, rules, fields):
    if not rules[3] <= len(fields) <= rules[4]:
        raise ProtocolError("bad_arity", "wrong number of fields for " + kind)


def _check_values(kind, fields):
    for i in range(len(fields)):
        f = fields[i]
        if not f or not _field_ok(kind, i, f):
            raise ProtocolError("bad_field", "field %d of %s" % (i + 1, kind))


def validate(msg):
    """Raise ProtocolError unless msg follows every rule of §1-2."""
    rules = _check_header(msg.kind, msg.device)
    seq = msg.seq
    seq_ok = (isinstance(seq, int) and not isinstance(seq, bool)
              and rules[1] <= seq <= rules[2])
    _check_boot_seq(rules, msg.boot if isinstance(msg.boot, str) else "", seq_ok)
    _check_arity(msg.kind, rules, msg.fields)
    for f in msg.fields:
        if not isinstance(f, str):
            raise ProtocolError("bad_field", "fields are text")
    _check_values(msg.kind, msg.fields)


def _check_key(key):
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_LEN:
        raise ValueError("a device key is 32 bytes")


def encode(msg, key):
    """The line for msg, signed with key (32 bytes), without line ending. ProtocolError if msg
    breaks a rule, 'too_long' if its line would exceed 240 bytes."""
    _check_key(key)
    validate(msg)
    parts = [MAGIC, msg.kind, msg.device, msg.boot, str(msg.seq)]
    for f in msg.fields:
        parts.append(escape(f))
    parts.append("")
    body = "|".join(parts).encode("utf-8")  # ASCII by now
    if len(body) + TAG_LEN > MAX_LINE:
        raise ProtocolError("too_long", "line would be %d bytes" % (len(body) + TAG_LEN))
    return body + tag(key, body).encode("utf-8")


def _check_chars(line):
    """Every byte of the line (bytes) printable ASCII, else ProtocolError('bad_char')."""
    for b in line:
        if b < 0x20 or b > 0x7E:
            raise ProtocolError("bad_char", "byte 0x%02x" % b)


def _split(line):
    """Checks up to the device id. -> (line as bytes, parts, rules)."""
    if isinstance(line, str):
        line = line.encode("utf-8")
    else:
        line = bytes(line)
    if len(line) > MAX_LINE:
        raise ProtocolError("too_long", "line of %d bytes" % len(line))
    _check_chars(line)
    parts = str(line, "ascii").split("|")
    if parts[0] != MAGIC:
        raise ProtocolError("bad_magic", "not SV1")
    if len(parts) < 6:
        raise ProtocolError("bad_arity", "too few fields")
    return line, parts, _check_header(parts[1], parts[2])


def peek(line):
    """(kind, device) of a line, before its MAC is checked: to look up the sender's key."""
    parts = _split(line)[1]
    return parts[1], parts[2]


def decode(line, key):
    """line (bytes or str, without line ending) -> Message. ProtocolError if it breaks a rule."""
    _check_key(key)
    line, parts, rules = _split(line)
    mac = parts[-1]
    if not _is_hex(mac, TAG_LEN):
        raise ProtocolError("bad_mac", "not 16 lowercase hex digits")
    if not equal(tag(key, line[:len(line) - TAG_LEN]), mac):
        raise ProtocolError("bad_mac", "mismatch")
    kind = parts[1]
    seq = _uint(parts[4])
    _check_boot_seq(rules, parts[3], seq >= 0 and rules[1] <= seq <= rules[2])
    raw = parts[5:-1]
    _check_arity(kind, rules, raw)
    fields = tuple([unescape(f) for f in raw])
    _check_values(kind, fields)
    return Message(kind, parts[2], parts[3], seq, fields)
