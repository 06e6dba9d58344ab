"""Phone numbers as citizens type them, made E.164, and masked for anything a person reads
back (logs, answers). A refusal never repeats the number it refuses."""
from __future__ import annotations

import re

MAX_INPUT = 32  # "+33 (0)6 12 34 56 78" is 20; anything longer is not a phone number
_SEPARATORS = re.compile(r"[\s.\-/()]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_FR_MOBILE = re.compile(r"^\+33[67]\d{8}$")


class PhoneRefused(ValueError):
    """`reason`: "too_long", "format" (not a number we can read) or "not_mobile" (a French
    landline or service number: it cannot receive an SMS)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def normalise(raw: str) -> str:
    """'06 12 34 56 78', '+33 (0)6 12…', '0033 6…' -> '+33612345678'; another country's number
    must be written in international form (+ and its country code)."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT:
        raise PhoneRefused(f"a phone number is at most {MAX_INPUT} characters", "too_long")
    text = raw.strip().replace("(0)", "")
    text = _SEPARATORS.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"0\d{9}", text):  # French national form
        text = "+33" + text[1:]
    if text.startswith("+330") and len(text) == 13:  # "+33 06…": the trunk 0 kept by habit
        text = "+33" + text[4:]
    if not _E164.fullmatch(text):
        raise PhoneRefused("expected a French mobile (06 or 07 and 8 digits) or an international "
                           "number (+ country code, 8 to 15 digits)", "format")
    if text.startswith("+33") and not _FR_MOBILE.fullmatch(text):
        raise PhoneRefused("only a mobile (06 or 07) can receive an SMS", "not_mobile")
    return text


def mask(number: str) -> str:
    """'+33612345678' -> '+33 6 •• •• •• 78': enough for its owner to recognise it."""
    if _FR_MOBILE.fullmatch(number):
        return f"+33 {number[3]} •• •• •• {number[-2:]}"
    return f"{number[:3]} •• {number[-2:]}"

