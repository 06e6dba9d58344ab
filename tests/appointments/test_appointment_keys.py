"""What a citizen types or scans, made comparable (host_bridge/appointments/keys.py)."""
from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, strategies as st

from host_bridge.appointments import keys

ALNUM = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)


@pytest.mark.parametrize("typed, stored", [
    ("p7k2qx", "P7K2QX"), (" P7K-2QX ", "P7K2QX"), ("p 7 k 2 q x", "P7K2QX"), ("Éa1", "EA1"),
])
def test_a_code_is_compared_upper_case_without_spaces_or_dashes(typed, stored):
    assert keys.compact(typed) == stored


@given(ALNUM, st.lists(st.sampled_from([" ", "-", ".", "\t"]), max_size=4), st.booleans())
def test_any_spacing_and_case_of_a_code_reads_as_the_code(code, seps, lower):
    typed = "".join(ch + (seps[i % len(seps)] if seps else "") for i, ch in enumerate(code))
    assert keys.compact(typed.lower() if lower else typed) == code


@pytest.mark.parametrize("description, number", [
    ("N° de pré-demande ANTS : AB12CD34EF", "AB12CD34EF"),
    ("pre-demande: ab12cd34ef (passeport)", "AB12CD34EF"),
    ("Numéro ANTS AB12CD34EF", "AB12CD34EF"),
    ("Passeport, pas de pré-demande", None),
    ("ANTS AB12CD34EF9", None),  # 11 characters: not a pre-demande number
    (None, None),
])
def test_the_ants_number_is_found_in_a_booking_description(description, number):
    assert keys.ants_in_text(description) == number


@pytest.mark.parametrize("name, initials", [
    ("Durand Jeanne", "DJ"), ("Marie-Claire Le Goff", "MCL"), ("  élodie  ", "E"),
    ("D'Artagnan Charles", "DAC"), ("", None), (None, None), ("1234", None),
])
def test_only_initials_are_kept_of_a_name(name, initials):
    assert keys.initials_of(name) == initials


@pytest.mark.parametrize("typed, expected", [
    ("DJ 10:30", ("DJ", time(10, 30))), ("dj10h30", ("DJ", time(10, 30))),
    ("D.J. 9.05", ("DJ", time(9, 5))), ("mlg 09:00", ("MLG", time(9, 0))),
    ("10:30 DJ", ("DJ", time(10, 30))), ("10h30", None),
    ("DJ 25:00", None), ("P7K2QX", None), ("10:30", None), ("ABCD 10:30", None),
])
def test_initials_and_time(typed, expected):
    assert keys.initials_and_time(typed) == expected


def test_a_us_layout_scanner_on_an_azerty_pc_is_read_back():
    # the scanner presses the US keys of "AB12CD34EF"; a French PC makes "QB&éCD\"'EF" of them
    assert keys.from_us_scanner("QB&éCD\"'EF") == "AB12CD34EF"
