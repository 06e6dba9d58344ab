"""The device protocol codec (firmware/suivant_fw) against docs/protocol.md.

Three kinds of evidence: the frozen vectors (the same file MicroPython checks), the vectors
recomputed by an independent implementation (CPython's hmac, zlib and urllib), and hypothesis
properties over every kind of message and over noisy serial streams.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import check_vectors
from suivant_fw import ProtocolError
from suivant_fw.escape import escape, escaped_len, unescape
from suivant_fw.frame import FRAME_MAX, FrameReader, encode_frame
from suivant_fw import escape as escape_module
from suivant_fw import mac
from suivant_fw.mac import equal, hmac_sha256, tag
from suivant_fw.message import Message, decode, encode, peek

HERE = Path(__file__).resolve().parent
VECTORS_FILE = HERE / "vectors" / "protocol.json"
VECTORS = check_vectors.load(str(VECTORS_FILE))
KEY = bytes(range(32))
SEQ_MAX = 2**31 - 1

# The vocabulary, copied from docs/protocol.md §2 (not from the codec: the test must not agree
# with the code by construction).
KINDS = ("hello", "press", "vote", "status", "ack", "show", "config", "poll",
         "update", "fetch", "chunk", "report")
REPORTS = ("loading", "ready", "trial", "confirmed", "refused", "rolled_back")
ROLES = ("counter", "display", "hall", "feedback")
BUTTONS = ("next", "recall", "absent", "finish", "transfer", "pause", "close")
ERRORS = ("too_long", "bad_char", "bad_magic", "bad_arity", "bad_kind", "bad_device", "bad_mac",
          "bad_boot", "bad_seq", "bad_escape", "bad_field")
AFTER_MAC = ("bad_boot", "bad_seq", "bad_arity", "bad_escape", "bad_field")

# --- an independent implementation of §1, §3, §4 and §6 --------------------------------------
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "%|")


def independent_escape(text: str) -> str:
    return quote(text, safe=_SAFE, encoding="utf-8", errors="strict")  # uppercase hex, UTF-8


def independent_sign(body: bytes, key: bytes) -> bytes:
    return body + hmac.new(key, body, hashlib.sha256).hexdigest()[:16].encode()


def independent_line(msg: Message, key: bytes) -> bytes:
    parts = ["SV1", msg.kind, msg.device, msg.boot, str(msg.seq)]
    parts += [independent_escape(f) for f in msg.fields]
    return independent_sign(("|".join(parts) + "|").encode(), key)


def independent_frame(addr: int, line: bytes) -> bytes:
    covered = b"%02x " % addr + line
    return b"#" + covered + b" %08x\r\n" % zlib.crc32(covered)


# --- the frozen vectors ---------------------------------------------------------------------
ALL_CASES = list(check_vectors.cases(VECTORS))


@pytest.mark.parametrize(("section", "case"), ALL_CASES,
                         ids=[s + "/" + c["name"] for s, c in ALL_CASES])
def test_codec_matches_the_frozen_vector(section, case):
    check_vectors.check(section, case)


def test_vectors_cover_every_kind_every_error_and_the_limits():
    messages = VECTORS["messages"]
    assert len(ALL_CASES) >= 25
    assert {m["kind"] for m in messages} == set(KINDS)
    assert {c["error"] for c in VECTORS["invalid"]} == set(ERRORS)
    seqs = {m["seq"] for m in messages}
    assert {0, SEQ_MAX} <= seqs
    assert max(m["length"] for m in messages) == 240
    assert any(c["error"] == "too_long" and len(c["line"]) == 241 for c in VECTORS["invalid"])
    escaped = " ".join(f for m in messages for f in m["fields"])
    assert all(ch in escaped for ch in " É%|")
    assert {r["name"] for r in VECTORS["streams"]} >= {"noise_crc_overflow_two_good"}


@pytest.mark.parametrize("case", VECTORS["messages"], ids=lambda c: c["name"])
def test_vector_lines_agree_with_stdlib_hmac_and_urllib(case):
    msg = Message(case["kind"], case["device"], case["boot"], case["seq"], case["fields"])
    assert independent_line(msg, bytes.fromhex(case["key"])) == case["line"].encode()


@pytest.mark.parametrize("case", VECTORS["frames"], ids=lambda c: c["name"])
def test_vector_frames_agree_with_zlib_crc32(case):
    assert independent_frame(case["addr"], case["line"].encode()) == case["frame"].encode()


@pytest.mark.parametrize("case", [c for c in VECTORS["invalid"]
                                  if c["error"] in AFTER_MAC and "line" in c
                                  and c["line"].count("|") >= 5],
                         ids=lambda c: c["name"])
def test_invalid_vectors_after_the_mac_check_carry_a_valid_mac(case):
    """So each is refused for the rule it names, not for its MAC."""
    line = case["line"].encode()
    assert independent_sign(line[:-16], bytes.fromhex(case["key"])) == line


def test_check_vectors_script_passes_under_cpython():
    run = subprocess.run([sys.executable, str(HERE / "check_vectors.py")],
                         capture_output=True, text=True, timeout=60, cwd="/")
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert summary == f"protocol vectors: {len(ALL_CASES)} passed, 0 failed"


def test_check_vectors_script_fails_on_a_wrong_vector(tmp_path):
    broken = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    broken["messages"][0]["line"] = broken["messages"][0]["line"][:-1] + "0"
    broken["invalid"][0]["error"] = "bad_kind"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, str(HERE / "check_vectors.py"), str(path)],
                         capture_output=True, text=True, timeout=60, cwd="/")
    assert run.returncode == 1
    assert "FAIL messages/hello_counter_after_boot" in run.stdout
    assert "FAIL invalid/bad_mac_last_digit" in run.stdout
    assert f"{len(ALL_CASES) - 2} passed, 2 failed" in run.stdout


# --- strategies: valid messages of every kind -------------------------------------------------
devices = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=24)
boots = st.text("0123456789abcdef", min_size=8, max_size=8)
counts = st.integers(0, SEQ_MAX).map(str)
seq_from_1 = st.integers(1, SEQ_MAX)
versions = st.integers(0, SEQ_MAX)
texts = st.text(min_size=1, max_size=40)  # any unicode but lone surrogates
keys = st.binary(min_size=32, max_size=32)
setting_keys = st.text(min_size=1, max_size=12).filter(lambda k: "=" not in k)
settings_ = st.builds("{}={}".format, setting_keys, st.text(max_size=20))

FIELDS = {
    "hello": st.tuples(st.sampled_from(ROLES), texts, counts),
    "press": st.tuples(st.sampled_from(BUTTONS)),
    "vote": st.tuples(st.sampled_from("1234")),
    # the first five, then alloc and largest (both optional: older firmware sends five)
    "status": st.builds(lambda first, rest: (*first, *rest),
                        st.tuples(counts, counts,
                                  st.just("-") | st.integers(-SEQ_MAX, -1).map(str),
                                  counts, counts),
                        st.just(()) | st.tuples(counts)
                        | st.tuples(counts, st.just("-") | counts)),
    "ack": st.tuples(st.sampled_from(("ok", "refused", "error")), texts),
    "show": st.builds(lambda beep, blink, lines: (beep, blink, *lines),
                      st.sampled_from("01"), counts, st.lists(texts, min_size=1, max_size=8)),
    "config": st.lists(settings_, min_size=1, max_size=8).map(tuple),
    "poll": st.just(()),
    "update": st.tuples(st.integers(1, SEQ_MAX).map(str),
                        st.text("0123456789abcdef", min_size=64, max_size=64)),
    "fetch": st.tuples(counts, counts, counts),
    "chunk": st.tuples(counts, counts, counts,
                       st.binary(min_size=1, max_size=96).map(
                           lambda b: base64.b64encode(b).decode())),
    "report": st.tuples(counts, counts, st.sampled_from(REPORTS), texts),
}


def message_of(kind: str) -> st.SearchStrategy[Message]:
    if kind in ("hello", "press", "vote", "status", "ack", "fetch", "chunk", "report"):
        return st.builds(Message, st.just(kind), devices, boots, seq_from_1, FIELDS[kind])
    seq = st.just(0) if kind == "poll" else seq_from_1 if kind == "update" else versions
    return st.builds(Message, st.just(kind), devices, st.just("-"), seq, FIELDS[kind])


messages = st.sampled_from(KINDS).flatmap(message_of)
short_messages = messages.filter(lambda m: len(independent_line(m, KEY)) <= 240)


# --- properties: messages ---------------------------------------------------------------------
@settings(max_examples=400)
@given(msg=messages, key=keys)
def test_decode_inverts_encode_for_every_kind(msg, key):
    expected = independent_line(msg, key)
    if len(expected) > 240:
        with pytest.raises(ProtocolError) as refused:
            encode(msg, key)
        assert refused.value.code == "too_long"
        return
    line = encode(msg, key)
    assert line == expected
    assert decode(line, key) == msg
    assert decode(line.decode(), key) == msg  # a str line too
    assert peek(line) == (msg.kind, msg.device)


@given(data=st.binary(max_size=300))
def test_random_bytes_are_refused_with_a_protocol_error(data):
    with pytest.raises(ProtocolError):
        decode(data, KEY)


# Signed lines of plausible-looking parts: they pass the MAC check, so the content rules run.
_tokens = st.one_of(
    st.sampled_from(KINDS + ROLES + BUTTONS + ("ok", "refused", "error", "-", "0", "1", "5", "01",
                                               "-67", "-0", "2147483648", "", "a=b", "=", "%",
                                               "%C3%89", "%ff", "%G1", "%ED%A0%80", "term-03",
                                               "0a1b2c3d", "SV1")),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="|"),
            max_size=12),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(magic=st.sampled_from(["SV1", "SV1", "SV2", "sv1"]), parts=st.lists(_tokens, max_size=14))
def test_signed_random_lines_are_refused_or_round_trip(magic, parts):
    body = "|".join([magic, *parts]).encode() + b"|"
    assume(len(body) + 16 <= 240)
    line = independent_sign(body, KEY)
    try:
        msg = decode(line, KEY)
    except ProtocolError:
        return
    assert decode(encode(msg, KEY), KEY) == msg  # what decode takes, encode can write


@given(msg=short_messages, data=st.data())
def test_a_truncated_line_is_refused(msg, data):
    line = encode(msg, KEY)
    cut = data.draw(st.integers(0, len(line) - 1))
    with pytest.raises(ProtocolError):
        decode(line[:cut], KEY)


@given(msg=short_messages, data=st.data())
def test_a_changed_byte_anywhere_is_refused(msg, data):
    line = encode(msg, KEY)
    where = data.draw(st.integers(0, len(line) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != line[where]))
    with pytest.raises(ProtocolError):
        decode(line[:where] + bytes([byte]) + line[where + 1:], KEY)


@given(msg=short_messages, data=st.data())
def test_an_inserted_or_deleted_byte_is_refused(msg, data):
    line = encode(msg, KEY)
    where = data.draw(st.integers(0, len(line) - 1))
    if data.draw(st.booleans()):
        changed = line[:where] + line[where + 1:]
    else:
        changed = line[:where] + bytes([data.draw(st.integers(0, 255))]) + line[where:]
    with pytest.raises(ProtocolError):
        decode(changed, KEY)


@given(msg=short_messages, other=keys)
def test_another_devices_key_is_refused_as_bad_mac(msg, other):
    assume(other != KEY)
    with pytest.raises(ProtocolError) as refused:
        decode(encode(msg, KEY), other)
    assert refused.value.code == "bad_mac"


def test_a_key_that_is_not_32_bytes_is_a_programmer_error():
    line = encode(Message("poll", "term-03", "-", 0), KEY)
    for wrong in (KEY[:31], KEY + b"\0", KEY.hex()):
        with pytest.raises(ValueError) as raised:
            decode(line, wrong)
        assert not isinstance(raised.value, ProtocolError)


def test_messages_compare_by_value():
    a = Message("press", "term-03", "0a1b2c3d", 2, ["next"])
    assert a == Message("press", "term-03", "0a1b2c3d", 2, ("next",))
    assert a != Message("press", "term-03", "0a1b2c3d", 3, ("next",))
    assert hash(a) == hash(Message("press", "term-03", "0a1b2c3d", 2, ("next",)))
    assert repr(a) == "Message('press', 'term-03', '0a1b2c3d', 2, ('next',))"


# --- properties: escaping and MAC -------------------------------------------------------------
@pytest.mark.parametrize("which", ["board", "cpython"])
@given(text=st.text())
def test_escape_matches_urllib_and_unescape_inverts_it(which, text):
    with implementation(which):
        escaped = escape(text)
    assert escaped == independent_escape(text)
    assert escaped_len(text) == len(escaped)
    assert unescape(escaped) == text


@pytest.mark.parametrize("which", ["board", "cpython"])
@pytest.mark.parametrize("field", ["A\ud800", b"A123", 5, None])
def test_escape_refuses_what_is_not_utf8_text_the_same_way(which, field):
    with implementation(which), pytest.raises(ProtocolError) as refused:
        escape(field)
    assert refused.value.code == "bad_field"


@given(st.binary(max_size=40))
def test_unescape_refuses_exactly_what_cpython_cannot_decode_as_utf8(raw):
    """The codec checks UTF-8 itself (MicroPython's decoder accepts surrogates): same verdict."""
    escaped = "".join("%%%02X" % b for b in raw)
    try:
        expected = raw.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(ProtocolError) as refused:
            unescape(escaped)
        assert refused.value.code == "bad_escape"
    else:
        assert unescape(escaped) == expected


@contextmanager
def implementation(which):
    """The bridge puts faster steps in the shared codec (host_bridge/codec_fast.py); "board"
    runs the code MicroPython runs."""
    from host_bridge import codec_fast
    codec_fast.install()
    saved = {key: getattr(*key) for key in codec_fast.BOARD}
    for (module, name), board in codec_fast.BOARD.items():
        if which == "board":
            setattr(module, name, board)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


@pytest.mark.parametrize("which", ["board", "cpython"])
@given(key=st.binary(max_size=200), data=st.binary(max_size=300))
def test_hmac_matches_the_stdlib_for_any_key_length(which, key, data):
    with implementation(which):
        assert hmac_sha256(key, data) == hmac.new(key, data, hashlib.sha256).digest()
        assert tag(key, data) == hmac.new(key, data, hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("which", ["board", "cpython"])
def test_rfc_4231_test_case_2(which):
    with implementation(which):
        digest = hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert digest.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


@pytest.mark.parametrize("which", ["board", "cpython"])
@given(a=st.text("0123456789abcdef", min_size=16, max_size=16),
       b=st.text("0123456789abcdef", min_size=16, max_size=16))
def test_tag_comparison_is_plain_equality(which, a, b):
    with implementation(which):
        assert equal(a, b) == (a == b)
        assert equal(a.encode(), b) == (a == b)
        assert not equal(a, a[:15])


# --- properties: serial frames ----------------------------------------------------------------
lines = st.binary(min_size=1, max_size=240).map(lambda b: bytes(0x20 + x % 95 for x in b))
frames = st.tuples(st.integers(0, 0xFE), lines, st.booleans())  # addr, line, bare \n?
noise = st.binary(max_size=40).map(lambda b: b.replace(b"#", b""))


def frame_bytes(addr: int, line: bytes, bare_lf: bool) -> bytes:
    data = independent_frame(addr, line)
    return data[:-2] + b"\n" if bare_lf else data


def feed_in_chunks(reader: FrameReader, stream: bytes, cuts: list[int]) -> list:
    got, start = [], 0
    for cut in sorted(set(cuts)) + [len(stream)]:
        got += reader.feed(stream[start:cut])
        assert len(reader._buf) == FRAME_MAX and 0 <= reader._n <= FRAME_MAX
        start = cut
    return got


@given(addr=st.integers(0, 0xFE), line=lines)
def test_encode_frame_matches_zlib(addr, line):
    assert encode_frame(addr, line) == independent_frame(addr, line)


@settings(max_examples=200)
@given(parts=st.lists(st.tuples(noise, frames), max_size=8), tail=noise, data=st.data())
def test_reader_returns_exactly_the_frames_between_noise_in_any_chunking(parts, tail, data):
    stream = b"".join(n + frame_bytes(*f) for n, f in parts) + tail
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    reader = FrameReader()
    got = feed_in_chunks(reader, stream, cuts)
    assert got == [(addr, line) for _, (addr, line, _) in parts]
    assert reader.frames == len(parts)
    assert (reader.crc_errors, reader.bad_frames, reader.overflows) == (0, 0, 0)
    assert reader.noise_bytes == sum(len(n) for n, _ in parts) + len(tail)


@settings(max_examples=200)
@given(parts=st.lists(frames, min_size=1, max_size=5), data=st.data())
def test_reader_drops_a_frame_with_a_changed_byte_and_keeps_the_others(parts, data):
    encoded = [frame_bytes(*f) for f in parts]
    k = data.draw(st.integers(0, len(parts) - 1))
    where = data.draw(st.integers(0, len(encoded[k]) - 2))  # not its final \n
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != encoded[k][where]))
    encoded[k] = encoded[k][:where] + bytes([byte]) + encoded[k][where + 1:]
    stream = b"".join(encoded)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    got = feed_in_chunks(FrameReader(), stream, cuts)
    assert got == [(a, line) for i, (a, line, _) in enumerate(parts) if i != k]


