"""The evaluation (simulators/estimate_eval) makes every estimator's range and "uncertain" as
the queue does, so only the guess differs: a rival whose guess is the queue's own is told the
same ranges and is uncertain on the same tickets (the 10 minutes after a counter serving the
service opens or closes included)."""
from __future__ import annotations

from simulators.estimate_eval.days import DEVELOPMENT, counters_change
from simulators.estimate_eval.rivals import Calibrated, History, Recorder, Shipped, forward
from simulators.estimate_eval.simulate import simulate


def test_a_rival_with_the_shipped_guess_is_said_uncertain_on_the_same_tickets():
    out = simulate(counters_change(), DEVELOPMENT[0],
                   [Recorder(History()), Shipped(), Calibrated("same-guess", forward)])
    pairs = [(o.told["shipped"], o.told["same-guess"]) for o in out
             if o.told["shipped"] is not None and o.told["same-guess"] is not None]
    assert pairs
    # the same guess and the same errors: the same ranges where both give one
    assert all((s.low, s.high) == (r.low, r.high) for s, r in pairs if s.reliable and r.reliable)
    differ = [(s, r) for s, r in pairs if s.reliable != r.reliable]
    assert not differ, f"{len(differ)} of {len(pairs)} tickets: shipped uncertain, the rival " \
                       "scored on its range"
