"""Exactly-once presses (docs/protocol.md §5): suivant_fw.backoff and suivant_fw.pending.

Three kinds of evidence: the scripted vectors (the same file MicroPython checks), a hypothesis
state machine against a tiny reference model (a dict seq -> message), and a simulated lossy
link between a device and a fake bridge after which every press is applied exactly once.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule)

import check_pending_vectors
from checker_runs import FORMS, run_checker, vector_counts
from suivant_fw import ProtocolError
from suivant_fw.backoff import Backoff
from suivant_fw.message import Message, decode, encode
from suivant_fw.pending import PendingPresses, SeqCounter

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_pending_vectors.py"
VECTORS_FILE = HERE / "vectors" / "pending.json"
VECTORS = check_pending_vectors.load(str(VECTORS_FILE))
KEY = bytes(range(32))
BUTTONS = ("next", "recall", "absent", "finish", "transfer", "pause", "close")
# §5, copied from the document rather than from the code
CAPACITY, INITIAL, MAXIMUM, JITTER = 4, 500, 8000, 0.25
TICKS = 2**30  # the ESP32's ticks_ms() wraps at 2**30 ms


# ---- the vectors, under CPython and MicroPython --------------------------------------------

@pytest.mark.parametrize("section, case", list(check_pending_vectors.cases(VECTORS)),
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_code_follows_the_scripted_vector(section: str, case: dict) -> None:
    check_pending_vectors.check(section, case)


def test_vectors_cover_what_section_5_asks_for() -> None:
    names = " / ".join(c["name"] for c in VECTORS["pending"])
    for needed in ("in order", "out of order", "duplicate", "unknown seq", "another boot",
                   "refused", "grows to the cap", "oldest is resent", "reboot", "wraps"):
        assert needed in names, f"no pending vector about {needed!r}"
    assert any(step.get("sent", "") is None for c in VECTORS["pending"] for step in c["steps"])


def test_checker_passes_under_cpython() -> None:
    done = subprocess.run([sys.executable, str(CHECKER)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    passed, failed = vector_counts("pending", done.stdout)
    assert passed == sum(len(VECTORS[s]) for s in check_pending_vectors.SECTIONS) > 0
    assert failed == 0


def test_checker_fails_on_a_wrong_vector(tmp_path: Path) -> None:
    vectors = json.loads(VECTORS_FILE.read_text())
    vectors["backoff"][0]["script"][-1] += 1  # 8001 ms where the cap is 8000
    vectors["pending"][0]["steps"][0]["sent"][1] = 2  # the first press takes seq 1, not 2
    path = tmp_path / "pending.json"
    path.write_text(json.dumps(vectors))
    done = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert vector_counts("pending", done.stdout)[1] == 2, done.stdout
    assert done.stdout.count("FAIL ") == 2


@pytest.mark.parametrize("form", FORMS)
def test_checker_passes_under_micropython(form: str, tmp_path: Path) -> None:
    result = run_checker(CHECKER, form, tmp_path, "pending.json")
    assert result.returncode == 0, result.output
    passed, failed = vector_counts("pending", result.stdout)
    assert passed > 0 and failed == 0, result.output


# ---- small API contracts -------------------------------------------------------------------

def test_backoff_draws_from_random_by_default() -> None:
    b = Backoff()
    delays = [b.next_delay() for _ in range(8)]
    for k, delay in enumerate(delays):
        base = min(INITIAL * 2**k, MAXIMUM)
        assert base * (1 - JITTER) <= delay <= base * (1 + JITTER)


@pytest.mark.parametrize("boot", ["0BADF00D", "0badf00", "0badf00dd", "-", 12345678])
def test_a_boot_nonce_is_8_lowercase_hex_digits(boot: object) -> None:
    with pytest.raises(ValueError):
        PendingPresses("term-03", boot)


def test_a_reboot_needs_a_new_boot_nonce() -> None:
    p = PendingPresses("term-03", "0badf00d")
    with pytest.raises(ValueError):
        p.clear("0badf00d")


def test_only_acks_are_taken_as_acks() -> None:
    p = PendingPresses("term-03", "0badf00d")
    press = p.add(0, "press", ("next",))
    with pytest.raises(ValueError):
        p.ack(press)
    assert p.waiting and p.stale_acks == 0


def test_an_invalid_device_id_fails_at_the_first_add() -> None:
    p = PendingPresses("Term 3", "0badf00d")
    with pytest.raises(ProtocolError) as e:
        p.add(0, "press", ("next",))
    assert e.value.code == "bad_device" and len(p) == 0 and p.seq.last == 0


# ---- a state machine against a reference model ---------------------------------------------

class SpyBackoff(Backoff):
    """A Backoff that remembers each delay it gave and the base it spread."""

    def __init__(self, rand: object) -> None:
        super().__init__(rand=rand)
        self.given: list[tuple[int, int]] = []  # (base, delay)

    def next_delay(self) -> int:
        base = self.base_ms
        delay = super().next_delay()
        self.given.append((base, delay))
        return delay


class PendingMachine(RuleBasedStateMachine):
    """The model: the pending messages (dict seq -> message, oldest first), the time the oldest
    is to be resent, and counters. The device's clock is the model's, wrapped like ticks_ms()."""

    @initialize(rnd=st.randoms(use_true_random=False),
                start=st.integers(0, TICKS - 1), boot=st.from_regex(r"[0-9a-f]{8}", fullmatch=True))
    def start(self, rnd: random.Random, start: int, boot: str) -> None:
        self.backoff = SpyBackoff(rnd.random)
        self.seqs = SeqCounter()
        self.p = PendingPresses("term-03", boot, backoff=self.backoff, seq=self.seqs)
        self.boot = boot
        self.boots = {boot}
        self.now = start  # never wraps here; the device sees it modulo 2**30
        self.pending: dict[int, Message] = {}
        self.sent_at: dict[int, int] = {}
        self.due_at = 0
        self.last_seq = 0
        self.added: set[tuple[str, int]] = set()
        self.acked: Counter[tuple[str, int]] = Counter()
        self.dropped: set[tuple[str, int]] = set()
        self.refused = self.stale = self.errors = 0
        self.draws = 0
        self.base = INITIAL

    # -- helpers
    def _drawn(self, fresh: bool) -> int:
        """The delay the device just drew (exactly one more than before), spread around the
        base §5 gives: 500 ms for a new oldest message, then doubling up to 8 s."""
        self.draws += 1
        assert len(self.backoff.given) == self.draws
        base, delay = self.backoff.given[-1]
        if fresh:
            self.base = INITIAL
        assert base == self.base
        self.base = min(2 * self.base, MAXIMUM)
        return delay

    def _new_oldest(self) -> None:
        if self.pending:
            oldest = next(iter(self.pending))
            self.due_at = self.sent_at[oldest] + self._drawn(fresh=True)

    def _ack(self, seq: int, result: str, boot: str | None = None,
             device: str = "term-03") -> bool:
        return self.p.ack(Message("ack", device, boot or self.boot, seq, (result, "C017")))

    @property
    def ticks(self) -> int:
        return self.now % TICKS

    # -- rules
    @rule(ms=st.one_of(st.integers(0, 50), st.integers(0, 20000)))
    def time_passes(self, ms: int) -> None:
        self.now += ms

    @rule(button=st.sampled_from(BUTTONS), vote=st.booleans())
    def press(self, button: str, vote: bool) -> None:
        kind, fields = ("vote", ("3",)) if vote else ("press", (button,))
        msg = self.p.add(self.ticks, kind, fields)
        if len(self.pending) == CAPACITY:
            assert msg is None
            self.refused += 1
            return
        assert msg == Message(kind, "term-03", self.boot, self.last_seq + 1, fields)
        self.last_seq = msg.seq
        self.pending[msg.seq] = msg
        self.sent_at[msg.seq] = self.now
        self.added.add((self.boot, msg.seq))
        if len(self.pending) == 1:
            self._new_oldest()

    @rule()
    def hello_takes_a_seq(self) -> None:
        self.last_seq = self.seqs.next()

    @rule()
    def loop_asks_what_is_due(self) -> None:
        got = self.p.due(self.ticks)
        if not self.pending or self.now < self.due_at:
            assert got is None
            return
        oldest = next(iter(self.pending))
        assert got == self.pending[oldest]
        self.sent_at[oldest] = self.now
        self.due_at = self.now + self._drawn(fresh=False)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), result=st.sampled_from(["ok", "refused"]))
    def bridge_acks_a_pending_one(self, data: st.DataObject, result: str) -> None:
        seq = data.draw(st.sampled_from(sorted(self.pending)))
        was_oldest = seq == next(iter(self.pending))
        assert self._ack(seq, result) is True
        del self.pending[seq]
        self.acked[(self.boot, seq)] += 1
        if was_oldest:
            self._new_oldest()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def bridge_answers_error(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from(sorted(self.pending)))
        assert self._ack(seq, "error") is False
        self.errors += 1

    @rule(seq=st.integers(1, 40), other_boot=st.booleans(), other_device=st.booleans())
    def stale_or_foreign_ack(self, seq: int, other_boot: bool, other_device: bool) -> None:
        awaited = seq in self.pending and not other_boot and not other_device
        boot = f"{int(self.boot, 16) ^ 1:08x}" if other_boot else self.boot
        taken = self._ack(seq, "ok", boot, "term-04" if other_device else "term-03")
        assert taken is awaited
        if awaited:
            was_oldest = seq == next(iter(self.pending))
            del self.pending[seq]
            self.acked[(self.boot, seq)] += 1
            if was_oldest:
                self._new_oldest()
        else:
            self.stale += 1

    @rule(boot=st.from_regex(r"[0-9a-f]{8}", fullmatch=True))
    def reboot(self, boot: str) -> None:
        if boot in self.boots:  # nonces are drawn at random: a repeat is a 2**-32 accident
            return
        self.boots.add(boot)
        self.p.clear(boot)
        self.dropped |= {(self.boot, seq) for seq in self.pending}
        self.pending.clear()
        self.boot, self.last_seq = boot, 0

    # -- invariants
    @invariant()
    def never_more_than_capacity(self) -> None:
        assert len(self.p) <= CAPACITY and len(self.p._slots) == CAPACITY

    @invariant()
    def pending_are_the_models_oldest_first(self) -> None:
        got = self.p.messages()
        assert list(got) == list(self.pending.values())
        seqs = [m.seq for m in got]
        assert seqs == sorted(set(seqs)), "seqs strictly increasing and unique"
        assert all(m.boot == self.boot for m in got)
        assert self.p.waiting == bool(self.pending)

    @invariant()
    def no_press_is_lost_silently(self) -> None:
        pending = {(self.boot, seq) for seq in self.pending}
        assert all(n == 1 for n in self.acked.values()), "acked exactly once"
        acked = set(self.acked)
        assert self.added == acked | pending | self.dropped
        assert not (acked & pending) and not (acked & self.dropped)
        assert self.p.dropped == len(self.dropped)

    @invariant()
    def counters_match(self) -> None:
        assert (self.p.refused, self.p.stale_acks, self.p.error_acks) == \
            (self.refused, self.stale, self.errors)
        assert self.p.acked == sum(self.acked.values())

    @invariant()
    def delays_stay_within_the_bounds(self) -> None:
        for base, delay in self.backoff.given:
            assert INITIAL <= base <= MAXIMUM
            assert base * (1 - JITTER) <= delay <= base * (1 + JITTER)
            assert INITIAL * (1 - JITTER) <= delay <= MAXIMUM * (1 + JITTER)


PendingMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=60,
                                            deadline=None)
TestPendingAgainstTheModel = PendingMachine.TestCase


# ---- exactly once over a lossy link --------------------------------------------------------

class LossyLink:
    """Lines in flight with a random latency (so they overtake each other); some are dropped,
    some duplicated."""

    def __init__(self, rng: random.Random, loss: float, dup: float) -> None:
        self.rng, self.loss, self.dup = rng, loss, dup
        self.flying: list[tuple[int, int, bytes]] = []  # (arrival, order, line)
        self.sent = self.lost = 0

    def send(self, now: int, line: bytes) -> None:
        self.sent += 1
        copies = 2 if self.rng.random() < self.dup else 1
        for _ in range(copies):
            if self.rng.random() < self.loss:
                self.lost += 1
                continue
            self.flying.append((now + self.rng.randint(1, 1500), self.rng.random(), line))

    def arrived(self, now: int) -> list[bytes]:
        here = sorted(f for f in self.flying if f[0] <= now)
        self.flying = [f for f in self.flying if f[0] > now]
        return [line for _, _, line in here]


class FakeBridge:
    """Applies each (device, boot, seq) at most once (§4) and answers a repeat with the stored
    answer."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str, int], str] = {}
        self.applied: list[tuple[str, int, tuple[str, ...]]] = []
        self.served = 0

    def receive(self, line: bytes) -> bytes:
        msg = decode(line, KEY)
        key = (msg.device, msg.boot, msg.seq)
        if key not in self.answers:
            self.applied.append((msg.boot, msg.seq, msg.fields))
            self.served += 1
            self.answers[key] = f"C{self.served:03d}"
        return encode(Message("ack", msg.device, msg.boot, msg.seq, ("ok", self.answers[key])),
                      KEY)


