"""A traffic profile from a TOML file: who comes, when, and how long they take.

    profile = load_profile("examples/traffic-mairie.toml", site)   # ConfigError if wrong

    no_show = 0.06                 # share of called citizens who do not come
    priority_share = 0.05          # share of tickets taken with a priority category
    recall_after_minutes = 1.0     # an agent waits this long before recalling a no-show…
    absent_after_minutes = 1.0     # …and this long again before marking them absent
    idle_press_minutes = 0.75      # an idle agent presses « Suivant » this often

    [[services]]
    id = "accueil"                 # a service of the site
    median_minutes = 4             # service time: lognormal with this median…
    spread = 0.45                  # …and this standard deviation of its logarithm
    per_hour = { 8 = 5.5, 9 = 9.1, 10 = 10.9 }   # citizens per hour by local hour; others: 0

Every refusal names the file, the key and the reason, as the site config's do.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from host_bridge.site_config import ConfigError, TomlReader, read_toml

from .traffic import Profile, ServiceTraffic


def _share(v: float) -> bool:
    return 0.0 <= v <= 1.0


def _minutes(v: float) -> bool:
    return 0.0 < v <= 600.0 and math.isfinite(v)


def _rates(r: TomlReader) -> tuple[float, ...]:
    table = r.child("per_hour", r.get("per_hour", dict))
    rates = [0.0] * 24
    for hour in table.table:
        if not (hour.isdigit() and 0 <= int(hour) <= 23):
            raise table.fail(hour, "an hour is 0 to 23")
        rate = table.get(hour, (int, float), check=lambda v: 0 <= v <= 10_000,
                         why="citizens per hour: 0 to 10000")
        rates[int(hour)] = float(rate)
    return tuple(rates)


def parse_profile(data: dict[str, Any], file: str, site: Any) -> Profile:
    r = TomlReader(file, data)
    known = {s.id: s for s in site.services}
    services = []
    seen = set()
    for t in r.tables("services", required=True):
        sid = t.get("id", str, check=lambda v: v in known,
                    why=f"not a service of {site.id} ({', '.join(known)})")
        if sid in seen:
            raise t.fail("id", f"{sid!r} is listed twice")
        seen.add(sid)
        services.append(ServiceTraffic(
            sid, known[sid].letter, _rates(t),
            float(t.get("median_minutes", (int, float), known[sid].default_service_minutes,
                        check=_minutes, why="minutes: above 0, at most 600")),
            float(t.get("spread", (int, float), 0.45, check=lambda v: 0 <= v <= 2,
                        why="0 to 2"))))
        t.done()
    minutes = {name: 60 * float(r.get(name, (int, float), default, check=_minutes,
                                      why="minutes: above 0, at most 600"))
               for name, default in (("recall_after_minutes", 1.0),
                                     ("absent_after_minutes", 1.0),
                                     ("idle_press_minutes", 0.75))}
    profile = Profile(
        tuple(services),
        no_show=float(r.get("no_show", (int, float), 0.06, check=_share, why="a share: 0 to 1")),
        priority_share=float(r.get("priority_share", (int, float), 0.05, check=_share,
                                   why="a share: 0 to 1")),
        recall_after_s=minutes["recall_after_minutes"],
        absent_after_s=minutes["absent_after_minutes"],
        idle_press_s=minutes["idle_press_minutes"])
    r.done()
    return profile


def load_profile(path: str | Path, site: Any) -> Profile:
    return parse_profile(read_toml(path), str(path), site)


__all__ = ["ConfigError", "load_profile", "parse_profile"]
