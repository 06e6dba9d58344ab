"""Checks suivant_fw.device and suivant_fw.roles against scripted scenarios; runs on CPython and
on MicroPython.

    python3 tests/firmware/check_device_vectors.py [path/to/device.json]
    micropython tests/firmware/check_device_vectors.py [path/to/device.json]

Conventions as check_pending_vectors.py (plumbing in vector_check.py). Prints
`device vectors: N passed, M failed`; exits 1 on any failure.
"""
import vector_check
from vector_check import Failed, load
from vector_check import expect as _expect

VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/device.json")

from suivant_fw.buttons import EVENT_NAMES
from suivant_fw.device import LINK_NAMES
from suivant_fw.message import Message, validate
from suivant_fw.roles import for_config

SECTIONS = ("counter", "display", "hall", "feedback")
DEFAULT_BOOT = "0badf00d"
ACTIONS = ("link_up", "link_down", "connecting", "tick")
VIEW_KEYS = ("glyphs", "led", "lines", "thanks", "blink_until", "dirty", "silent")
STATE_KEYS = ("shown", "stale_shows", "busy", "errors", "outbox_drops", "ignored",
              "ignored_votes", "votes", "window", "ticket", "silent")


def _device(section, case):
    cfg = {"device": case["device"], "role": section}
    if "timing" in case:
        cfg["timing"] = case["timing"]
    rand = case.get("rand", 0.5)
    return for_config(cfg, case.get("boot", DEFAULT_BOOT), lambda: rand, case.get("start", 0))


def _out(dev, want, boot):
    got = dev.take_outbox()
    expected = []
    for kind, seq, fields in want:
        msg = Message(kind, dev.device, boot, seq, fields)
        validate(msg)  # the vector expects messages the codec would send
        expected.append(msg)
    _expect(list(got) == expected, "outbox %r, expected %r" % (list(got), expected))


def _view(dev, want, at):
    v = dev.view
    for name in want:
        if name == "beep":
            got = v.take_beep()
        elif name == "frame":  # the glyphs to show at `at`, blinking included
            got = v.glyphs_at(at)
        elif name == "link":
            got = LINK_NAMES[v.link]
        elif name in VIEW_KEYS:
            got = getattr(v, name)
            if name == "lines":
                got = list(got)
        else:
            raise Failed("unknown view key %r" % name)
        _expect(got == want[name], "view %s is %r, expected %r" % (name, got, want[name]))


def _state(dev, want):
    for name in want:
        if name == "pending":
            got = [m.seq for m in dev.pending.messages()]
        elif name == "link":
            got = LINK_NAMES[dev.link]
        elif name in STATE_KEYS:
            got = getattr(dev, name)
        else:
            raise Failed("unknown state key %r" % name)
        _expect(got == want[name], "%s is %r, expected %r" % (name, got, want[name]))


def _step(dev, step, boot):
    at = step.get("at", 0)
    if "do" in step:
        action = step["do"]
        if action == "paint":
            dev.view.dirty = False
        elif action in ACTIONS:
            getattr(dev, action)(at)
        else:
            raise Failed("unknown action %r" % action)
    elif "button" in step:
        events = bytearray(len(dev.button_names))
        events[list(dev.button_names).index(step["button"])] = \
            list(EVENT_NAMES).index(step.get("event", "press"))
        dev.buttons(events, at)
    elif "ack" in step:
        seq, result, text = step["ack"]
        msg = Message("ack", step.get("to", dev.device), step.get("boot", boot), seq,
                      (result, text))
        validate(msg)
        dev.receive(msg, at)
    elif "show" in step:
        version, beep, blink, lines = step["show"]
        msg = Message("show", step.get("to", dev.device), "-", version,
                      [str(beep), str(blink)] + lines)
        validate(msg)
        dev.receive(msg, at)
    elif "out" in step:
        _out(dev, step["out"], boot)
    elif "view" in step:
        _view(dev, step["view"], at)
    elif "state" in step:
        _state(dev, step["state"])
    else:
        raise Failed("unknown step %r" % step)


def check(section, case):
    """Raise Failed (or whatever the code raised) unless the scenario holds."""
    dev = _device(section, case)
    boot = case.get("boot", DEFAULT_BOOT)
    for i, step in enumerate(case["steps"]):
        try:
            _step(dev, step, boot)
        except Failed as e:
            raise Failed("step %d %r: %s" % (i, step, e))


def cases(vectors):
    return vector_check.cases(vectors, SECTIONS)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    return vector_check.run(cases(vectors), check)


def main(path=None):
    vector_check.main("device", run, load, path, VECTORS_PATH)


if __name__ == "__main__":
    main()