def simulate(seed: int, presses: int, loss: float, dup: float) -> dict[str, object]:
    rng = random.Random(seed)
    device = PendingPresses("term-03", f"{rng.getrandbits(32):08x}",
                            backoff=Backoff(rand=rng.random))
    bridge, up, down = FakeBridge(), LossyLink(rng, loss, dup), LossyLink(rng, loss, dup)
    accepted: list[Message] = []
    busy = 0
    now = 0
    while len(accepted) < presses or device.waiting:
        if len(accepted) < presses and rng.random() < 0.01:  # an agent presses, ~1 per s
            msg = device.add(now, "press", (rng.choice(BUTTONS),))
            if msg is None:
                busy += 1  # "busy" shown: the agent presses again later
            else:
                accepted.append(msg)
                up.send(now, encode(msg, KEY))
        for line in up.arrived(now):
            down.send(now, bridge.receive(line))
        for line in down.arrived(now):
            device.ack(decode(line, KEY))
        resend = device.due(now)
        if resend is not None:
            up.send(now, encode(resend, KEY))
        now += 10
        assert now < 3_600_000, "an hour of simulated time and still waiting"
    assert busy == device.refused
    return {"accepted": accepted, "applied": bridge.applied, "device": device,
            "lost": up.lost + down.lost, "sent": up.sent}


