"""The counting of failed sign-ins (staff/lockout.py) against a plain reference: for attempts
one after the other, an account is refused for `LOCK` seconds once `LIMIT` failures came in a
row, a success starts the count again, and so does the end of a lock."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from host_bridge.staff.lockout import Tries, arrive, failed, succeeded

LIMIT, LOCK = 5, 900.0


def reference(attempts: list[tuple[float, bool]]) -> list[str]:
    fails, locked_until, now, out = 0, 0.0, 0.0, []
    for wait, right in attempts:
        now += wait
        if now < locked_until:
            out.append("locked")
            continue
        if locked_until:
            fails, locked_until = 0, 0.0
        if right:
            fails = 0
            out.append("ok")
            continue
        fails += 1
        if fails >= LIMIT:
            locked_until = now + LOCK
        out.append("wrong")
    return out


def counted(attempts: list[tuple[float, bool]]) -> list[str]:
    t, now, out = Tries(), 0.0, []
    for wait, right in attempts:
        now += wait
        until, _ = arrive(t, now, LIMIT, LOCK, None)
        if until is not None:
            out.append("locked")
        elif right:
            succeeded(t, reset=True)
            out.append("ok")
        else:
            failed(t, now, LIMIT, LOCK)
            out.append("wrong")
    return out


@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 60.0, LOCK - 1, LOCK, 3600.0]),
                          st.booleans()), max_size=40))
def test_attempts_one_after_the_other_are_answered_as_the_reference_says(attempts):
    assert counted(attempts) == reference(attempts)


def test_attempts_in_progress_beyond_the_limit_are_refused_without_a_check():
    t = Tries()
    answers = [arrive(t, 0.0, LIMIT, LOCK, None)[0] for _ in range(LIMIT + 3)]
    assert answers == [None] * LIMIT + [LOCK] * 3


def test_an_address_count_forgets_failures_older_than_its_window():
    t = Tries()
    for i in range(LIMIT - 1):
        arrive(t, float(i), LIMIT, LOCK, 600.0)
        failed(t, float(i), LIMIT, LOCK)
    assert arrive(t, 700.0, LIMIT, LOCK, 600.0) == (None, False) and t.failures == 1
