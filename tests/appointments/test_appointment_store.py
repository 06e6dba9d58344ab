"""The day's appointments in their own SQLite file (host_bridge/appointments/store.py)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from host_bridge.appointments import store as store_module
from host_bridge.appointments.model import Appointment, Status
from host_bridge.appointments.store import AppointmentStore, TooMany, appointments_path
from support import PARIS

from appointment_support import DAY, at, booked


@pytest.fixture
def store(tmp_path):
    s = AppointmentStore(str(tmp_path / "queue.appointments.db"), PARIS)
    yield s
    s.close()


def rows(store):
    return {a.external_id: (a.status, a.code) for a in store.day(DAY)}


def test_the_file_sits_beside_the_queues():
    assert appointments_path("/var/lib/suivant/mairie.db") == \
        "/var/lib/suivant/mairie.appointments.db"


def test_an_import_adds_updates_and_cancels_what_left_the_feed(store):
    assert store.replace_day("api", DAY, [booked("1", "09:00", "A1"), booked("2", "09:15", "A2"),
                                          booked("3", "09:30", "A3")]) == \
        {"added": 3, "updated": 0, "cancelled": 0}
    first = store.get("api", "1")
    store.set_ticket(first, "t1")
    store.mark(first, Status.CHECKED_IN)
    # 1 checked in and 2 gone from the feed; 3 moved to 09:45
    counts = store.replace_day("api", DAY, [booked("3", "09:45", "A3"), booked("4", "10:00", "A4")])
    assert counts == {"added": 1, "updated": 1, "cancelled": 1}
    assert rows(store) == {"1": (Status.CHECKED_IN, "A1"), "2": (Status.CANCELLED, "A2"),
                           "3": (Status.BOOKED, "A3"), "4": (Status.BOOKED, "A4")}
    assert store.get("api", "3").at == at("09:45")
    # back in the feed: booked again
    store.replace_day("api", DAY, [booked("2", "09:15", "A2")])
    assert store.get("api", "2").status is Status.BOOKED


def test_an_import_of_one_service_leaves_the_others_alone(store):
    store.replace_day("api", DAY, [booked("1", "09:00", "A1", service="etat-civil")])
    store.replace_day("api", DAY, [booked("2", "09:00", "A2")], service="passeports-cni")
    assert rows(store)["1"] == (Status.BOOKED, "A1")


def test_a_refused_import_changes_nothing(store):
    store.replace_day("api", DAY, [booked("1", "09:00", "A1")])
    with pytest.raises(ValueError, match="given twice"):
        store.replace_day("api", DAY, [booked("2", "09:00"), booked("2", "09:30")])
    with pytest.raises(ValueError, match="not of api on 2026-11-26"):
        store.replace_day("api", DAY, [booked("2", "09:00", source="csv")])
    assert rows(store) == {"1": (Status.BOOKED, "A1")}


def test_a_source_holds_a_bounded_day(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_PER_DAY", 3)
    with pytest.raises(TooMany, match="3 at most"):
        store.replace_day("api", DAY, [booked(str(i), "09:00") for i in range(4)])
    assert store.day(DAY) == []
    store.replace_day("api", DAY, [booked(str(i), "09:00") for i in range(3)])
    with pytest.raises(TooMany):
        store.upsert(booked("9", "10:00"))
    assert not store.upsert(booked("2", "10:00"))  # a change to one it holds is fine


def test_lookups_by_code_ants_initials_and_ticket(store):
    store.replace_day("api", DAY, [
        booked("1", "09:00", "A1", ants="AB12CD34EF", initials="DJ"),
        booked("2", "10:30", "A2", initials="DJ")])
    store.set_ticket(store.get("api", "2"), "t2")
    assert [a.external_id for a in store.by_code(DAY, "A1")] == ["1"]
    assert [a.external_id for a in store.by_ants(DAY, "AB12CD34EF")] == ["1"]
    assert [a.external_id for a in store.by_initials(DAY, "DJ", at("10:30").time())] == ["2"]
    assert store.by_ticket("t2").external_id == "2"
    assert store.ants_numbers(DAY) == {"AB12CD34EF"}
    assert store.by_code(date(2026, 11, 27), "A1") == []


def test_cancel_keeps_a_checked_in_appointment(store):
    store.replace_day("api", DAY, [booked("1", "09:00", "A1"), booked("2", "09:00", "A2")])
    store.mark(store.get("api", "2"), Status.CHECKED_IN)
    assert store.cancel("api", "1").status is Status.CANCELLED
    assert store.cancel("api", "2").status is Status.CHECKED_IN
    assert store.cancel("api", "nope") is None


def test_nothing_is_kept_of_past_days(store):
    yesterday = date(2026, 11, 25)
    store.upsert(Appointment("api", "old", "passeports-cni", at("09:00", yesterday), code="A0"))
    store.upsert(booked("new", "09:00", "A1"))
    assert store.purge_before(DAY) == 1
    assert store.day(yesterday) == []
    assert [a.external_id for a in store.day(DAY)] == ["new"]


STEPS = st.lists(st.one_of(
    st.tuples(st.just("feed"), st.frozensets(st.integers(0, 5))),
    st.tuples(st.just("check_in"), st.integers(0, 5))), max_size=12)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STEPS)
def test_imports_and_check_ins_against_a_reference(tmp_path_factory, steps):
    """Whatever the order of feeds and check-ins: an id in the last feed is booked, unless
    checked in; one that left it is cancelled, unless checked in; a check-in is never undone."""
    store = AppointmentStore(str(tmp_path_factory.mktemp("ref") / "a.db"), PARIS)
    expected: dict[str, Status] = {}
    try:
        for kind, arg in steps:
            if kind == "feed":
                store.replace_day("api", DAY, [booked(str(i), "09:00", f"C{i}") for i in arg])
                for i in map(str, arg):
                    if expected.get(i) is not Status.CHECKED_IN:
                        expected[i] = Status.BOOKED
                for i, s in expected.items():
                    if int(i) not in arg and s is Status.BOOKED:
                        expected[i] = Status.CANCELLED
            elif (a := store.get("api", str(arg))) is not None and a.status is Status.BOOKED:
                store.mark(a, Status.CHECKED_IN)
                expected[str(arg)] = Status.CHECKED_IN
        assert {a.external_id: a.status for a in store.day(DAY)} == expected
    finally:
        store.close()
