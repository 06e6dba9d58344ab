"""Today's appointments from a CSV export, for a booking tool with neither feed nor API:

    service,time,code,ants,initials,id
    passeports-cni,09:15,P7K2QX,AB12CD34EF,DJ,rdv-1842

`time` is HH:MM (today, the site's time) or ISO 8601 (`2026-11-26T09:15`, with or without an
offset); `id` is the booking tool's id of the appointment; `code`, `ants`, `initials` may be
empty (but at least one of them, or the appointment cannot be found at check-in). Comma or
semicolon (a French spreadsheet's export) separated, UTF-8 (with or without its BOM).
All or nothing: the first line at fault is named and nothing is imported.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from . import keys
from .ical_import import MAX_CODE
from .model import Appointment
from .store import MAX_PER_DAY, TooMany

SOURCE = "csv"
HEADER = ("service", "time", "code", "ants", "initials", "id")
MAX_BYTES = 2 * 1024 * 1024
MAX_ID = 255


class CsvRefused(ValueError):
    """The file cannot be imported as it is (the message names the line)."""


@dataclass
class CsvDay:
    items: list[Appointment]
    other_days: int  # rows for another day: skipped (an export of the week is fine)


def parse(data: bytes, day: date, tz, services: frozenset[str] | set[str]) -> CsvDay:
    if len(data) > MAX_BYTES:
        raise CsvRefused(f"the file is over {MAX_BYTES // 1024} KB, the most taken")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRefused(f"not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _rows(reader)
    header = tuple(h.strip().lower() for h in next(rows, ()))
    if header != HEADER:
        raise CsvRefused(f"line 1: the header must be {','.join(HEADER)} (got {','.join(header)})")
    items: list[Appointment] = []
    ids: dict[str, int] = {}
    other_days = 0
    for row in rows:
        n = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise CsvRefused(f"line {n}: {len(row)} fields, {len(HEADER)} expected")
        service, when, code, ants, initials, external_id = (cell.strip() for cell in row)
        if service not in services:
            raise CsvRefused(f"line {n}: unknown service {service[:40]!r}")
        at = _time(when, day, tz, n)
        if at.astimezone(tz).date() != day:
            other_days += 1
            continue
        if not external_id or len(external_id) > MAX_ID:
            raise CsvRefused(f"line {n}: id must be 1 to {MAX_ID} characters")
        if external_id in ids:
            raise CsvRefused(f"line {n}: id {external_id!r} is already on line {ids[external_id]}")
        ids[external_id] = n
        item = Appointment(SOURCE, external_id, service, at, code=keys.compact(code) or None,
                           ants=keys.ants_number(ants), initials=keys.compact(initials) or None)
        if ants and item.ants is None:
            raise CsvRefused(f"line {n}: ants must be the 10-character pre-demande number")
        if item.code and len(item.code) > MAX_CODE:
            raise CsvRefused(f"line {n}: code over {MAX_CODE} characters")
        if item.initials and len(item.initials) > 3:
            raise CsvRefused(f"line {n}: initials are 1 to 3 letters (not a name)")
        if not (item.code or item.ants or item.initials):
            raise CsvRefused(f"line {n}: no code, ants nor initials: it could not be checked in")
        items.append(item)
        if len(items) > MAX_PER_DAY:
            raise TooMany(f"line {n}: over {MAX_PER_DAY} appointments for {day}")
    return CsvDay(items, other_days)


def _rows(reader):
    """The reader's rows; its own refusals (a field over csv's 128 KB limit, a NUL) as
    CsvRefused naming the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvRefused(f"line {reader.line_num}: {exc}") from None
        yield row


def _time(text: str, day: date, tz, n: int) -> datetime:
    try:
        if len(text) <= 5 and ":" in text:
            return datetime.combine(day, time.fromisoformat(text.zfill(5)), tzinfo=tz)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CsvRefused(f"line {n}: time {text[:40]!r} is neither HH:MM nor ISO 8601") from None
    at = at.replace(tzinfo=tz) if at.tzinfo is None else at
    try:
        at.astimezone(tz)
    except OverflowError:  # an offset that takes it past year 1 or 9999
        raise CsvRefused(f"line {n}: time {text[:40]!r} is out of range") from None
    return at
