"""The printed ticket says when its turn should come as clock times (issue 18): « Passage vers
10 h 40 (entre 10 h 35 et 10 h 50) » in bold, then the minutes; an uncertain estimate (too
little history, a counter that just opened or closed) is its guess said as such, never a
range: « Passage vers 10 h 40 environ (estimation incertaine) ». The hours are the bridge's
own digits (the site's offset), in the printer's code page.

Both states come from the real API on a printing bridge: a fresh day is uncertain; once enough
of the service's tickets were called the ticket carries a calibrated range."""
from __future__ import annotations

import threading

import pytest

from host_bridge.printing.kiosk import clock_text, estimate_text, passage_text
from host_bridge.printing.ticket_printer import ticket_bytes
from support import AGENT
from printer_support import FakeJetDirect, printer_bridge  # noqa: F401  (a fixture)

WINDOW = {"low_minutes": 12, "high_minutes": 24, "minutes": 18, "counters_open": 1,
          "reliable": True, "uncertain_because": None,
          "expected_at": "2026-11-26T10:40:00+01:00", "earliest_at": "2026-11-26T10:35:00+01:00",
          "latest_at": "2026-11-26T10:50:00+01:00"}
UNCERTAIN = {**WINDOW, "reliable": False, "uncertain_because": "little_history"}


@pytest.mark.parametrize("estimate, passage, minutes", [
    (WINDOW, "Passage vers 10 h 40 (entre 10 h 35 et 10 h 50)", "12 à 24 min"),
    (UNCERTAIN, "Passage vers 10 h 40 environ (estimation incertaine)", "environ 18 min"),
    ({**UNCERTAIN, "uncertain_because": "counters_changed"},
     "Passage vers 10 h 40 environ (estimation incertaine)", "environ 18 min"),
    # nobody ahead, a counter busy: never « entre maintenant et … »
    ({**WINDOW, "low_minutes": 0, "high_minutes": 6, "minutes": 3,
      "expected_at": "2026-11-26T10:03:00+01:00", "earliest_at": "2026-11-26T10:01:00+01:00",
      "latest_at": "2026-11-26T10:06:00+01:00"},
     "Passage vers 10 h 03 (d'ici 10 h 06)", "jusqu'à 6 min"),
    # a short wait: the minutes say it
    ({**WINDOW, "low_minutes": 0, "high_minutes": 1, "minutes": 1}, None, "moins d'une minute"),
    ({**WINDOW, "low_minutes": 130, "high_minutes": 190, "minutes": 160,
      "expected_at": "2026-11-26T12:40:00+01:00", "earliest_at": "2026-11-26T12:10:00+01:00",
      "latest_at": "2026-11-26T13:10:00+01:00"},
     "Passage vers 12 h 40 (entre 12 h 10 et 13 h 10)", "plus de deux heures"),
    # a bridge's answer without clock times (or none at all): the minutes alone, as before
    ({"low_minutes": 5, "high_minutes": 15, "counters_open": 1}, None, "5 à 15 min"),
    (None, None, None),
])
def test_the_printed_wait_is_a_clock_window_then_the_minutes(estimate, passage, minutes):
    assert passage_text(estimate) == passage
    assert estimate_text(estimate) == minutes


@pytest.mark.parametrize("iso, said", [
    ("2026-11-26T09:05:00+01:00", "9 h 05"),
    ("2026-11-26T14:30:00+01:00", "14 h 30"),
    # the site's own hour, whatever zone the printing machine is in: never converted
    ("2026-07-02T10:40:00+02:00", "10 h 40"),
    ("2026-11-26T10:40:00-10:00", "10 h 40"),
])
def test_the_printed_hour_is_the_bridges_own_digits(iso, said):
    assert clock_text(iso) == said


