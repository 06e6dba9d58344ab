"""The evaluation of the wait estimators (simulators/estimate_eval): fixed days, split into
development and held-out seeds, played on the real queue, scored the same for every estimator."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulators.estimate_eval.__main__ import main
from simulators.estimate_eval.days import DEVELOPMENT, HELD_OUT, PLANS, days
from simulators.estimate_eval.rivals import line_up
from simulators.estimate_eval.score import score
from simulators.estimate_eval.simulate import Outcome, Told, simulate


def test_held_out_days_are_not_development_days_and_every_kind_has_both():
    assert not set(DEVELOPMENT) & set(HELD_OUT)
    dev, held = days("development"), days("held-out")
    assert {p.name for p, _ in dev} == {p.name for p, _ in held} == \
        {"mairie", "rush", "prefecture", "counters-change"}
    assert len(dev) == len(held) == len(PLANS) * len(HELD_OUT)


def test_a_day_is_the_same_for_the_same_seed_and_another_for_another():
    plan = PLANS[0]()
    first = [(o.service, o.issued_at, o.ahead, o.waited) for o in simulate(plan, 7, [])]
    again = [(o.service, o.issued_at, o.ahead, o.waited) for o in simulate(plan, 7, [])]
    other = [(o.service, o.issued_at, o.ahead, o.waited) for o in simulate(plan, 8, [])]
    assert first == again and first != other
    assert len(first) > 100  # a town hall's Thursday
    assert all(w is None or w >= 0 for *_, w in first)


def test_counters_follow_their_shifts_and_nobody_is_issued_outside_opening_hours():
    plan = next(make() for make in PLANS if make().name == "counters-change")
    out = simulate(plan, 3, [])
    paris = ZoneInfo("Europe/Paris")
    for o in out:
        local = o.issued_at.astimezone(paris)
        assert datetime(2026, 11, 26, 8, 30, tzinfo=paris) <= local \
            < datetime(2026, 11, 26, 12, 0, tzinfo=paris)
    # urbanisme is served only at counter 4, gone from 10:45: some of its tickets are never
    # called that morning, and they are left out of every score
    late = [o for o in out if o.service == "urbanisme"
            and o.issued_at.astimezone(paris).hour >= 11]
    assert late and all(o.waited is None for o in late)


def test_every_estimator_is_told_the_same_tickets_and_the_shipped_row_is_the_queue_s():
    plan = PLANS[2]()  # the préfecture
    estimators = line_up()
    out = simulate(plan, 901, estimators)
    names = {e.name for e in estimators if not e.name.startswith("_")}
    assert all(names <= set(o.told) for o in out)
    shipped = [o.told["shipped"] for o in out if o.told["shipped"] is not None]
    assert shipped and all(t.low <= t.minutes <= t.high for t in shipped)
    # the first estimates of the day are uncertain (no errors yet), later ones are ranges
    assert not shipped[0].reliable and any(t.reliable for t in shipped)


def test_the_score_is_the_mean_error_the_share_inside_and_the_widths():
    at = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    rows = [Outcome("a", "s", at, 1, {"x": Told(10, 5, 15)}, 12.0),
            Outcome("b", "s", at, 1, {"x": Told(10, 8, 12)}, 20.0),
            Outcome("c", "s", at, 1, {"x": Told(4, 4, 4, reliable=False)}, 6.0),
            Outcome("d", "s", at, 1, {"x": None}, 3.0),  # no counter open: not scored
            Outcome("e", "s", at, 1, {"x": Told(1, 0, 2)}, None)]  # never called
    s = score("x", rows)
    assert s.tickets == 3
    assert s.mae == pytest.approx((2 + 10 + 2) / 3)
    assert s.inside == 1 / 2 and s.uncertain == pytest.approx(1 / 3)
    assert (s.median_width, s.p90_width) == (10, 10)


def test_the_command_prints_every_estimator_against_the_naive_rule(capsys):
    assert main(["--split", "development"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("development days, all (4 kinds)")
    for name in ("shipped", "before", "naive", "forward+arrivals", "les", "les-all",
                 "les-scaled", "hol", "hol-all", "blend", "learned"):
        assert f"\n{name} " in text
    naive = next(line for line in text.splitlines() if line.startswith("naive "))
    assert naive.split()[3] == "1.00"  # the baseline against itself
