"""What central's pages show, read from its PostgreSQL (one sync connection per call): the
sites and their state, the indicators of a site, a region or the network over a period, their
CSV, the Services Publics+ yearly summary. The HTTP routes (app.py) only check and answer.

A `region` account's scope is its region's sites, everywhere; `network` sees them all.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..api.auth import Forbidden
from ..api.indicators import COLUMNS, SHARES, indicators_view
from ..domain.indicators import Figures, Indicators, Tally, indicators
from ..domain.site import Site
from .accounts import CentralUser
from .figures import (closed_tally, combined_indicators, day_tallies, site_of_state,
                      site_tally)

CONNECTED_SECONDS = 30.0  # 3 × the sites' default state period (10 s): silent past this


class Unknown(LookupError):
    """An unknown site or region (404): `what` is "site" or "region"."""

    def __init__(self, what: str, name: str):
        super().__init__(f"unknown {what} {name!r}")
        self.what, self.name = what, name


@dataclass(frozen=True)
class Scope:
    kind: str  # "site", "region", "network"
    name: str | None  # the site's id, the region; None for the network
    sites: list[tuple[str, str, str]]  # (id, name, region), by region then name

    def view(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "sites": len(self.sites)}


def listed_sites(conn: Any) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT id, name, region FROM sites WHERE listed ORDER BY region, name, id").fetchall()]


def regions_seen(user: CentralUser, sites: list[tuple[str, str, str]]) -> list[str]:
    return sorted({r for _, _, r in sites if r and user.sees(r)})


def scope(conn: Any, user: CentralUser, site: str | None = None,
          region: str | None = None) -> Scope:
    """The sites a request is about: one site, a region, or all the user may see."""
    sites = listed_sites(conn)
    if site is not None:
        found = [s for s in sites if s[0] == site]
        if not found:
            raise Unknown("site", site)
        if not user.sees(found[0][2]):
            raise Forbidden(f"{user.login} sees only the sites of {user.region!r}")
        return Scope("site", site, found)
    if region is not None:
        if not any(r == region for _, _, r in sites):
            raise Unknown("region", region)
        if not user.sees(region):
            raise Forbidden(f"{user.login} sees only the sites of {user.region!r}")
        return Scope("region", region, [s for s in sites if s[2] == region])
    if user.role == "region":
        return Scope("region", user.region, [s for s in sites if s[2] == user.region])
    return Scope("network", None, sites)


class TallyMemo:
    """Each site's tally of a period in two parts: its settled days (every day before the
    latest one it has events of, closed by that day's start), kept while their events stay
    the same (their count and highest sequence number: rows are only ever added); and its
    latest day, read each time (its events are still coming). Reading and tallying takes about
    15 µs an event (a 100-site network's year: ~2 million events, half a minute): during the
    day a year costs each site its day's events and a signature read on one index range."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._kept: OrderedDict[tuple, tuple[tuple, Tally]] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # settled parts read from events (the tests count them)

    def tally(self, conn: Any, site: Site, first: date, last: date) -> Tally:
        latest = conn.execute("SELECT max(day) FROM events WHERE site = %s AND day BETWEEN %s "
                              "AND %s", (site.id, first, last)).fetchone()[0]
        if latest is None:
            return Tally()
        recent = site_tally(conn, site, latest, latest)
        if latest == first:
            return recent
        settled = self._settled(conn, site, first, latest)
        return Tally().merge(settled).merge(recent)  # neither part changed: both kept

    def _settled(self, conn: Any, site: Site, first: date, latest: date) -> Tally:
        signature = tuple(conn.execute(
            "SELECT count(*), coalesce(max(seq), 0) FROM events WHERE site = %s AND day >= %s "
            "AND day < %s", (site.id, first, latest)).fetchone())
        key = (site.id, site.timezone, first, latest)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == signature:
                self._kept.move_to_end(key)
                return kept[1]
        t = closed_tally(conn, site, first, latest - timedelta(days=1), latest)
        with self._lock:
            self.computed += 1
            self._kept[key] = (signature, t)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return t


MEMO = TallyMemo()


def _states(conn: Any, ids: list[str]) -> dict[str, Site]:
    """The sites of `ids` that sent a state, as their latest state describes them."""
    return {site: site_of_state(site, state) for site, state in conn.execute(
        "SELECT site, state FROM states WHERE site = ANY(%s)", (ids,)).fetchall()}


# ----- the sites list ------------------------------------------------------------------------
def sites_list(conn: Any, user: CentralUser, region: str | None = None) -> dict[str, Any]:
    s = scope(conn, user, region=region)
    out = _site_rows(conn, s)
    unattributed = 0
    if user.role == "network":  # messages that named no site central knows: the network's
        unattributed = int(conn.execute("SELECT coalesce(sum(count), 0) FROM rejects "
                                        "WHERE site = '' OR site NOT IN (SELECT id FROM sites)"
                                        ).fetchone()[0])
    return {"scope": s.view(), "connected_seconds": CONNECTED_SECONDS,
            "regions": regions_seen(user, listed_sites(conn)), "sites": out,
            "refused_unattributed": unattributed}


def site_now(conn: Any, user: CentralUser, site: str) -> dict[str, Any]:
    """One site's row of the list, with its services now: waiting, and their target."""
    s = scope(conn, user, site=site)
    row = _site_rows(conn, s)[0]
    state = conn.execute("SELECT state FROM states WHERE site = %s", (site,)).fetchone()
    waiting = row["waiting_by_service"] or {}
    row["services"] = [] if state is None else [
        {"id": x["id"], "name": x["name"], "target_wait_minutes": x["target_wait_minutes"],
         "waiting": waiting.get(x["id"])} for x in state[0]["site_info"]["services"]]
    return row


def _site_rows(conn: Any, s: Scope) -> list[dict[str, Any]]:
    ids = [i for i, _, _ in s.sites]
    rows = conn.execute(
        "SELECT s.id, st.received_at, st.state, "
        " extract(epoch FROM clock_timestamp() - st.received_at), p.contiguous,"
        " p.last_received_at, extract(epoch FROM clock_timestamp() - p.last_received_at),"
        " coalesce((SELECT sum(count) FROM rejects r WHERE r.site = s.id), 0),"
        " coalesce((SELECT count FROM duplicates d WHERE d.site = s.id), 0) "
        "FROM sites s LEFT JOIN states st ON st.site = s.id "
        "LEFT JOIN progress p ON p.site = s.id WHERE s.id = ANY(%s)", (ids,)).fetchall()
    by_id = {r[0]: r for r in rows}
    today = _today_figures(conn, {r[0]: r[2] for r in rows if r[2] is not None})
    out = []
    for site_id, name, region in s.sites:
        _, seen_at, state, age, contiguous, event_at, event_age, refused, dups = by_id[site_id]
        now = (state or {}).get("now") or {}
        last_seq = (state or {}).get("last_seq")
        out.append({
            "id": site_id, "name": name, "region": region,
            "state": "never" if state is None else
                     "connected" if age <= CONNECTED_SECONDS else "silent",
            "last_seen": seen_at.isoformat() if seen_at else None,
            "seconds_since_state": None if age is None else round(float(age), 1),
            "lag": {"events": None if last_seq is None else max(0, last_seq - (contiguous or 0)),
                    "seconds_since_event": None if event_age is None
                    else round(float(event_age), 1),
                    "last_event_at": event_at.isoformat() if event_at else None},
            "held_up_to": contiguous or 0,
            "open_counters": now.get("open_counters"),
            "waiting": None if state is None else sum(now.get("waiting", {}).values()),
            "waiting_by_service": now.get("waiting"),
            "today": today.get(site_id),
            "refused": int(refused), "duplicates": int(dups)})
    return out


def _today_figures(conn: Any, states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each site's current day (its state's `now.day`): tickets issued, received, median wait."""
    days = {s: st["now"]["day"] for s, st in states.items()
            if isinstance(st.get("now"), dict) and st["now"].get("day")}
    if not days:
        return {}
    sites = {s: site_of_state(s, st) for s, st in states.items() if s in days}
    out = {}
    for site_id, day in days.items():
        t = MEMO.tally(conn, sites[site_id], date.fromisoformat(day), date.fromisoformat(day))
        f = indicators(t, sites[site_id]).total
        out[site_id] = {"day": day, "issued": f.issued, "served": f.served,
                        "wait_median": f.wait_median}
    return out


# ----- indicators over a period ---------------------------------------------------------------
def _tallies(conn: Any, s: Scope, first: date, last: date
             ) -> tuple[list[tuple[tuple[str, str, str], Site, Tally]], list[dict[str, str]]]:
    """Each site of the scope with its description and its tally; those that never sent a
    state (their services' targets are unknown: left out, and said)."""
    described = _states(conn, [i for i, _, _ in s.sites])
    parts, missing = [], []
    for row in s.sites:
        site = described.get(row[0])
        if site is None:
            missing.append({"id": row[0], "name": row[1], "region": row[2]})
        else:
            parts.append((row, site, MEMO.tally(conn, site, first, last)))
    return parts, missing


def scope_indicators(conn: Any, s: Scope, first: date, last: date) -> dict[str, Any]:
    parts, missing = _tallies(conn, s, first, last)
    if s.kind == "site":
        if not parts:
            raise Unknown("site", f"{s.name} (it has never sent its state)")
        row, site, t = parts[0]
        view = indicators_view(indicators(t, site), first, last)
        view["service_names"] = {x.id: x.name for x in site.services}
        view["targets"] = {x.id: x.target_wait_minutes for x in site.services}
        return {"scope": s.view(), "site": {"id": row[0], "name": row[1], "region": row[2]},
                **view}
    combined = combined_indicators([(site, t) for _, site, t in parts])
    view = indicators_view(combined, first, last)
    del view["services"]  # `<site>/<service>`: each site's own are in its page
    view["sites"] = [{"id": row[0], "name": row[1], "region": row[2],
                      "total": dataclasses.asdict(indicators(t, site).total)}
                     for row, site, t in parts]
    view["without_state"] = missing
    return {"scope": s.view(), **view}


# ----- CSV -------------------------------------------------------------------------------------
ALL_SITES = "tous les sites"
ALL_SERVICES = "tous services"


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # as the site's CSV: decimal comma, shares in %
        return f"{value * 100 if name in SHARES else value:.1f}".replace(".", ",")
    return str(value)


def _cells(f: Figures) -> list[str]:
    return [_cell(name, getattr(f, name)) for _, name in COLUMNS]


def scope_csv(conn: Any, s: Scope, first: date, last: date) -> str:
    """The site's CSV (one line per service and day, and the day's total) for every site of
    the scope, with its site and region first; for a region or the network, each day's
    total over the scope's sites too (each ticket against its own service's target)."""
    described = _states(conn, [i for i, _, _ in s.sites])
    out = io.StringIO()
    out.write("\ufeff")  # the BOM: a spreadsheet then reads the accents right
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["site", "région", "jour", "service"] + [h for h, _ in COLUMNS])
    per_day: dict[date, list[tuple[Site, Tally]]] = {}
    for site_id, name, region in s.sites:
        site = described.get(site_id)
        if site is None:
            continue
        names = {x.id: x.name for x in site.services}
        for day, t in day_tallies(conn, site, first, last).items():
            ind = indicators(t, site)
            if not ind.total.issued:
                continue
            per_day.setdefault(day, []).append((site, t))
            for sid, f in ind.services.items():
                w.writerow([name, region, day.isoformat(), names[sid]] + _cells(f))
            w.writerow([name, region, day.isoformat(), ALL_SERVICES] + _cells(ind.total))
    if s.kind != "site":
        label = s.name if s.kind == "region" else ""
        for day, parts in sorted(per_day.items()):
            w.writerow([ALL_SITES, label, day.isoformat(), ALL_SERVICES]
                       + _cells(combined_indicators(parts).total))
    return out.getvalue()


# ----- the yearly summary (Services Publics+) ---------------------------------------------------
def _summary(ind: Indicators) -> dict[str, Any]:
    t, s = ind.total, ind.satisfaction
    return {"days_open": len(ind.days), "tickets": t.issued, "received": t.served,
            "wait_mean_minutes": t.wait_mean, "wait_median_minutes": t.wait_median,
            "received_within_target": t.within_target, "satisfaction": s.satisfied,
            "net_satisfaction": s.net, "opinions": s.votes}


def scope_annual(conn: Any, s: Scope, year: int) -> dict[str, Any]:
    """Per site as the site publishes it (the site's own `annual`), and the scope's total."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    parts, missing = _tallies(conn, s, first, last)
    if s.kind == "site" and not parts:
        raise Unknown("site", f"{s.name} (it has never sent its state)")
    sites = []
    for row, site, t in parts:
        ind = indicators(t, site)
        sites.append({"id": row[0], "name": row[1], "region": row[2], **_summary(ind),
                      "targets_minutes": {x.id: x.target_wait_minutes for x in site.services},
                      "services": {k: {"name": next(x.name for x in site.services if x.id == k),
                                       "tickets": v.issued, "wait_mean_minutes": v.wait_mean,
                                       "received_within_target": v.within_target}
                                   for k, v in ind.services.items()}})
    combined = combined_indicators([(site, t) for _, site, t in parts])
    total = _summary(combined)
    total["site_days_open"] = sum(x["days_open"] for x in sites)
    return {"year": year, "scope": s.view(), "total": total, "sites": sites,
            "without_state": missing}
