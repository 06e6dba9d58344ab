"""§5 exactly-once presses (and votes): the device's bounded set of unacknowledged messages.

    seqs = SeqCounter()                      # one per boot, shared with hello and status
    presses = PendingPresses("term-03", "0badf00d", seq=seqs)
    msg = presses.add(now, "press", ("next",))   # send it now; None: full, show "busy"
    msg = presses.due(now)                   # in the loop: the oldest to resend, or None
    presses.ack(ack_msg)                     # an `ack` the codec decoded: True if it was awaited
    led.waiting(presses.waiting)

Rules (docs/protocol.md §2, §4, §5):
- At most `capacity` (4) unacknowledged messages, in preallocated slots. A further add() is
  refused (None) and counted in `refused`: the caller shows "busy"; nothing is dropped
  silently and no seq is spent on it.
- Each added message takes the next seq of this boot (1, 2, ...) and is sent at once by the
  caller. Only the oldest is resent, with backoff (0.5 s doubling to 8 s, jitter), until its
  ack: the bridge applies presses in the order it gets them, so the oldest must get through
  first, and a dead link costs one message per backoff period, not four. When the oldest is
  acknowledged the backoff starts again for the next one, counted from when that one was last
  sent (it is due at once if it has waited longer than the first delay).
- ack() takes an ack only for a message still awaited: same device, boot and seq. A duplicate,
  unknown, or other boot's ack changes nothing and is counted in `stale_acks`. An ack whose
  result is `error` ("could not apply it now; the device may retry later") leaves the message
  pending (it is resent on schedule) and is counted in `error_acks`. `ok` and `refused` are
  final: the message is removed (the caller shows the ack's text).
- A reboot drops the unacknowledged messages with the boot nonce: clear(new_boot).

Time is the caller's integer ms, e.g. time.ticks_ms(): intervals are taken modulo 2**30 (the
ESP32's ticks period), so a wrapping tick counter and a plain monotonic count both work, as
long as due() is called more often than every 6 days.
"""
from suivant_fw.backoff import Backoff
from suivant_fw.message import SEQ_MAX, Message, validate

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

CAPACITY = const(4)
EXACTLY_ONCE_KINDS = ("press", "vote")
_TICKS_MASK = const(0x3FFFFFFF)  # ticks_ms() period on the ESP32: 2**30 ms
_TICKS_HALF = const(0x20000000)


def ticks_add(t, delta):
    """t + delta, wrapped like time.ticks_add (kept a small int on MicroPython)."""
    return (t + delta) & _TICKS_MASK


def ticks_diff(a, b):
    """a - b for ticks modulo 2**30, like time.ticks_diff: right while |a - b| < 2**29 ms."""
    return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def _boot_ok(boot):
    if not isinstance(boot, str) or len(boot) != 8:
        return False
    for c in boot:
        if not ("0" <= c <= "9" or "a" <= c <= "f"):
            return False
    return True


class SeqCounter:
    """The seqs of one boot (§2): 1, 2, 3 ... for every new message the device sends."""

    def __init__(self):
        self.last = 0

    def next(self):
        if self.last >= SEQ_MAX:  # 68 years at one message a second
            raise OverflowError("seq exhausted: reboot")
        self.last += 1
        return self.last

    def reset(self):
        self.last = 0


class PendingPresses:
    def __init__(self, device, boot, capacity=CAPACITY, backoff=None, seq=None):
        if not _boot_ok(boot):
            raise ValueError("boot nonce is 8 lowercase hex digits")
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.device = device
        self.boot = boot
        self.capacity = capacity
        self.backoff = Backoff() if backoff is None else backoff
        self.seq = SeqCounter() if seq is None else seq
        # A ring of `capacity` slots, oldest at _head; _sent: when each was last sent.
        self._slots = [None] * capacity  # type: list[Message | None]
        self._sent = [0] * capacity
        self._head = 0
        self._count = 0
        self._due_ms = 0  # when the oldest is to be resent (meaningful while _count > 0)
        self.refused = 0  # add() on a full set: the caller showed "busy"
        self.acked = 0  # acks taken (ok or refused)
        self.stale_acks = 0  # duplicate, unknown seq, other boot or device
        self.error_acks = 0  # result `error`: kept, resent later
        self.resends = 0
        self.dropped = 0  # unacknowledged when clear() was called

    def __len__(self):
        return self._count

    @property
    def waiting(self):
        """Any message not acknowledged yet (the status LED shows "waiting for ack")."""
        return self._count > 0

    @property
    def full(self):
        return self._count >= self.capacity

    def messages(self):
        """The pending messages, oldest first (a new tuple: for tests and diagnostics)."""
        return tuple([self._slots[(self._head + i) % self.capacity] for i in range(self._count)])

    def add(self, now_ms, kind, fields):
        """A new press or vote: the Message to send now, or None when full (show "busy").
        ProtocolError if the message breaks §2 (e.g. an unknown button)."""
        if kind not in EXACTLY_ONCE_KINDS:
            raise ValueError("only press and vote are sent exactly once")
        if self._count >= self.capacity:
            self.refused += 1
            return None
        msg = Message(kind, self.device, self.boot, self.seq.last + 1, fields)
        validate(msg)  # before spending the seq: a refused message takes nothing
        self.seq.next()
        i = (self._head + self._count) % self.capacity
        self._slots[i] = msg
        self._sent[i] = now_ms
        self._count += 1
        if self._count == 1:
            self._rearm()
        return msg

    def due(self, now_ms):
        """The oldest pending message if its resend time has come (send it), else None."""
        if self._count == 0 or ticks_diff(now_ms, self._due_ms) < 0:
            return None
        self._sent[self._head] = now_ms
        self._due_ms = ticks_add(now_ms, self.backoff.next_delay())
        self.resends += 1
        return self._slots[self._head]

    def ack(self, msg):
        """Take an `ack` Message (decoded, so valid): True if it acknowledged a pending message,
        which is then removed. False changes nothing but a counter."""
        if msg.kind != "ack":
            raise ValueError("not an ack: " + msg.kind)
        n = self.capacity
        for k in range(self._count):
            i = (self._head + k) % n
            m = self._slots[i]
            if m is not None and m.seq == msg.seq and m.boot == msg.boot \
                    and m.device == msg.device:
                if msg.fields[0] == "error":
                    self.error_acks += 1
                    return False
                self._remove(k)
                self.acked += 1
                return True
        self.stale_acks += 1
        return False

    def clear(self, boot):
        """A reboot: drop every pending message and go on with the new boot nonce (seq 1)."""
        if not _boot_ok(boot) or boot == self.boot:
            raise ValueError("a reboot draws a new boot nonce")
        self.dropped += self._count
        for i in range(self.capacity):
            self._slots[i] = None
        self._head = 0
        self._count = 0
        self.boot = boot
        self.seq.reset()
        self.backoff.reset()

    def _remove(self, k):
        """Remove the k-th oldest, keeping the order of the others."""
        n = self.capacity
        if k == 0:
            self._slots[self._head] = None
            self._head = (self._head + 1) % n
            self._count -= 1
            if self._count:
                self._rearm()
            return
        for j in range(k, self._count - 1):  # close the gap: later ones move back by one
            dst = (self._head + j) % n
            src = (dst + 1) % n
            self._slots[dst] = self._slots[src]
            self._sent[dst] = self._sent[src]
        self._count -= 1
        self._slots[(self._head + self._count) % n] = None

    def _rearm(self):
        """A new oldest message: a fresh backoff, counted from when it was last sent."""
        self.backoff.reset()
        self._due_ms = ticks_add(self._sent[self._head], self.backoff.next_delay())
