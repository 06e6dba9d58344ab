"""Retention: days older than the setting lose their detail (every ticket's events, the answers
kept for retries) and keep a tally, so the indicators are the same before and after the purge;
nothing of today is touched."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from host_bridge.bootstrap import build
from host_bridge.domain import commands as c
from host_bridge.service.retention import Retention
from host_bridge.site_config import parse, read_toml

from support import EXAMPLE, example_refusal

AGENT = "user:agents"


def play_day(service, clock, n: int) -> None:
    """n accueil tickets: each waits 2 min more than the one before, served in 5; one vote."""
    service.execute(c.OpenCounter(1), AGENT)
    ids = []
    for i in range(n):
        answer = service.execute(c.IssueTicket("accueil", f"t{clock.now():%j}{i:03d}x" * 2),
                                 "public", f"kiosk-{clock.now():%j}-{i:03d}-key")
        ids.append(answer["ticket"]["id"])
    for i in range(n):
        clock.advance(2 * 60)
        service.execute(c.CallNext(1), AGENT)
        clock.advance(5 * 60)
        service.execute(c.Finish(1), AGENT)
    service.execute(c.GiveFeedback(4, 1, None), "device:avis-1")
    service.execute(c.IssueTicket("etat-civil", f"left{clock.now():%j}" * 3), "public")  # left


@pytest.fixture
def bridge(settings, clock):
    b = build(settings, clock)
    for _ in range(3):  # Thursday, Friday, Saturday 26-28 November
        play_day(b.service, clock, 4)
        clock.advance(24 * 3600 - 4 * 7 * 60)
    yield b
    b.close()


def events_per_day(path: str) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT day, count(*) FROM events GROUP BY day"))
    finally:
        db.close()


def test_purged_days_keep_the_same_indicators(bridge, settings):
    service = bridge.service
    first, last = date(2026, 11, 26), date(2026, 11, 29)
    before = service.indicators(first, last)
    assert before.total.issued == 15 and before.total.expired == 2
    purged = Retention(service, days=2).run_once()  # today is the 29th: keep the 27th on
    assert purged == ["2026-11-26"]
    assert "2026-11-26" not in events_per_day(settings.db_path)
    after = service.indicators(first, last)
    assert after == before
    one_day = service.indicators(first, first)  # the purged day alone, from its tally
    a = one_day.services["accueil"]
    # waits 2, 9, 16 and 23 min (each waits for those before): median 12.5
    assert (a.issued, a.served, a.wait_median, a.service_mean) == (4, 4, 12.5, 5.0)
    assert one_day.total.expired == 1  # the ticket it left: known from the next day start
    assert one_day.days == ["2026-11-26"] and one_day.satisfaction.votes == 1


def test_a_purged_day_keeps_no_ticket_and_no_time_of_day(bridge, settings):
    Retention(bridge.service, days=1).run_once()
    db = sqlite3.connect(settings.db_path)
    try:
        (body,) = db.execute("SELECT body FROM daily_tallies WHERE day='2026-11-26'").fetchone()
        answers = db.execute("SELECT count(*) FROM requests").fetchone()[0]
    finally:
        db.close()
    assert "A001" not in body and "t33" not in body and "T" not in body.replace("True", "")
    assert answers <= 2 * 4 + 6  # the answers of the purged days are gone with them


def test_purging_again_changes_nothing_and_the_last_days_are_kept(bridge, settings):
    retention = Retention(bridge.service, days=1)
    assert len(retention.run_once()) == 2
    kept = events_per_day(settings.db_path)
    assert retention.run_once() == [] and events_per_day(settings.db_path) == kept
    assert list(kept) == ["2026-11-28"]  # the day before today (the 29th): kept


@pytest.mark.parametrize("days", [0, 30, 4000, "400", True])
def test_a_bad_retention_setting_is_refused(days):
    refusal = example_refusal(lambda d: d["store"].update(retention_days=days))
    assert refusal.key == "store.retention_days"


def test_the_example_keeps_the_detail_400_days():
    assert parse(read_toml(EXAMPLE), "site.toml").retention_days == 400
    without = read_toml(EXAMPLE)
    del without["store"]["retention_days"]
    assert parse(without, "x").retention_days == 400