@given(stream=st.lists(st.binary(max_size=30) | st.sampled_from([b"#", b"\n", b"\r\n", b"#00 ",
                                                                   b" 00000000", b"A" * 90]),
                       max_size=30).map(b"".join),
       data=st.data())
def test_reader_never_raises_and_stays_bounded_on_garbage(stream, data):
    reader = FrameReader()
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    got = feed_in_chunks(reader, stream, cuts)
    assert len(got) == reader.frames
    for addr, line in got:
        assert 0 <= addr <= 0xFE and all(0x20 <= b <= 0x7E for b in line)
    failures = reader.frames + reader.crc_errors + reader.bad_frames + reader.overflows
    assert failures <= stream.count(b"#")


def test_an_overlong_frame_is_dropped_whole_and_reading_resumes_at_the_next_hash():
    good = independent_frame(3, b"SV1|poll|term-03|-|0|0123456789abcdef")
    reader = FrameReader()
    # 301 bytes between '#' and '\n': one more than the reader keeps
    assert reader.feed(b"#" + b"x" * 301 + b"\n" + good) == [(3, good[4:-11])]
    assert (reader.overflows, reader.noise_bytes, reader.frames) == (1, 0, 1)
    # 300 bytes fit: not an overflow, only a malformed frame
    assert reader.feed(b"#" + b"x" * 300 + b"\n") == []
    assert (reader.overflows, reader.bad_frames) == (1, 1)


