"""A bound on what a feed's repeat rules (RRULE) cost before any is expanded.

dateutil, under recurring_ical_events, walks a rule period by period from its DTSTART to the
first occurrence after the day asked, and to year 9999 when its filters never match
(BYMONTH=2;BYMONTHDAY=30): a 200-byte event can hold a thread for seconds or hours. So a feed
is refused, naming the event, unless every rule is one an appointment needs (daily at the most
often, the usual filters, one time of day per BYHOUR/BYMINUTE/BYSECOND value) and all rules
together ask for at most BUDGET_US of estimated walking.
"""
from __future__ import annotations

from datetime import date, datetime

# microseconds dateutil takes per period walked (measured: daily from year 1 is ~3.5 s)
COST_US = {"DAILY": 5, "WEEKLY": 15, "MONTHLY": 20, "YEARLY": 100}
DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 28, "YEARLY": 365}
BUDGET_US = 400_000  # the whole feed's rules: well under a second of the feeds' thread
FILTERS = {"BYDAY", "BYMONTH", "BYMONTHDAY"}
TIMES = {"BYHOUR", "BYMINUTE", "BYSECOND"}
KNOWN = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"} | FILTERS | TIMES
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class RuleRefused(ValueError):
    pass


def check(events, day: date) -> None:
    """Raise RuleRefused("event n (UID …): why") unless the rules of `events` (VEVENTs, in
    file order) are cheap to expand up to `day`."""
    spent = 0
    for n, event in enumerate(events, 1):
        rules = event.get("RRULE")
        if rules is None:
            continue
        uid = str(event.get("UID") or "").strip()
        where = f"event {n}" + (f" (UID {uid[:80]})" if uid else "")
        start = getattr(event.get("DTSTART"), "dt", None)
        if not isinstance(start, date):
            raise RuleRefused(f"{where}: a repeat rule without DTSTART")
        first = start.date() if isinstance(start, datetime) else start
        for rule in rules if isinstance(rules, list) else [rules]:
            try:
                spent += _cost(dict(rule), max((day - first).days, 0))
            except RuleRefused as exc:
                raise RuleRefused(f"{where}: repeat rule {rule.to_ical().decode()[:120]}: "
                                  f"{exc}") from None
            except (TypeError, ValueError, AttributeError):
                raise RuleRefused(f"{where}: a repeat rule that cannot be read") from None
            if spent > BUDGET_US:
                raise RuleRefused(f"{where}: the feed's repeat rules start too long ago or "
                                  "repeat too often to be expanded (each is walked from its "
                                  "DTSTART): keep them to recent dates")


def _cost(rule: dict, days_since: int) -> int:
    """The estimated microseconds dateutil walks for `rule`, or RuleRefused."""
    unknown = set(rule) - KNOWN
    if unknown:
        raise RuleRefused(f"{', '.join(sorted(unknown))} is not taken in an appointments feed")
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq not in COST_US:
        raise RuleRefused("an appointment repeats daily at the most often (FREQ=DAILY, WEEKLY, "
                          "MONTHLY or YEARLY)")
    interval = int((rule.get("INTERVAL") or [1])[0])
    if not 1 <= interval <= 1000:
        raise RuleRefused("INTERVAL must be 1 to 1000")
    times = 1
    for part in TIMES & set(rule):
        times *= len(rule[part])
    if times > 24:
        raise RuleRefused("over 24 times a day")
    filters = FILTERS & set(rule)
    ranked = [d for d in rule.get("BYDAY", []) if str(d).lstrip("+-")[:1].isdigit()]
    if ranked and (freq in ("DAILY", "WEEKLY") or "BYMONTHDAY" in rule):
        raise RuleRefused("a ranked BYDAY (1MO, -1FR) is taken with MONTHLY or YEARLY, "
                          "without BYMONTHDAY")
    most = 53 if freq == "YEARLY" and "BYMONTH" not in rule else 5
    if any(abs(int(str(d).rstrip("AEFHMORSTUW") or 0)) > most for d in ranked):
        raise RuleRefused(f"no such rank of a weekday (at most {most}): it never happens")
    if interval > 1 and filters and not (freq == "WEEKLY" and filters == {"BYDAY"}):
        raise RuleRefused("INTERVAL over 1 with BYDAY, BYMONTH or BYMONTHDAY may never "
                          "happen: one rule per case")
    if "BYMONTHDAY" in rule:
        months = [int(m) for m in rule.get("BYMONTH", range(1, 13))]
        if not any(abs(int(d)) <= MONTH_DAYS[m - 1] for m in months for d in rule["BYMONTHDAY"]):
            raise RuleRefused("no such day in its months: it never happens")
    # walked: from DTSTART to today, then on to the next match (within weeks, or 40 years for
    # a leap day on a given weekday)
    ahead = 0 if not filters else 40 * 365 if {"BYMONTH", "BYMONTHDAY"} <= filters else 2 * 365
    periods = (days_since + ahead) // (DAYS[freq] * interval) + 2
    return periods * COST_US[freq] * times
