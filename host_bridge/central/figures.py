"""A site's indicators at central, with the site's own definitions: the same events, the same
functions (domain/indicators.py), the site's services and targets as its last state gave them.
So central's figures for a site equal the site's own for the same days, to the ticket.
"""
from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.indicators import Indicators, Tally, indicators, tally
from ..domain.site import Service, Site
from ..store.event_codec import event_from_json


class SiteUnknown(LookupError):
    pass


def site_of_state(site_id: str, state: dict[str, Any]) -> Site:
    """The domain Site the indicators need (services and their targets) from a site's state."""
    info = state["site_info"]
    services = tuple(Service(s["id"], s.get("letter", "?"), s["name"],
                             s["target_wait_minutes"]) for s in info["services"])
    return Site(site_id, info["name"], info["timezone"], services, ())


def described_site(conn: Any, site_id: str) -> Site:
    """The site as its latest state describes it (SiteUnknown: it never sent one)."""
    row = conn.execute("SELECT state FROM states WHERE site = %s", (site_id,)).fetchone()
    if row is None:
        raise SiteUnknown(site_id)
    return site_of_state(site_id, row[0])


def site_tally(conn: Any, site: Site, first: date, last: date) -> Tally:
    """The site's events of business days first..last, in the site's order, tallied."""
    tz = ZoneInfo(site.timezone)
    rows = conn.execute("SELECT type, body FROM events WHERE site = %s AND day BETWEEN %s AND %s "
                        "ORDER BY seq", (site.id, first, last))
    return tally((event_from_json(kind, body, tz) for kind, body in rows), tz)


def site_indicators(conn: Any, site_id: str, first: date, last: date) -> Indicators:
    site = described_site(conn, site_id)
    return indicators(site_tally(conn, site, first, last), site)


# ----- several sites at once (a region, the network) -----------------------------------------
def combined_indicators(parts: list[tuple[Site, Tally]]) -> Indicators:
    """Many sites' figures as one, with the site's definitions: each ticket against its own
    service's target (not a mean of the sites' means), the waits pooled for the median and
    the 90th percentile, the opinions and tickets per hour added up. Each service is named
    `<site>/<service>` in the result's `services`; `total` is the figure of them all."""
    merged, services = Tally(), []
    for site, t in parts:
        merged.merge(Tally({f"{site.id}/{k}": v for k, v in t.services.items()},
                           t.per_hour, t.scores, t.days))
        services += [Service(f"{site.id}/{s.id}", s.letter, s.name, s.target_wait_minutes)
                     for s in site.services]
    return indicators(merged, Site("network", "network", "UTC", tuple(services), ()))


def day_tallies(conn: Any, site: Site, first: date, last: date) -> dict[date, Tally]:
    """Each business day's tally alone (as the site's CSV: one day at a time), from one read."""
    tz = ZoneInfo(site.timezone)
    by_day: dict[date, list[Any]] = {}
    for day, kind, body in conn.execute(
            "SELECT day, type, body FROM events WHERE site = %s AND day BETWEEN %s AND %s "
            "ORDER BY seq", (site.id, first, last)):
        by_day.setdefault(day, []).append(event_from_json(kind, body, tz))
    return {day: tally(events, tz) for day, events in sorted(by_day.items())}


def closed_tally(conn: Any, site: Site, first: date, last: date, next_day: date) -> Tally:
    """Business days first..last as a period going on to `next_day` would count them: with
    next_day's DayStarted, which expires the tickets `last` left waiting. Merged with
    next_day's own tally (and later days'), it makes the tally of the whole period."""
    tz = ZoneInfo(site.timezone)
    rows = conn.execute("SELECT type, body FROM events WHERE site = %s AND (day BETWEEN %s AND "
                        "%s OR day = %s AND type = 'DayStarted') ORDER BY seq",
                        (site.id, first, last, next_day))
    return tally((event_from_json(kind, body, tz) for kind, body in rows), tz)
