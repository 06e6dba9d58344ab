"""The days the wait estimators are judged on, fixed here so that nobody tunes against them by
accident: four kinds of day, each with seeds for developing and seeds held out for reporting.

- mairie: the example town hall (examples/mairie.toml) on its example traffic, a Thursday
  (08:30-12:00, 13:30-19:00), four counters all day, agents taking a break now and then;
- rush: the same town hall on a morning when everybody comes at the opening (08:30-12:00);
- prefecture: a préfecture-like site: ten counters, long services (residence permits 35 min,
  naturalisation 45 min), one short reception service, open 09:00-16:00 without a break;
- counters-change: the town hall's morning with counters opening late, closing mid-morning
  and one coming back: what a sick agent or a meeting does to a queue.

Development seeds are for choosing and tuning; held-out seeds only for the figures reported
(docs/performance.md): `python -m simulators.estimate_eval` reports those by default.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time

from host_bridge import bundled
from host_bridge.domain.site import (
    Counter, OpeningHours, PriorityCategory, Rules, Service, Site,
)
from host_bridge.site_config import load

from ..traffic import Profile, ServiceTraffic
from ..traffic_profile import load_profile

THURSDAY = date(2026, 11, 26)
DEVELOPMENT = (101, 102, 103, 104)
HELD_OUT = (901, 902, 903, 904)


@dataclass(frozen=True)
class Plan:
    name: str
    site: Site
    profile: Profile
    day: date
    # counter -> its shifts in minutes after midnight; absent counters: the opening ranges
    shift_plan: tuple[tuple[int, tuple[tuple[float, float], ...]], ...] = ()

    def opening_ranges(self) -> list[tuple[float, float]]:
        return [(_minute(a), _minute(b))
                for a, b in self.site.hours.days.get(self.day.weekday(), ())]

    def shifts(self) -> dict[int, tuple[tuple[float, float], ...]]:
        given = dict(self.shift_plan)
        ranges = tuple(self.opening_ranges())
        return {k.number: given.get(k.number, ranges) for k in self.site.counters}

    def serve_to_empty(self, minute: float) -> bool:
        """At or after the end of an opening range, agents serve those still waiting."""
        return any(minute >= hi and not any(lo2 <= minute < hi2
                                              for lo2, hi2 in self.opening_ranges())
                   for _, hi in self.opening_ranges())


def _minute(t: time) -> float:
    return t.hour * 60 + t.minute


def _mairie() -> tuple[Site, Profile]:
    site = load(bundled.example_site()).site
    return site, load_profile(bundled.example_traffic(), site)


def mairie() -> Plan:
    site, profile = _mairie()
    return Plan("mairie", site, profile, THURSDAY)


def _morning(site: Site) -> Site:
    hours = OpeningHours({THURSDAY.weekday(): ((time(8, 30), time(12, 0)),)})
    return replace(site, hours=hours)


def rush() -> Plan:
    site, profile = _mairie()
    # the queue at the door: most of the morning's citizens in its first hour and a half
    shape = {8: 2.0, 9: 1.2, 10: 0.4, 11: 0.2}
    services = tuple(replace(t, per_hour=tuple(t.per_hour[h] and t.per_hour[9] * shape.get(h, 0)
                                               for h in range(24)))
                     for t in profile.services)
    return Plan("rush", _morning(site), replace(profile, services=services), THURSDAY)


def counters_change() -> Plan:
    site, profile = _mairie()
    m = 60.0
    shifts = ((1, ((8.5 * m, 12 * m),)),
              (2, ((10 * m, 12 * m),)),                        # opens late
              (3, ((8.5 * m, 10.25 * m), (11 * m, 12 * m))),   # a meeting mid-morning
              (4, ((8.5 * m, 10.75 * m),)))                    # called away for the rest
    return Plan("counters-change", _morning(site), profile, THURSDAY, shifts)


def prefecture() -> Plan:
    services = (Service("accueil", "A", "Accueil et orientation", default_service_minutes=5),
                Service("sejour", "S", "Titres de séjour", default_service_minutes=35),
                Service("naturalisation", "N", "Naturalisation", default_service_minutes=45),
                Service("permis", "P", "Permis de conduire", default_service_minutes=20))
    orders = (("accueil", "permis"), ("accueil", "sejour"),
              ("sejour",), ("sejour",), ("sejour",), ("sejour", "naturalisation"),
              ("naturalisation",), ("naturalisation", "sejour"),
              ("permis", "accueil"), ("permis", "sejour"))
    counters = tuple(Counter(i + 1, f"Guichet {i + 1}", o) for i, o in enumerate(orders))
    hours = OpeningHours({THURSDAY.weekday(): ((time(9, 0), time(16, 0)),)})
    site = Site("prefecture-eval", "Préfecture (simulée)", "Europe/Paris", services, counters,
                (PriorityCategory("cmi", "Carte mobilité inclusion"),), Rules(), hours)

    def rates(peak: float) -> tuple[float, ...]:
        shape = {9: 1.3, 10: 1.2, 11: 1.0, 12: 0.6, 13: 0.8, 14: 1.0, 15: 0.6}
        return tuple(peak * shape.get(h, 0.0) for h in range(24))

    profile = Profile((ServiceTraffic("accueil", "A", rates(12.0), 4.0, 0.5),
                       ServiceTraffic("sejour", "S", rates(8.0), 32.0, 0.4),
                       ServiceTraffic("naturalisation", "N", rates(2.6), 42.0, 0.35),
                       ServiceTraffic("permis", "P", rates(5.5), 18.0, 0.45)),
                      no_show=0.08, priority_share=0.04)
    return Plan("prefecture", site, profile, THURSDAY)


PLANS = (mairie, rush, prefecture, counters_change)


def days(split: str) -> list[tuple[Plan, int]]:
    """(plan, seed) for every day of the split: "development" or "held-out"."""
    seeds = {"development": DEVELOPMENT, "held-out": HELD_OUT}[split]
    return [(make(), seed) for make in PLANS for seed in seeds]
