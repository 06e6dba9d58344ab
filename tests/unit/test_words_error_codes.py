"""The validator's English reasons and the site change's refusals, as the codes the pages say
in words (api/errors.py): one row per kind of reason site_config.py and domain/queue.py give."""
from __future__ import annotations

import pytest

from host_bridge.api.errors import _site_change, config_reason


@pytest.mark.parametrize("reason, code", [
    ("missing", "missing"),
    ("unknown key (misspelt?)", "unknown_key"),
    ('expected ranges like "08:30-12:00", got \'8h\'', "bad_range"),
    ("range '12:00-08:00' ends before it starts", "range_reversed"),
    ("ranges '08:30-12:00' and '11:00-14:00' overlap", "ranges_overlap"),
    ("no opening hours while rules.refuse_outside_hours is true: every ticket would be refused", "no_hours"),
    ("unknown service 'piscine' (known: accueil, etat-civil)", "unknown_service"),
    ("unknown counter 9", "unknown_counter"),
    ("letter 'A' is used twice", "duplicate"),
    ("a service is listed twice", "duplicate"),
    ("at least one entry is needed", "empty"),
    ("at least one service (got [])", "empty"),
    ("expected int, got str 'vingt'", "wrong_type"),
    ("not editable here (only site, services)", "not_editable"),
    ("at most 256 KB", "too_large"),
    ("this bridge was not started from a config file", "no_config_file"),
    ("minutes, 1 to 1440 (got -5)", "invalid_value"),
    ("one capital letter A-Z (got 'c')", "invalid_value"),
    ("something new", "invalid"),
])
def test_each_kind_of_config_reason_has_its_code(reason, code):
    assert config_reason(reason) == code


@pytest.mark.parametrize("message, extra", [
    ("service 'urbanisme' has tickets today (U001): remove it after today",
     {"reason": "service_in_use", "service": "urbanisme"}),
    ("counter 4 was used today: remove it after today", {"reason": "counter_in_use", "counter": 4}),
    ("the site's id and time zone change only with a restart", {"reason": "restart_needed"}),
    ("something new", {}),
])
def test_a_refused_site_change_names_what_stays(message, extra):
    assert _site_change(message) == extra
