"""Events survive the trip through the history table's JSON: decode(encode(e)) == e."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host_bridge.domain import events as e
from host_bridge.domain.events import EVENT_TYPES
from host_bridge.store.event_codec import event_from_json, event_to_json

# Zones the bridge may run in (metropolitan France and overseas), plus UTC.
ZONES = ["Europe/Paris", "America/Cayenne", "America/Guadeloupe", "Indian/Reunion",
         "Pacific/Noumea", "Pacific/Tahiti", "America/Miquelon", "UTC"]

fixed_offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
zones = st.sampled_from(ZONES).map(ZoneInfo)


def _unambiguous(dt: datetime) -> bool:
    """False for a wall time that happens twice (autumn clock change): see the test below."""
    return dt.replace(fold=0).utcoffset() == dt.replace(fold=1).utcoffset()


aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31),
    timezones=st.one_of(st.just(timezone.utc), fixed_offsets, zones),
    allow_imaginary=False,
).filter(_unambiguous)

ids = st.text(min_size=0, max_size=30)
FIELD_STRATEGIES = {
    "datetime": aware_datetimes,
    "date": st.dates(),
    "str": ids,
    "int": st.integers(),
    "str | None": st.none() | ids,
    "int | None": st.none() | st.integers(),
    "datetime | None": st.none() | aware_datetimes,
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "tuple[str, ...]": st.lists(ids, max_size=5).map(tuple),
}


def event_strategy(cls):
    fields = dataclasses.fields(cls)
    return st.builds(cls, **{f.name: FIELD_STRATEGIES[str(f.type)] for f in fields})


def test_every_event_field_has_a_strategy_here():
    # a new field type added to an event must be given a strategy (and a decoder) too
    kinds = {str(f.type) for cls in EVENT_TYPES.values() for f in dataclasses.fields(cls)}
    assert kinds <= set(FIELD_STRATEGIES), kinds - set(FIELD_STRATEGIES)


def test_every_event_type_is_registered_under_its_class_name():
    assert sorted(EVENT_TYPES) == sorted(
        name for name, obj in vars(e).items()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == e.__name__)
    assert all(cls.__name__ == name for name, cls in EVENT_TYPES.items())


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_an_event_decodes_to_itself(type_name, data):
    event = data.draw(event_strategy(EVENT_TYPES[type_name]))
    text = event_to_json(event)
    decoded = event_from_json(type_name, text)
    assert decoded == event
    assert type(decoded) is type(event)
    for f in dataclasses.fields(event):
        before, after = getattr(event, f.name), getattr(decoded, f.name)
        assert type(after) is type(before), f.name
        if isinstance(before, datetime):
            # same instant *and* same local reading: pages show the local time
            assert after.utcoffset() == before.utcoffset()
            assert after.replace(tzinfo=None) == before.replace(tzinfo=None)
    assert event_to_json(decoded) == text  # and encoding is stable


@given(event=event_strategy(e.TicketIssued))
def test_the_encoded_event_is_one_json_object_with_one_member_per_field(event):
    body = json.loads(event_to_json(event))
    assert set(body) == {f.name for f in dataclasses.fields(event)}
    assert body["at"] == event.at.isoformat()


def test_a_day_start_keeps_its_date_a_date_and_its_expired_tickets_a_tuple():
    at = datetime(2025, 3, 4, 0, 5, tzinfo=ZoneInfo("Europe/Paris"))
    event = e.DayStarted(date(2025, 3, 4), at, ("t1", "t2"))
    decoded = event_from_json("DayStarted", event_to_json(event))
    assert decoded == event
    assert type(decoded.day) is date and decoded.expired == ("t1", "t2")


def test_text_outside_ascii_is_kept_as_is():
    event = e.TicketIssued("é-ü-€-🎫", "état-civil", 7, "C007", "famille", datetime(
        2025, 3, 3, 9, 0, tzinfo=timezone.utc))
    text = event_to_json(event)
    assert "é-ü-€-🎫" in text
    assert event_from_json("TicketIssued", text) == event


def test_an_event_at_the_repeated_hour_of_the_autumn_clock_change_decodes_to_itself():
    """On the last Sunday of October, 02:30 happens twice in Paris; the site clock produces such
    datetimes with ZoneInfo (fold 0, then fold 1). JSON keeps only the offset, and Python never
    considers an ambiguous ZoneInfo time equal to one in another tzinfo, so the store decodes
    times back into the site's zone."""
    paris = ZoneInfo("Europe/Paris")
    for fold in (0, 1):
        at = datetime(2025, 10, 26, 2, 30, fold=fold, tzinfo=paris)
        event = e.TicketCalled("t1", 1, at)
        decoded = event_from_json("TicketCalled", event_to_json(event), paris)
        assert decoded.at - event.at == timedelta(0)
        assert decoded == event, f"fold={fold}"
