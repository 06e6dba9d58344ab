"""Checks the protocol codec against the frozen vectors; runs on CPython and on MicroPython.

    python3 tests/firmware/check_vectors.py [path/to/protocol.json]
    micropython tests/firmware/check_vectors.py [path/to/protocol.json]

Without an argument (MicroPython's sys.argv may be empty) it reads the global VECTORS_PATH when a
harness defined it before exec, else vectors/protocol.json next to this script. suivant_fw is
imported from sys.path, with FIRMWARE_PATH (a global, like VECTORS_PATH) or ../../firmware
added at its end. Prints `protocol vectors: N passed, M failed`; exits 1 on any failure.
That plumbing is vector_check.py's, imported from this folder (on sys.path under MicroPython
too).
"""
import binascii

import vector_check
from vector_check import Failed, load
from vector_check import expect as _expect

VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/protocol.json")

from suivant_fw import ProtocolError
from suivant_fw.frame import FRAME_MAX, FrameReader, encode_frame
from suivant_fw.message import Message, decode, encode, peek

SECTIONS = ("messages", "noncanonical", "invalid", "encode_errors", "frames", "streams")


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


def cases(vectors):
    """(section, case) for every vector, in file order."""
    return vector_check.cases(vectors, SECTIONS)


def check(section, case):
    """Raise Failed (or whatever the codec raised) unless the vector holds."""
    CHECKS[section](case)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    return vector_check.run(cases(vectors), check)


def main(path=None):
    vector_check.main("protocol", run, load, path, VECTORS_PATH)


if __name__ == "__main__":
    main()
