"""The simulator's traffic profile (simulators/traffic_profile.py): the example loads into the
profile the accelerated day uses; every mistake is refused with file, key and reason."""
from __future__ import annotations

import pytest

from host_bridge.site_config import ConfigError, load
from simulators.traffic_profile import load_profile, parse_profile
from support import EXAMPLE, ROOT

SITE = load(EXAMPLE).site
TRAFFIC = ROOT / "examples" / "traffic-mairie.toml"


def test_the_example_profile_covers_the_example_sites_services_by_hour():
    profile = load_profile(TRAFFIC, SITE)
    assert [s.service for s in profile.services] == [s.id for s in SITE.services]
    assert [s.letter for s in profile.services] == ["A", "C", "P", "U"]
    accueil = profile.services[0]
    assert accueil.per_hour[10] == 10.92 and accueil.per_hour[12] == 0.0
    assert accueil.per_hour[7] == 0.0 and len(accueil.per_hour) == 24
    assert sum(s.per_hour[10] for s in profile.services) == pytest.approx(31.2)
    assert (accueil.median_minutes, accueil.spread) == (4.0, 0.45)
    assert (profile.no_show, profile.recall_after_s, profile.idle_press_s) == (0.06, 60.0, 45.0)


def test_defaults_come_from_the_site_where_the_profile_is_silent():
    profile = parse_profile({"services": [{"id": "urbanisme", "per_hour": {"9": 2}}]}, "t", SITE)
    (u,) = profile.services
    assert u.median_minutes == 20.0  # the site's configured service time
    assert u.per_hour[9] == 2.0 and sum(u.per_hour) == 2.0


@pytest.mark.parametrize("data, key, reason", [
    ({}, "services", "missing"),
    ({"services": []}, "services", "at least one entry"),
    ({"services": [{"id": "cantine", "per_hour": {}}]}, "services[0].id", "not a service of"),
    ({"services": [{"id": "accueil", "per_hour": {}}, {"id": "accueil", "per_hour": {}}]},
     "services[1].id", "listed twice"),
    ({"services": [{"id": "accueil", "per_hour": {"24": 1}}]}, "services[0].per_hour.24",
     "an hour is 0 to 23"),
    ({"services": [{"id": "accueil", "per_hour": {"9": -1}}]}, "services[0].per_hour.9",
     "citizens per hour"),
    ({"services": [{"id": "accueil", "per_hour": {"9": float("nan")}}]},
     "services[0].per_hour.9", "citizens per hour"),
    ({"services": [{"id": "accueil", "per_hour": {"9": True}}]}, "services[0].per_hour.9",
     "expected int or float"),
    ({"services": [{"id": "accueil", "per_hour": [1, 2]}]}, "services[0].per_hour",
     "expected dict"),
    ({"services": [{"id": "accueil", "per_hour": {}, "median_minutes": 0}]},
     "services[0].median_minutes", "above 0"),
    ({"services": [{"id": "accueil", "per_hour": {}, "median_minutes": float("inf")}]},
     "services[0].median_minutes", "above 0"),
    ({"services": [{"id": "accueil", "per_hour": {}, "spread": 3}]}, "services[0].spread",
     "0 to 2"),
    ({"services": [{"id": "accueil", "per_hour": {}, "colour": "red"}]}, "services[0].colour",
     "unknown key"),
    ({"services": [{"id": "accueil", "per_hour": {}}], "no_show": 1.5}, "no_show", "0 to 1"),
    ({"services": [{"id": "accueil", "per_hour": {}}], "recall_after_minutes": -1},
     "recall_after_minutes", "above 0"),
    ({"services": [{"id": "accueil", "per_hour": {}}], "speed": 3}, "speed", "unknown key"),
])
def test_a_bad_profile_is_refused_naming_the_key(data, key, reason):
    with pytest.raises(ConfigError) as exc:
        parse_profile(data, "traffic.toml", SITE)
    assert exc.value.key == key and reason in exc.value.reason, str(exc.value)


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text("services = [[[")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_profile(bad, SITE)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_profile(tmp_path / "missing.toml", SITE)
