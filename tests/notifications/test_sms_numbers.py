"""Phone numbers as citizens type them: normalised to E.164, refused clearly, masked."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from host_bridge.notifications.sms.inbound import keyword
from host_bridge.notifications.sms.numbers import PhoneRefused, mask, normalise


@pytest.mark.parametrize("typed, number", [
    ("06 12 34 56 78", "+33612345678"),
    ("07.12.34.56.78", "+33712345678"),
    ("0612345678", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("+33 06 12 34 56 78", "+33612345678"),
    ("0033 6 12 34 56 78", "+33612345678"),
    ("+44 7911 123456", "+447911123456"),
    ("+32-470-12-34-56", "+32470123456"),
])
def test_a_number_typed_any_usual_way_becomes_e164(typed, number):
    assert normalise(typed) == number


@pytest.mark.parametrize("typed, reason", [
    ("01 23 45 67 89", "not_mobile"),  # a landline cannot receive an SMS
    ("+33 1 23 45 67 89", "not_mobile"),
    ("08 00 12 34 56", "not_mobile"),
    ("612345678", "format"),  # neither national nor international
    ("+0612345678", "format"),
    ("06 12 34 56", "format"),
    ("téléphone", "format"),
    ("", "format"),
    ("0" * 40, "too_long"),
])
def test_anything_else_is_refused_with_its_reason(typed, reason):
    with pytest.raises(PhoneRefused) as refused:
        normalise(typed)
    assert refused.value.reason == reason


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_a_refusal_that_does_not_repeat_it(text):
    try:
        number = normalise(text)
    except PhoneRefused as exc:
        digits = re.sub(r"\D", "", text)
        assert len(digits) < 4 or digits not in str(exc)
    else:
        assert re.fullmatch(r"\+[1-9]\d{7,14}", number)


@given(st.sampled_from("67"), st.text("0123456789", min_size=8, max_size=8),
       st.sampled_from(["", " ", ".", "-"]))
def test_every_french_mobile_round_trips_whatever_its_separators(kind, rest, sep):
    national = "0" + kind + rest
    typed = sep.join(national[i:i + 2] for i in range(0, 10, 2))
    assert normalise(typed) == "+33" + kind + rest


def test_the_masked_form_keeps_only_what_its_owner_needs_to_recognise_it():
    assert mask("+33612345678") == "+33 6 •• •• •• 78"
    assert mask("+447911123456") == "+44 •• 56"
    assert "12345" not in mask("+33612345678")


@pytest.mark.parametrize("text, word", [
    ("RETARD", "RETARD"), ("retard", "RETARD"), ("  Retard svp", "RETARD"),
    ("Annulé", "ANNULE"), ("ANNULER.", "ANNULER"), ("annuler merci", "ANNULER"),
    ("ÉTÉ", "ETE"), ("", ""), ("1234", ""),
])
def test_a_keyword_is_the_first_word_without_case_or_accents(text, word):
    assert keyword(text) == word
