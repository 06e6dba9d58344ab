"""The estimate as clock times (service/wait_window.py): ordered, never before now, rounded to
5 minutes for longer waits, in the site's zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from host_bridge.service.wait_window import clock_window

PARIS = ZoneInfo("Europe/Paris")


def test_a_long_wait_reads_to_five_minutes_in_the_site_s_zone():
    now = datetime(2026, 12, 7, 9, 23, 10, tzinfo=timezone.utc)  # 10:23 in Paris
    w = clock_window(now, "Europe/Paris", minutes=17, low=12, high=27)
    assert w == {"expected_at": "2026-12-07T10:40:00+01:00",
                 "earliest_at": "2026-12-07T10:35:00+01:00",
                 "latest_at": "2026-12-07T10:55:00+01:00"}


def test_a_short_wait_reads_to_the_minute_and_never_before_now():
    now = datetime(2026, 12, 7, 10, 23, 40, tzinfo=PARIS)
    w = clock_window(now, "Europe/Paris", minutes=2, low=1, high=4)
    assert (w["earliest_at"], w["expected_at"], w["latest_at"]) == (
        "2026-12-07T10:24:00+01:00", "2026-12-07T10:26:00+01:00", "2026-12-07T10:28:00+01:00")


@given(now=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31),
                        timezones=st.just(timezone.utc)),  # the changes of hour included
       low=st.integers(0, 600), width=st.integers(1, 300), at=st.floats(0, 1))
def test_times_are_ordered_never_before_now_and_hold_the_range(now, low, width, at):
    high = low + width
    w = clock_window(now, "Europe/Paris", low + at * width, low, high)
    earliest, expected, latest = (datetime.fromisoformat(w[k]) for k in
                                  ("earliest_at", "expected_at", "latest_at"))
    assert now <= earliest <= expected <= latest
    assert earliest <= max(now + timedelta(minutes=low), now + timedelta(minutes=1))
    assert latest >= now + timedelta(minutes=high)  # rounding only widens the window
    assert latest.minute % (5 if high > 15 else 1) == 0 and latest.second == 0
    for t in (earliest, expected, latest):
        assert t.utcoffset() == t.astimezone(PARIS).utcoffset()  # the site's local time
