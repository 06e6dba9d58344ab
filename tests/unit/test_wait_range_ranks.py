"""The split conformal ranks (wait_range.conformal_interval) are exact: in floats 1 - 0.8 is
0.19999999999999996 and the low rank fell one short whenever it was a whole number (9 errors
gave no range, 19 or 39 a low end one rank too wide)."""
from __future__ import annotations

from host_bridge.domain.wait_range import Errors, conformal_interval


def test_nine_errors_are_enough_for_an_80_percent_range():
    assert conformal_interval(range(9), 0.8) == (0, 8)
    errors = Errors()
    for x in range(9):
        errors.add(float(x))
    assert errors.bounds() == (0.0, 8.0)


def test_nineteen_errors_are_enough_for_90_percent_as_the_docstring_says():
    assert conformal_interval(range(19), 0.9) == (0, 18)


def test_the_low_rank_is_the_method_s_when_it_is_a_whole_number():
    # n = 19: ranks floor(20 × 0.1) = 2 and ceil(20 × 0.9) = 18
    assert conformal_interval(range(19), 0.8) == (1, 17)
    # n = 39: ranks 4 and 36
    assert conformal_interval(range(39), 0.8) == (3, 35)
