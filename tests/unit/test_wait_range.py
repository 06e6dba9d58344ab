"""The calibrated wait ranges (domain/wait_range.py, QueueState.estimate): ordered, never
negative, never from 0 with people ahead, narrowing as the turn nears, holding LEVEL of
exchangeable errors, and said uncertain while the history is short or the counters just
changed."""
from __future__ import annotations

import math
import random
from fractions import Fraction
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain.estimate import COUNTERS_CHANGED, LITTLE_HISTORY
from host_bridge.domain.queue import QueueState
from host_bridge.domain.tickets import CounterStatus
from host_bridge.domain.wait_range import (
    LEVEL, MIN_MINUTES, WINDOW, Errors, calibrated, conformal_interval,
)

_errors = st.floats(-50, 50, allow_nan=False)
_bounds = st.tuples(_errors, _errors).map(sorted)


@given(point=st.floats(0, 600, allow_nan=False), ahead=st.integers(0, 500), bounds=_bounds)
def test_a_range_is_ordered_never_negative_and_never_from_zero_with_people_ahead(point, ahead,
                                                                                   bounds):
    low, high = calibrated(point, ahead, tuple(bounds))
    assert 0 <= low < high
    if ahead > 0:
        assert low >= MIN_MINUTES


@given(point=st.floats(0, 300, allow_nan=False), bounds=_bounds, ahead=st.integers(0, 200))
def test_the_range_narrows_as_the_turn_approaches(point, bounds, ahead):
    """The same guess with fewer people ahead: a range no wider (its errors are scaled by
    sqrt(ahead + 1)); the floors at 0 and 1 min only cut it."""
    wide = calibrated(point, ahead + 1, tuple(bounds))
    narrow = calibrated(point, ahead, tuple(bounds))
    assert narrow[1] - narrow[0] <= wide[1] - wide[0] + 2  # whole minutes round each end


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from(("normal", "lognormal", "uniform", "two-humps")),
       spread=st.floats(0.5, 20), seed=st.integers(0, 2**32 - 1))
def test_the_calibration_holds_its_level_on_exchangeable_errors(shape, spread, seed):
    """Split conformal's promise: with errors drawn alike, a new one falls inside the interval
    made of the last WINDOW at least LEVEL of the time (less a sampling margin)."""
    rng = random.Random(seed)

    def draw() -> float:
        if shape == "normal":
            return rng.gauss(0, spread)
        if shape == "lognormal":
            return spread * (math.exp(rng.gauss(0, 0.8)) - 1)
        if shape == "uniform":
            return rng.uniform(-spread, spread)
        return rng.gauss(-spread, 1) if rng.random() < 0.3 else rng.gauss(spread, 1)

    trials, inside = 3000, 0
    for _ in range(trials):
        lo, hi = conformal_interval([draw() for _ in range(WINDOW)], LEVEL)
        inside += lo <= draw() <= hi
    # the promise is ≥ LEVEL (80.5 % with 40 errors); 3,000 trials: a standard error is 0.7
    # points, so 3 points below is over 4 of them (the shortest interval fell 5-6 below)
    assert inside / trials >= LEVEL - 0.03


def test_too_few_errors_give_no_interval_then_one_holding_enough_of_them():
    errors = Errors()
    level = Fraction(str(LEVEL))  # exact: in floats 1 - 0.8 puts a rank one off
    needed = next(n for n in range(1, WINDOW + 1)
                  if math.floor((n + 1) * (1 - level) / 2) >= 1
                  and math.ceil((n + 1) * (1 + level) / 2) <= n)
    assert needed == 9 or LEVEL != 0.8  # as the docs say: 9 tickets called for 80 %
    for i in range(needed - 1):
        errors.add(float(i))
        assert errors.bounds() is None
    errors.add(float(needed - 1))
    lo, hi = errors.bounds()
    assert 0 <= lo < hi <= needed - 1
    assert sum(lo <= x <= hi for x in range(needed)) >= LEVEL * needed


def test_only_the_last_window_of_errors_counts_and_not_a_number_is_ignored():
    errors = Errors()
    for _ in range(WINDOW):
        errors.add(1000.0)
    for _ in range(WINDOW):
        errors.add(1.0)
    errors.add(float("nan"))
    assert len(errors) == WINDOW
    assert errors.bounds() == (1.0, 1.0)  # all alike: the interval is that one value


