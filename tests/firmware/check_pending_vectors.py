"""Checks suivant_fw.backoff and suivant_fw.pending against scripted vectors; runs on CPython
and on MicroPython.

    python3 tests/firmware/check_pending_vectors.py [path/to/pending.json]
    micropython tests/firmware/check_pending_vectors.py [path/to/pending.json]

Conventions as check_vectors.py: without an argument it reads the global VECTORS_PATH when a
harness defined it before exec, else vectors/pending.json next to this script; suivant_fw is
imported from sys.path, with FIRMWARE_PATH (a global) or ../../firmware added at its end.
Prints `pending vectors: N passed, M failed`; exits 1 on any failure. That plumbing is
vector_check.py's, as for check_vectors.py.
"""
import vector_check
from vector_check import Failed, load
from vector_check import expect as _expect

VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/pending.json")

from suivant_fw import ProtocolError
from suivant_fw.backoff import Backoff
from suivant_fw.message import Message, validate
from suivant_fw.pending import PendingPresses, SeqCounter

SECTIONS = ("backoff", "backoff_errors", "pending")
DEFAULT_DEVICE = "term-03"
STATE_KEYS = ("waiting", "full", "refused", "acked", "stale_acks", "error_acks", "resends",
              "dropped")


class Script:
    """rand for the code under test: the vector's values in order; running out is a failure."""

    def __init__(self, values):
        self.values = values
        self.used = 0

    def __call__(self):
        _expect(self.used < len(self.values), "rand drawn more than %d times" % len(self.values))
        self.used += 1
        return self.values[self.used - 1]

    def all_used(self):
        _expect(self.used == len(self.values),
                "rand drawn %d times, the vector gives %d values" % (self.used, len(self.values)))


def _backoff(params, rand):
    return Backoff(rand=rand, **params)


def check_backoff(case):
    rand = Script(case["rand"])
    b = _backoff(case["params"], rand)
    for i, item in enumerate(case["script"]):
        if item == "reset":
            b.reset()
            continue
        got = b.next_delay()
        _expect(got == item, "step %d: next_delay() gave %r, expected %r" % (i, got, item))
    rand.all_used()


def check_backoff_error(case):
    try:
        got = _backoff(case["params"], Script([]))
    except ValueError:
        return
    raise Failed("expected ValueError, got %r" % got)


def _sent(got, want, boot, device):
    """got (a Message or None) is what the vector expects: [kind, seq, fields] or None."""
    if want is None:
        _expect(got is None, "expected None, got %r" % got)
        return
    expected = Message(want[0], device, boot, want[1], want[2])
    _expect(got == expected, "expected %r, got %r" % (expected, got))


def _raises(code, fn, *args):
    try:
        got = fn(*args)
    except ProtocolError as e:
        _expect(e.code == code, "expected ProtocolError %r, got %r (%s)" % (code, e.code, e))
        return
    except ValueError as e:
        _expect(code == "ValueError", "expected %r, got ValueError (%s)" % (code, e))
        return
    raise Failed("expected %r, got %r" % (code, got))


def _check_state(p, want):
    for name in want:
        if name == "pending":
            got = [m.seq for m in p.messages()]
            _expect(len(p) == len(got), "len() is %d, messages() has %d" % (len(p), len(got)))
        elif name in STATE_KEYS:
            got = getattr(p, name)
        else:
            raise Failed("unknown state key %r" % name)
        _expect(got == want[name], "%s is %r, expected %r" % (name, got, want[name]))


def _step(p, seqs, step, boot, device):
    """Run one step; -> the boot nonce after it."""
    at = step.get("at", 0)
    if "add" in step:
        kind, fields = step["add"]
        if "raises" in step:
            _raises(step["raises"], p.add, at, kind, fields)
        else:
            _sent(p.add(at, kind, fields), step["sent"], boot, device)
    elif "due" in step:
        _sent(p.due(at), step["due"], boot, device)
    elif "ack" in step:
        a_boot, a_seq, result, text = step["ack"]
        ack = Message("ack", step.get("device", device), a_boot, a_seq, (result, text))
        validate(ack)  # the vector's ack is one the codec would have decoded
        got = p.ack(ack)
        _expect(got is step["taken"], "ack(%r) gave %r" % (ack, got))
    elif "clear" in step:
        boot = step["clear"]
        p.clear(boot)
    elif "other" in step:
        got = seqs.next()
        _expect(got == step["other"], "the shared counter gave seq %r" % got)
    elif "state" in step:
        _check_state(p, step["state"])
    else:
        raise Failed("unknown step %r" % step)
    return boot


def check_pending(case):
    rand = Script(case["rand"])
    device = case.get("device", DEFAULT_DEVICE)
    boot = case["boot"]
    seqs = SeqCounter()
    p = PendingPresses(device, boot, case.get("capacity", 4),
                       _backoff(case.get("backoff", {}), rand), seqs)
    for i, step in enumerate(case["steps"]):
        try:
            boot = _step(p, seqs, step, boot, device)
        except Failed as e:
            raise Failed("step %d %r: %s" % (i, step, e))
        _expect(len(p._slots) == p.capacity, "the slots grew")
    rand.all_used()


CHECKS = {
    "backoff": check_backoff,
    "backoff_errors": check_backoff_error,
    "pending": check_pending,
}


def cases(vectors):
    """(section, case) for every vector, in file order."""
    return vector_check.cases(vectors, SECTIONS)


def check(section, case):
    """Raise Failed (or whatever the code raised) unless the vector holds."""
    CHECKS[section](case)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    return vector_check.run(cases(vectors), check)


def main(path=None):
    vector_check.main("pending", run, load, path, VECTORS_PATH)


if __name__ == "__main__":
    main()
