"""simulators.estimate_replay's summary scores « inside the range » and the widths on the ranges
shown only: a day told only uncertain estimates claims no range held."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from simulators.estimate_replay import Replayed, summary

AT = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_a_day_told_only_uncertain_estimates_claims_no_range_held():
    rows = [Replayed("A001", "accueil", AT, 2, 5, 15, 10.0, 10.0, reliable=False),
            Replayed("A002", "accueil", AT, 3, 6, 18, 12.0, 12.0, reliable=False)]
    text = summary(rows)
    assert "100 % told the estimate was uncertain" in text
    assert "100 % inside" not in text, text