@pytest.mark.parametrize("seed", range(12))
def test_every_press_is_applied_exactly_once_over_a_lossy_link(seed: int) -> None:
    out = simulate(seed, presses=40, loss=0.3, dup=0.2)
    accepted = out["accepted"]
    applied = out["applied"]
    assert isinstance(accepted, list) and isinstance(applied, list)
    once = Counter((boot, seq) for boot, seq, _ in applied)
    assert all(n == 1 for n in once.values()), "a press was applied twice"
    assert sorted(applied) == sorted((m.boot, m.seq, m.fields) for m in accepted), \
        "every accepted press applied, with its button, and nothing else"
    device = out["device"]
    assert isinstance(device, PendingPresses) and not device.waiting
    assert device.acked == len(accepted)
    assert device.resends > 0 and out["lost"], "the link lost nothing: the test proved little"


def test_a_dead_link_costs_one_resend_per_backoff_period() -> None:
    p = PendingPresses("term-03", "0badf00d", backoff=Backoff(rand=lambda: 0.5))
    for button in BUTTONS[:CAPACITY]:
        assert p.add(0, "press", (button,)) is not None
    sent = [(t, m.seq) for t in range(0, 60_001, 10) if (m := p.due(t)) is not None]
    assert [t for t, _ in sent] == [500, 1500, 3500, 7500, 15500, 23500, 31500, 39500, 47500,
                                    55500]
    assert {seq for _, seq in sent} == {1}, "only the oldest is resent"
