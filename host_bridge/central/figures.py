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
