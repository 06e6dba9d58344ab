"""Checks the protocol codec against the frozen vectors; runs on CPython and on MicroPython.

    python3 tests/firmware/check_vectors.py [path/to/protocol.json]
    micropython tests/firmware/check_vectors.py [path/to/protocol.json]

Without an argument (MicroPython's sys.argv may be empty) it reads the global VECTORS_PATH when a
harness defined it before exec, else vectors/protocol.json next to this script. suivant_fw is
imported from sys.path, with FIRMWARE_PATH (a global, like VECTORS_PATH) or ../../firmware
added at its end. Prints `protocol vectors: N passed, M failed`; exits 1 on any failure.
"""
import binascii
import json
import sys


def _dirname(path):
    i = path.rfind("/")
    return "." if i < 0 else (path[:i] or "/")


try:
    _HERE = _dirname(__file__)
except NameError:  # exec'd without a file name
    _HERE = "."

try:
    VECTORS_PATH  # set by a harness before exec?
except NameError:
    VECTORS_PATH = _HERE + "/vectors/protocol.json"

try:
    FIRMWARE_PATH
except NameError:
    FIRMWARE_PATH = _HERE + "/../../firmware"

if FIRMWARE_PATH not in sys.path:
    sys.path.append(FIRMWARE_PATH)

from suivant_fw import ProtocolError
from suivant_fw.frame import FRAME_MAX, FrameReader, encode_frame
from suivant_fw.message import Message, decode, encode, peek

SECTIONS = ("messages", "noncanonical", "invalid", "encode_errors", "frames", "streams")


class Failed(Exception):
    pass


def _expect(ok, what):
    if not ok:
        raise Failed(what)


def _bytes(case, name):
    """case[name] (ASCII text) or case[name + '_hex'] as bytes."""
    if name + "_hex" in case:
        return binascii.unhexlify(case[name + "_hex"])
    return case[name].encode("utf-8")


def _key(case):
    return binascii.unhexlify(case["key"])


def _message(case):
    return Message(case["kind"], case["device"], case["boot"], case["seq"], case["fields"])


def _raises(code, fn, *args):
    try:
        got = fn(*args)
    except ProtocolError as e:
        _expect(e.code == code, "expected ProtocolError %r, got %r (%s)" % (code, e.code, e))
        return
    raise Failed("expected ProtocolError %r, got %r" % (code, got))


def check_message(case):
    key, msg, line = _key(case), _message(case), _bytes(case, "line")
    got = encode(msg, key)
    _expect(got == line, "encode gave %r" % got)
    _expect(len(line) == case["length"], "vector length %d, line %d" % (case["length"], len(line)))
    back = decode(line, key)
    _expect(back == msg, "decode gave %r" % back)
    _expect(peek(line) == (msg.kind, msg.device), "peek gave %r" % (peek(line),))


def check_noncanonical(case):
    key, msg, line = _key(case), _message(case), _bytes(case, "line")
    back = decode(line, key)
    _expect(back == msg, "decode gave %r" % back)
    _expect(encode(msg, key) != line, "encode wrote the noncanonical form")


def check_invalid(case):
    _raises(case["error"], decode, _bytes(case, "line"), _key(case))


def check_encode_error(case):
    _raises(case["error"], encode, _message(case), _key(case))


def check_frame(case):
    got = encode_frame(case["addr"], _bytes(case, "line"))
    _expect(got == _bytes(case, "frame"), "encode_frame gave %r" % got)
    results = FrameReader().feed(got)
    _expect(results == [(case["addr"], _bytes(case, "line"))], "FrameReader gave %r" % results)


def _chunks(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def check_stream(case):
    data = _bytes(case, "stream")
    want = [(r[0], r[1].encode("utf-8")) for r in case["results"]]
    for size in (len(data), 1, 2, 7, 64):  # the chunking must not matter
        reader = FrameReader()
        got = []
        for chunk in _chunks(data, size):
            got.extend(reader.feed(chunk))
        where = " (chunks of %d)" % size
        _expect(got == want, "results %r%s" % (got, where))
        for name in case["counters"]:
            _expect(getattr(reader, name) == case["counters"][name],
                    "%s = %d, expected %d%s" % (name, getattr(reader, name),
                                                case["counters"][name], where))
        _expect(len(reader._buf) == FRAME_MAX, "the reader's buffer grew")


CHECKS = {
    "messages": check_message,
    "noncanonical": check_noncanonical,
    "invalid": check_invalid,
    "encode_errors": check_encode_error,
    "frames": check_frame,
    "streams": check_stream,
}


def load(path):
    with open(path) as f:
        return json.load(f)


def cases(vectors):
    """(section, case) for every vector, in file order."""
    for section in SECTIONS:
        for case in vectors[section]:
            yield section, case


def check(section, case):
    """Raise Failed (or whatever the codec raised) unless the vector holds."""
    CHECKS[section](case)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    passed = failed = 0
    for section, case in cases(vectors):
        try:
            check(section, case)
            passed += 1
        except Exception as e:  # report every vector, not only the first failure
            failed += 1
            print("FAIL %s/%s: %s: %s" % (section, case["name"], type(e).__name__, e))
    return passed, failed


def main(path=None):
    argv = getattr(sys, "argv", None) or []
    if path is None:
        path = argv[1] if len(argv) > 1 else VECTORS_PATH
    passed, failed = run(load(path))
    print("protocol vectors: %d passed, %d failed" % (passed, failed))
    if failed or not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