def _serve_many(desk, service: str, counter: int, count: int, minutes: float = 4) -> None:
    for _ in range(count):
        desk.issue(service)
        desk.call(counter)
        desk.advance(minutes=minutes)
        desk.run(c.Finish(counter))


def test_the_first_estimates_of_the_day_are_said_uncertain_then_a_calibrated_range(desk):
    desk.open(1)
    desk.advance(minutes=15)  # past the opening's change
    first = desk.state.estimate("accueil", 3)
    assert not first.reliable and first.uncertain_because == LITTLE_HISTORY
    _serve_many(desk, "accueil", 1, 20)
    later = desk.state.estimate("accueil", 3)
    assert later.reliable and later.uncertain_because is None
    assert MIN_MINUTES <= later.low_minutes <= later.minutes <= later.high_minutes
    # the errors of accueil say nothing of etat-civil: still uncertain there
    assert desk.state.estimate("etat-civil", 3).uncertain_because == LITTLE_HISTORY


def test_a_counter_opening_or_closing_makes_its_services_estimates_uncertain_ten_minutes(desk):
    desk.open(1, 2)
    desk.advance(minutes=15)
    _serve_many(desk, "accueil", 1, 20)
    desk.advance(minutes=15)
    assert desk.state.estimate("accueil", 2).reliable
    desk.run(c.CloseCounter(2))  # counter 2 serves accueil too
    est = desk.state.estimate("accueil", 2)
    assert not est.reliable and est.uncertain_because == COUNTERS_CHANGED
    assert est.low_minutes < est.high_minutes  # the range is still there for its readers
    desk.advance(minutes=11)
    desk.state.observe(desk.now)
    assert desk.state.estimate("accueil", 2).reliable
    # a pause is not a change of counters: breaks would keep every estimate uncertain
    desk.run(c.PauseCounter(1))
    desk.run(c.OpenCounter(1))
    assert desk.state.estimate("accueil", 2).reliable


def test_the_calibration_replays_from_the_history_as_it_was_made_live(desk):
    desk.open(1, 2)
    _serve_many(desk, "accueil", 1, 22, minutes=3)
    _serve_many(desk, "etat-civil", 2, 5, minutes=9)
    for _ in range(4):
        desk.issue("accueil")
    replayed = QueueState(desk.site)
    for ev in desk.history:
        replayed.apply(ev)
    assert replayed.errors == desk.state.errors and replayed.told == desk.state.told
    replayed.observe(desk.now)
    desk.state.observe(desk.now)
    assert replayed.estimate("accueil", 3) == desk.state.estimate("accueil", 3)


def test_a_new_day_starts_its_calibration_afresh(desk):
    desk.open(1)
    _serve_many(desk, "accueil", 1, 12)
    desk.set_time(desk.now + timedelta(days=1))
    desk.start_day()
    assert not desk.state.told and all(len(x) == 0 for x in desk.state.errors.values())


_script = st.lists(st.sampled_from(("issue-a", "issue-c", "issue-p", "prio", "call1", "call2",
                                    "call3", "absent1", "close2", "open2", "wait")),
                   min_size=1, max_size=120)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # a fresh desk each
@given(script=_script)
def test_every_estimate_of_any_day_is_ordered_never_negative_never_from_zero_with_people_ahead(
        make_desk, script):
    desk = make_desk()  # built here: each example a fresh day
    desk.open(1, 2, 3)
    for step in script:
        if step.startswith("issue"):
            desk.issue({"a": "accueil", "c": "etat-civil", "p": "passeports"}[step[-1]])
        elif step == "prio":
            desk.issue("accueil", "cmi")
        elif step.startswith("call"):
            if desk.state.counters[int(step[-1])].status is not CounterStatus.CLOSED:
                desk.call(int(step[-1]))
        elif step == "absent1" and desk.holding(1) is not None:
            desk.run(c.MarkAbsent(1))
        elif step == "close2":
            desk.run(c.CloseCounter(2))
        elif step == "open2":
            desk.run(c.OpenCounter(2))
        else:
            desk.advance(minutes=7)
        desk.state.observe(desk.now)
        for service, line in desk.state.waiting.items():
            for ticket in line:
                ahead = desk.state.ahead_of(ticket)
                est = desk.state.estimate(service, ahead)
                if est is None:
                    continue
                assert 0 <= est.low_minutes <= est.minutes <= est.high_minutes
                assert est.low_minutes < est.high_minutes
                if ahead > 0:
                    assert est.low_minutes >= MIN_MINUTES
                assert est.reliable == (est.uncertain_because is None)
