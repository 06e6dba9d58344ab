"""service/periodic.Periodic: the housekeeping threads' one loop (retention, the appointments'
feeds and sweep, the SMS sweeper, RDV Service Public's pull)."""
from __future__ import annotations

import logging
import threading
import time

from host_bridge.service.periodic import Periodic


def rounds_counter(fail: BaseException | None = None):
    done: list[int] = []
    ran = threading.Event()

    def run() -> None:
        done.append(len(done))
        ran.set()
        if fail is not None:
            raise fail
    return done, ran, run


def test_a_round_at_start_then_one_each_time_it_is_woken_and_none_after_stop():
    done, ran, run = rounds_counter()
    rounds = Periodic("test", run, every_s=3600).start()
    try:
        assert ran.wait(5) and len(done) == 1
        ran.clear()
        rounds.wake()
        assert ran.wait(5) and len(done) == 2
    finally:
        rounds.stop()
    assert not rounds._thread.is_alive() and rounds.stopping
    assert len(done) == 2


def test_wait_first_leaves_the_first_round_to_the_owner():
    done, ran, run = rounds_counter()
    rounds = Periodic("test", run, every_s=3600, wait_first=True).start()
    try:
        assert not ran.wait(0.2) and done == []
        rounds.wake()
        assert ran.wait(5) and done == [0]
    finally:
        rounds.stop()


def test_a_failing_round_is_logged_with_its_words_and_the_next_round_runs(caplog):
    done, ran, run = rounds_counter(fail=OSError("disk full"))
    with caplog.at_level(logging.ERROR, logger="host_bridge.service.periodic"):
        rounds = Periodic("purge", run, every_s=0.01, failed="the purge failed").start()
        try:
            deadline = time.monotonic() + 5
            while len(done) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            rounds.stop()
    assert len(done) >= 3
    assert any(r.getMessage() == "purge: the purge failed" and r.exc_info for r in caplog.records)


def test_expected_failures_are_not_logged_again(caplog):
    done, ran, run = rounds_counter(fail=ValueError("said already"))
    with caplog.at_level(logging.ERROR, logger="host_bridge.service.periodic"):
        rounds = Periodic("pull", run, every_s=0.01, expected=(ValueError,)).start()
        try:
            assert ran.wait(5)
        finally:
            rounds.stop()
    assert done and not caplog.records
