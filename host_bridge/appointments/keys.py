"""What a citizen types or scans to check in, made comparable: booking codes, ANTS numbers,
initials + time. Pure functions (hypothesis-tested).

A booking code or ANTS number is compared upper-case with everything but letters and digits
removed ("p7k-2qx " == "P7K2QX"). A USB or camera scanner types like a keyboard: set to a US
layout on a French (AZERTY) PC, "ABC1234567" arrives as "QBC&é\"'(-è" — `from_us_scanner`
types it back, and the check-in tries both readings.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import time

ANTS_LENGTH = 10  # RDV Service Public's format check: /\A[A-Z0-9]{10}\z/, case-insensitive
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
# "ANTS" or "pré-demande" (any accents, dashes, "n°", ":"), then the 10-character number
_ANTS_IN_TEXT = re.compile(
    r"(?:ANTS|PRE[\s_-]?DEMANDE)[^A-Z0-9]{0,12}(?:N[O°]?\b[^A-Z0-9]{0,4})?"
    r"([A-Z0-9]{10})(?![A-Z0-9])")
_INITIALS_TIME = re.compile(r"^\s*([A-Za-z]{1,3})[\s.,;-]*(\d{1,2})\s*[:hH.]\s*(\d{2})\s*$")
_TIME_INITIALS = re.compile(r"^\s*(\d{1,2})\s*[:hH.]\s*(\d{2})[\s.,;-]+([A-Za-z]{1,3})\s*$")
MAX_KEY = 200  # a scanned QR code's text; a typed key is far shorter

# The unshifted digit row and the letters that move, AZERTY as typed -> the US key pressed
_AZERTY_TO_US = str.maketrans({"&": "1", "é": "2", '"': "3", "'": "4", "(": "5", "-": "6",
                               "è": "7", "_": "8", "ç": "9", "à": "0",
                               "a": "q", "q": "a", "z": "w", "w": "z", "A": "Q", "Q": "A",
                               "Z": "W", "W": "Z", "m": ";", ",": "m", "?": "M", ";": ","})


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def compact(text: str) -> str:
    """Upper case, letters and digits only: how codes are stored and compared."""
    return _NOT_ALNUM.sub("", _ascii_upper(text))


def ants_number(value: str | None) -> str | None:
    """A valid ANTS pre-demande number from a field that holds only it, else None."""
    if not value:
        return None
    number = compact(value)
    return number if len(number) == ANTS_LENGTH else None


def ants_in_text(text: str | None) -> str | None:
    """The ANTS number a booking's description mentions ("N° de pré-demande ANTS : AB12CD34EF")."""
    if not text:
        return None
    m = _ANTS_IN_TEXT.search(_ascii_upper(text))
    return m.group(1) if m else None


def initials_of(name: str | None) -> str | None:
    """"Durand Jeanne" -> "DJ"; "Marie-Claire Le Goff" -> "MLG" (at most 3). Only the initials
    are kept: the name itself never reaches the store."""
    if not name:
        return None
    words = [w for w in re.split(r"[\s\-']+", _ascii_upper(name)) if w]
    letters = [w[0] for w in words if w[0].isalpha()]
    return "".join(letters[:3]) or None


def initials_and_time(key: str) -> tuple[str, time] | None:
    """"DJ 10:30", "dj10h30", "D.J. 9.05", "10:30 DJ" -> ("DJ", 10:30); None for a key of
    another form."""
    key = re.sub(r"(?<=[A-Za-z])\.", "", key)  # "D.J." -> "DJ"
    if m := _INITIALS_TIME.match(key):
        initials, hour, minute = m.group(1), int(m.group(2)), int(m.group(3))
    elif m := _TIME_INITIALS.match(key):  # "10:30 DJ"
        initials, hour, minute = m.group(3), int(m.group(1)), int(m.group(2))
    else:
        return None
    if hour > 23 or minute > 59:
        return None
    return initials.upper(), time(hour, minute)


def from_us_scanner(text: str) -> str:
    """The text a US-layout scanner meant, from what an AZERTY PC made of it."""
    return text.translate(_AZERTY_TO_US)