def test_encode_frame_refuses_what_no_frame_may_carry():
    with pytest.raises(ValueError):
        encode_frame(0xFF, b"SV1")
    for line, code in ((b"", "bad_frame"), (b"a\r\nb", "bad_char"), (b"x" * 241, "too_long")):
        with pytest.raises(ProtocolError) as refused:
            encode_frame(1, line)
        assert refused.value.code == code


def test_the_bridge_gives_the_codec_its_fast_steps():
    """Issue 12: the bridge checks and signs every line; the board's Python HMAC, escaping and
    character checks cost it several µs a line. Importing host_bridge puts its own in."""
    import host_bridge  # noqa: F401
    from host_bridge import codec_fast
    from suivant_fw import message
    assert (mac._digest, mac._compare, escape_module._fast) == (
        codec_fast.hmac_digest, hmac.compare_digest, codec_fast.escape)
    assert (message._check_chars, message._is_hex, message._device_ok) == (
        codec_fast.check_chars, codec_fast.is_hex, codec_fast.device_ok)
    assert codec_fast.BOARD[(escape_module, "_fast")] is None  # the board's own hook


texts = st.one_of(st.text(max_size=30), st.text("0123456789abcdefABCDEF-z\n", max_size=70))


@given(s=texts, n=st.sampled_from([0, 8, 16, 64]))
def test_the_bridges_character_checks_answer_as_the_boards(s, n):
    from host_bridge import codec_fast
    from suivant_fw import message
    board = {name: codec_fast.BOARD[(message, name)] for name in ("_is_hex", "_device_ok")}
    assert codec_fast.is_hex(s, n) == board["_is_hex"](s, n)
    assert codec_fast.is_hex(s, len(s)) == board["_is_hex"](s, len(s))
    assert codec_fast.device_ok(s) == board["_device_ok"](s)
    assert codec_fast.device_ok(s.encode()) is False and board["_device_ok"](s.encode()) is False


