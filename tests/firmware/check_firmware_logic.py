"""Checks the buttons and 7-segment logic against the frozen vectors; runs on CPython and on
MicroPython.

    python3 tests/firmware/check_firmware_logic.py [path/to/vectors/]
    micropython tests/firmware/check_firmware_logic.py [path/to/vectors/]

The vectors folder holds buttons.json and segments.json. Without an argument (MicroPython's
sys.argv may be empty) it is the global VECTORS_DIR when a harness defined it before exec, else
vectors/ next to this script. suivant_fw is imported from sys.path, with FIRMWARE_PATH (a
global, like VECTORS_DIR) or ../../firmware added at its end. Prints
`firmware logic vectors: N passed, M failed`; exits 1 on any failure. That plumbing is
vector_check.py's, as for check_vectors.py.
"""
import binascii

import vector_check
from vector_check import Failed
from vector_check import expect as _expect

VECTORS_DIR = vector_check.setup(globals(), "VECTORS_DIR", "vectors")

from suivant_fw import buttons, segments

_SEGMENT_BITS = {"a": 0x01, "b": 0x02, "c": 0x04, "d": 0x08, "e": 0x10, "f": 0x20, "g": 0x40,
                 "dp": 0x80}


def _hex(data):
    return binascii.hexlify(bytes(data)).decode()


def _raises(error, fn, *args, **kwargs):
    try:
        got = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the vector names the type
        _expect(type(e).__name__ == error, "expected %s, got %s: %s" % (error, type(e).__name__, e))
        return
    raise Failed("expected %s, got %r" % (error, got))


# ---- buttons ---------------------------------------------------------------------------------

def _samples(case):
    """[(t_ms, levels str)] of a case: its 'samples', or its 'runs' sampled every step_ms."""
    if "samples" in case:
        return [(s[0], s[1]) for s in case["samples"]]
    step, t, out = case["step_ms"], case.get("start_ms", 0), []
    for levels, duration in case["runs"]:
        _expect(duration % step == 0, "run of %d ms is not a multiple of step_ms" % duration)
        for _ in range(duration // step):
            out.append((t, levels))
            t += step
    return out


def _make_buttons(case):
    kwargs = {}
    for name in ("long_press", "debounce_ms", "long_ms"):
        if name in case:
            kwargs[name] = tuple(case[name]) if name == "long_press" else case[name]
    return buttons.Buttons(case["count"], **kwargs)


def check_button_case(case):
    samples = _samples(case)
    count = len(samples[0][1])
    b = _make_buttons(dict(case, count=count))
    levels = bytearray(count)  # one buffer refilled in place, as the HAL does
    got = []
    for t, text in samples:
        _expect(len(text) == count, "levels %r at %d" % (text, t))
        for i in range(count):
            levels[i] = 1 if text[i] == "1" else 0
        n = b.update(t, levels)
        _expect(len(b.events) == count, "events grew to %d" % len(b.events))
        here = [[t, i, buttons.EVENT_NAMES[b.events[i]]] for i in range(count) if b.events[i]]
        _expect(n == len(here), "update returned %d for %r" % (n, here))
        got.extend(here)
    _expect(got == case["events"], "events %r" % (got,))
    if "final" in case:
        state = "".join("1" if b.pressed(i) else "0" for i in range(count))
        _expect(state == case["final"], "final state %s" % state)


def check_button_error(case):
    if "update" not in case:
        _raises(case["error"], _make_buttons, case)
        return
    b = _make_buttons(case)
    t, text = case["update"]
    _raises(case["error"], b.update, t, bytearray(1 if c == "1" else 0 for c in text))


# ---- segments --------------------------------------------------------------------------------

def check_font(entry):
    char, lit, byte = entry
    want = int(byte, 16)
    bits = 0
    for name in lit.split():
        bits |= _SEGMENT_BITS[name]
    _expect(bits == want, "the vector's byte %s is not segments %r" % (byte, lit))
    _expect(segments.glyph(char) == want, "glyph(%r) = %02x" % (char, segments.glyph(char)))
    _expect(_hex(segments.to_bytes(char)) == byte, "to_bytes(%r)" % char)


def check_fit(case):
    got = segments.fit(case["text"], case["width"], case.get("right", False))
    _expect(got == case["glyphs"], "fit gave %r" % got)
    _expect(_hex(segments.to_bytes(got)) == case["bytes"], "to_bytes gave %s"
            % _hex(segments.to_bytes(got)))
    out = bytearray(b"\xff" * (len(got) + 2))  # a display buffer, longer than the glyphs
    same = segments.to_bytes(got, out)
    _expect(same is out, "to_bytes(glyphs, out) did not return out")
    _expect(_hex(out) == case["bytes"] + "ffff", "to_bytes into out gave %s" % _hex(out))


def check_code(case):
    glyphs = getattr(segments, case["name"])
    _expect(glyphs == case["glyphs"], "%s = %r" % (case["name"], glyphs))
    _expect(segments.fit(glyphs) == glyphs, "%s is not 4 canonical glyphs" % case["name"])
    _expect(_hex(segments.to_bytes(glyphs)) == case["bytes"], "bytes %s"
            % _hex(segments.to_bytes(glyphs)))


def check_frames(case):
    got = segments.frames(case["text"], case["width"])
    _expect(type(got) is tuple, "frames gave a %s" % type(got).__name__)
    for frame in got:
        _expect(len(frame) == case["width"], "frame %r" % frame)
    if "frames" in case:
        _expect(list(got) == case["frames"], "frames %r" % (got,))
    else:
        _expect((len(got), got[0], got[-1]) == (case["count"], case["first"], case["last"]),
                "%d frames, %r ... %r" % (len(got), got[0], got[-1]))


def check_blink(case):
    for now, want in case["shown"]:
        got = segments.blink(case["glyphs"], now, case["period_ms"], case["until_ms"])
        _expect(got == want, "blink at %d gave %r" % (now, got))


def check_segment_error(case):
    call, text = case["call"], case["text"]
    if call == "blink":
        _raises(case["error"], segments.blink, text, 0, case["period_ms"], 1000)
    elif call == "to_bytes":
        _raises(case["error"], segments.to_bytes, text, bytearray(case["out"]))
    else:
        _raises(case["error"], getattr(segments, call), text, case["width"])


# ---- running ---------------------------------------------------------------------------------

CHECKS = (  # (file, section, check)
    ("buttons.json", "cases", check_button_case),
    ("buttons.json", "errors", check_button_error),
    ("segments.json", "font", check_font),
    ("segments.json", "fit", check_fit),
    ("segments.json", "codes", check_code),
    ("segments.json", "frames", check_frames),
    ("segments.json", "blink", check_blink),
    ("segments.json", "errors", check_segment_error),
)


def load(folder):
    """{file name: vectors} for the files CHECKS uses."""
    out = {}
    for name, _, _ in CHECKS:
        if name not in out:
            out[name] = vector_check.load(folder + "/" + name)
    return out


def _cases(vectors):
    """(file, section, check, case) for every vector, in CHECKS order."""
    for name, section, check in CHECKS:
        for case in vectors[name][section]:
            yield name, section, check, case


def _check(name, section, check, case):
    check(case)


def _label(name, section, check, case):
    if isinstance(case, dict):
        what = case.get("name") or case.get("text") or case.get("glyphs")
    else:
        what = repr(case[0])
    return "%s %s/%s" % (name, section, what)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    return vector_check.run(_cases(vectors), _check, _label)


def main(folder=None):
    vector_check.main("firmware logic", run, load, folder, VECTORS_DIR)


if __name__ == "__main__":
    main()
