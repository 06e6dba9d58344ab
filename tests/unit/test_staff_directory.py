"""The staff directory without HTTP: password hashing and its parameters, lockout arithmetic,
the bounded memory of failures, session ends across a clock change, the audit's writer."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher

from host_bridge.service.clock import ManualClock
from host_bridge.staff import SignInRefused, StaffDirectory, staff_path
from host_bridge.staff import directory as d
from host_bridge.staff.passwords import Passwords, password_problem

PARIS = ZoneInfo("Europe/Paris")
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))


@pytest.fixture
def staff(tmp_path, clock):
    s = StaffDirectory(str(tmp_path / "q.staff.db"), clock, PARIS, frozenset({1, 2, 3}),
                       Passwords(CHEAP))
    s.create("test", "claire", "Claire", "agent", [1], PASSWORD, via="test")
    yield s
    s.close()


def stored_hash(staff: StaffDirectory, login: str = "claire") -> str:
    return staff.store.account(login)[1]


def test_the_password_is_hashed_with_argon2id_and_never_kept_as_it_is(staff):
    h = stored_hash(staff)
    assert h.startswith("$argon2id$") and PASSWORD not in h


def test_a_hash_made_with_older_parameters_is_made_again_at_the_next_sign_in(tmp_path, clock):
    old = StaffDirectory(str(tmp_path / "s.db"), clock, PARIS, None, Passwords(CHEAP))
    old.create("test", "claire", "Claire", "agent", [], PASSWORD, via="test")
    old.close()
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    new = StaffDirectory(str(tmp_path / "s.db"), clock, PARIS, None, Passwords(stronger))
    before = stored_hash(new)
    with pytest.raises(SignInRefused):
        new.sign_in("claire", "wrong-password-here")
    assert stored_hash(new) == before  # a failed sign-in does not rehash
    new.sign_in("claire", PASSWORD)
    after = stored_hash(new)
    assert after != before and "m=2048,t=2,p=1" in after
    new.sign_in("claire", PASSWORD)
    assert stored_hash(new) == after  # already with the current parameters: left alone
    new.close()


def test_the_default_parameters_are_argon2s_own_recommended_ones():
    assert Passwords().hasher.time_cost >= 3 and Passwords().hasher.memory_cost >= 64 * 1024


@pytest.mark.parametrize("password, problem", [
    ("a" * 11, "12 to 128"), ("a" * 129, "12 to 128"), (" " + "a" * 12, "space"),
    (None, "text"), ("a" * 12, None), ("é" * 128, None)])
def test_new_passwords_are_bounded_and_the_reason_never_quotes_them(password, problem):
    said = password_problem(password)
    assert (said is None) == (problem is None)
    if problem:
        assert problem in said and (not isinstance(password, str) or password not in said)


def test_the_lock_lasts_its_time_and_failures_after_it_count_from_zero(staff, clock):
    for _ in range(d.LOCK_AFTER - 1):
        with pytest.raises(SignInRefused) as refused:
            staff.sign_in("claire", "wrong-password-here")
        assert refused.value.status == 401
    staff.sign_in("claire", PASSWORD)  # a success in between: the count starts again
    for _ in range(d.LOCK_AFTER):
        with pytest.raises(SignInRefused):
            staff.sign_in("claire", "wrong-password-here")
    clock.advance(d.LOCK_SECONDS - 1)
    with pytest.raises(SignInRefused) as refused:
        staff.sign_in("claire", PASSWORD)
    assert refused.value.code == "sign_in_locked" and refused.value.retry_after == 2
    clock.advance(1)
    with pytest.raises(SignInRefused) as refused:
        staff.sign_in("claire", "wrong-password-here")
    assert refused.value.status == 401  # one failure after the lock: not locked again
    staff.sign_in("claire", PASSWORD)


def test_the_failures_of_addresses_and_unknown_logins_are_bounded(staff, monkeypatch):
    monkeypatch.setattr(d, "TRACKED", 5)
    for i in range(20):
        with pytest.raises(SignInRefused):
            staff.sign_in(f"ghost-{i}", "wrong-password-here", address=f"10.0.0.{i}")
    assert len(staff._unknown) == len(staff._addresses) == 5
    assert list(staff._unknown) == [f"ghost-{i}" for i in range(15, 20)]


def test_a_session_started_the_evening_before_a_clock_change_ends_at_local_midnight(tmp_path):
    clock = ManualClock(datetime(2026, 10, 24, 23, 30, tzinfo=PARIS))  # CEST; 25th: back to CET
    staff = StaffDirectory(str(tmp_path / "s.db"), clock, PARIS, None, Passwords(CHEAP))
    staff.create("test", "claire", "Claire", "agent", [], PASSWORD, via="test")
    _, _, expires = staff.sign_in("claire", PASSWORD)
    assert datetime.fromtimestamp(expires, PARIS) == datetime(2026, 10, 25, 0, 0, tzinfo=PARIS)
    staff.close()


def test_staff_file_sits_beside_the_queues():
    assert staff_path("/var/lib/suivant/suivant.db") == "/var/lib/suivant/suivant.staff.db"
    assert staff_path("queue.db") == "queue.staff.db"
    assert staff_path(":memory:") == ":memory:"


def test_the_audit_writer_finds_who_sits_at_a_counter_for_a_boards_events(staff):
    token, _, _ = staff.sign_in("claire", PASSWORD, counter=1)
    staff.audit.on_events([{"type": "TicketCalled", "counter": 1, "label": "C001"},
                           {"type": "TicketIssued", "label": "C002"},  # no counter: not staff's
                           {"type": "TicketCalled", "counter": 2, "label": "A001"}])
    staff.audit.flush()
    rows = [(e["actor"], e["action"], e["counter"], e["label"], e["via"])
            for e in staff.store.audit_after(0, 100) if e["via"] == "board"]
    assert rows == [("claire", "called", 1, "C001", "board"), (None, "called", 2, "A001", "board")]
    assert staff.take_counter(staff.user_for_token(token), 3) is False  # not one of hers


def test_old_audit_entries_go_after_the_retention(staff, clock):
    from host_bridge.staff.audit import RETENTION_DAYS
    staff.audit.record("sign_in", "claire")
    clock.advance(RETENTION_DAYS * 86400 + 86400)
    staff.audit.on_events([{"type": "CounterOpened", "counter": 1}])  # the day's first write
    staff.audit.flush()
    assert [e["action"] for e in staff.store.audit_after(0, 100)] == ["counter_opened"]


def test_the_audit_writer_thread_ends_when_idle_and_the_next_event_starts_another(staff,
                                                                                   monkeypatch):
    from host_bridge.staff import audit
    monkeypatch.setattr(audit, "IDLE_SECONDS", 0.05)
    staff.audit.on_events([{"type": "CounterOpened", "counter": 1}])
    first = staff.audit._thread
    assert first is not None
    first.join(2)  # a bridge dropped without close leaves no thread behind
    assert not first.is_alive() and staff.audit._thread is None
    staff.audit.on_events([{"type": "CounterPaused", "counter": 1}])
    staff.audit.flush()
    assert [e["action"] for e in staff.store.audit_after(0, 10)] == [
        "account_created", "counter_opened", "counter_paused"]


def test_sessions_left_open_are_purged_at_the_next_sign_in(staff, clock):
    staff.sign_in("claire", PASSWORD)  # a tab closed without signing out
    clock.advance(d.IDLE_SECONDS + 1)
    staff.sign_in("claire", PASSWORD)
    assert staff.store.db.execute("SELECT count(*) FROM sessions").fetchone() == (1,)


def test_a_failed_statement_leaves_no_transaction_open(staff):
    import sqlite3
    staff.store.open_session("same", "claire", 0.0, 1e12, None)
    with pytest.raises(sqlite3.IntegrityError):
        staff.store.open_session("same", "claire", 0.0, 1e12, 1)
    staff.store.open_session("other", "claire", 0.0, 1e12, 1)  # BEGIN works again
    assert staff.store.db.in_transaction is False


@pytest.mark.parametrize("login, address_limit", [("claire", 1000), ("ghost", 1000),
                                                  ("claire", 3)])
def test_a_burst_of_simultaneous_guesses_is_counted_before_the_passwords_are_checked(
        staff, monkeypatch, login, address_limit):
    """Twenty guesses sent at once: each is counted when it arrives, not when its (slow) hash
    is done, so only the first few are checked; the others are refused as locked at once."""
    import threading
    import time
    monkeypatch.setattr(d, "ADDRESS_FAILURES", address_limit)
    checked, answers, gate = [], [], threading.Event()
    verify = staff.passwords.verify

    def slow_verify(stored, password):
        checked.append(password)
        gate.wait(5)  # every guess arrives while the first ones are still being hashed
        return verify(stored, password)
    monkeypatch.setattr(staff.passwords, "verify", slow_verify)

    def guess(i: int) -> None:
        try:
            staff.sign_in(login, f"guess-number-{i:02}", address="10.0.0.9")
        except SignInRefused as exc:
            answers.append(exc.code)
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(checked) + len(answers) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)  # the threads that are refused at once, and those waiting at the gate
    gate.set()
    for t in threads:
        t.join(5)
    allowed = min(d.LOCK_AFTER, address_limit)
    assert len(checked) == allowed
    assert sorted(answers) == ["sign_in_locked"] * (20 - allowed) + ["sign_in_refused"] * allowed