@given(line=st.lists(st.one_of(st.integers(0x20, 0x7E), st.sampled_from([0, 0x1F, 0x7F, 0x80, 0xFF])),
                     max_size=60).map(bytes))  # mostly printable: the edges decide
def test_the_bridges_byte_check_refuses_as_the_boards(line):
    from host_bridge import codec_fast
    from suivant_fw import message
    outcomes = []
    for check in (codec_fast.check_chars, codec_fast.BOARD[(message, "_check_chars")]):
        try:
            check(line)
            outcomes.append(None)
        except ProtocolError as e:
            outcomes.append((e.code, str(e)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("which", ["board", "cpython"])
@given(data=st.data())
def test_a_damaged_line_gets_the_same_verdict_from_both(which, data):
    """A valid line with bytes changed, cut or added: decode's answer (message or error code)
    is the board's, whichever implementation runs."""
    key = b"k" * 32
    line = bytearray(encode(Message("press", "term-03", "0a1b2c3d", 2, ["next"]), key))
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(line) - 1))
        line[at] = data.draw(st.integers(0, 255))
    line = bytes(line[:data.draw(st.integers(0, len(line)))])

    def verdict():
        try:
            return decode(line, key)
        except ProtocolError as e:
            return e.code
    with implementation(which):
        got = verdict()
    with implementation("board"):
        assert got == verdict()


@given(keys=st.lists(st.binary(max_size=100), min_size=1, max_size=6),
       data=st.binary(max_size=300), mutable=st.booleans())
def test_the_bridges_kept_key_pads_give_the_stdlibs_hmac(keys, data, mutable):
    """Keys seen before (their pads kept), keys longer than a block, a bytearray key (not
    kept), and the kept pads dropped when there are too many: always hmac.digest's answer."""
    from host_bridge import codec_fast
    for key in keys + keys:
        asked = bytearray(key) if mutable else key
        assert codec_fast.hmac_digest(asked, data) == hmac.digest(key, data, "sha256")
    codec_fast._pads.clear()
    codec_fast._pads.update({b"k%d" % i: codec_fast._padded(b"x")
                             for i in range(codec_fast._MAX_KEYS)})  # full, without the next
    new = keys[0] + b"new"
    assert codec_fast.hmac_digest(new, data) == hmac.digest(new, data, "sha256")
    assert len(codec_fast._pads) <= codec_fast._MAX_KEYS