def test_the_window_is_bold_between_the_people_ahead_and_the_minutes_in_the_code_page():
    data = ticket_bytes("M", "État civil", "C017", 3, estimate_text(WINDOW), "u",
                        passage=passage_text(WINDOW))
    window = b"\x1bE\x01\x1ba\x01Passage vers 10 h 40 (entre 10 h 35 et 10 h 50)\n"  # bold, centred
    minutes = "Attente estimée : 12 à 24 min\n".encode("cp850")  # é and à in the code page
    assert window in data and minutes in data
    assert data.index(b"3 personnes avant vous") < data.index(window) < data.index(minutes) \
        < data.index(b"\x1d(k")  # before the QR code
    assert b"\x1bE\x00" in data[data.index(window):data.index(minutes)]  # bold off again


def test_an_uncertain_wait_is_printed_as_its_guess_without_a_range():
    data = ticket_bytes("M", "État civil", "C017", 3, estimate_text(UNCERTAIN), "u",
                        passage=passage_text(UNCERTAIN))
    assert b"Passage vers 10 h 40 environ (estimation incertaine)\n" in data
    assert "Attente estimée : environ 18 min\n".encode("cp850") in data
    assert b"entre" not in data and "à 24".encode("cp850") not in data


def test_a_ticket_without_a_passage_prints_as_before():
    data = ticket_bytes("M", "S", "A001", 0, "moins d'une minute", "u")
    assert b"Passage" not in data
    assert "Attente estimée : moins d'une minute".encode("cp850") in data


# ----- through the real API -----------------------------------------------------------------

def printed(client, printer: FakeJetDirect) -> tuple[dict, bytes]:
    """A ticket of état civil taken with print: its view, and the job the printer got."""
    before = len(printer.jobs)
    r = client.post("/api/tickets", json={"service": "etat-civil", "print": True})
    assert r.status_code == 201 and r.json()["printed"] is True, r.text
    for _ in range(100):
        if len(printer.jobs) > before:
            break
        threading.Event().wait(0.05)
    assert len(printer.jobs) == before + 1
    return r.json()["ticket"], printer.jobs[-1]


def hours(estimate: dict) -> tuple[str, str, str]:
    return tuple(clock_text(estimate[k]) for k in ("expected_at", "earliest_at", "latest_at"))


@pytest.fixture
def printing(printer_bridge):
    printer = FakeJetDirect()
    client, _ = printer_bridge(f"tcp://127.0.0.1:{printer.port}")
    yield client, printer
    printer.close()


def test_a_fresh_days_printed_ticket_says_its_estimate_is_uncertain(printing):
    client, printer = printing
    assert client.post("/api/counters/2/open", headers=AGENT).status_code == 200
    for _ in range(3):
        client.post("/api/tickets", json={"service": "etat-civil"})
    ticket, job = printed(client, printer)
    estimate = ticket["estimate"]
    assert estimate["reliable"] is False, estimate  # nothing called yet today
    assert estimate["uncertain_because"] in ("little_history", "counters_changed")
    around, _, _ = hours(estimate)
    assert f"Passage vers {around} environ (estimation incertaine)\n".encode() in job
    assert f"Attente estimée : environ {estimate['minutes']} min\n".encode("cp850") in job
    assert b"entre" not in job


def test_once_enough_tickets_were_called_the_printed_ticket_gives_the_window(printing, clock):
    client, printer = printing
    assert client.post("/api/counters/2/open", headers=AGENT).status_code == 200
    for _ in range(3):
        client.post("/api/tickets", json={"service": "etat-civil"})
    for _ in range(40):  # about a dozen called calibrate the range; a few more for the margin
        clock.advance(240)
        assert client.post("/api/counters/2/next", headers=AGENT).status_code == 200
        client.post("/api/tickets", json={"service": "etat-civil"})
        services = client.get("/api/services").json()["services"]
        if next(s for s in services if s["id"] == "etat-civil")["estimate_for_new_ticket"]["reliable"]:
            break
    ticket, job = printed(client, printer)
    estimate = ticket["estimate"]
    assert estimate["reliable"] is True and ticket["ahead"] > 0, ticket
    low, high = estimate["low_minutes"], estimate["high_minutes"]
    assert 0 < low <= estimate["minutes"] <= high
    around, earliest, latest = hours(estimate)
    assert f"Passage vers {around} (entre {earliest} et {latest})\n".encode() in job
    assert f"Attente estimée : {low} à {high} min\n".encode("cp850") in job
    assert b"incertaine" not in job
