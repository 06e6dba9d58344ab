"""The kiosk's printed ticket: ESC/POS bytes through python-escpos to a network printer (a real
TCP socket here, as a JetDirect printer on port 9100 takes them) or a device file; when the
printer fails the ticket is cancelled — never a phantom in the queue — and the kiosk is told."""
from __future__ import annotations

import threading

import pytest

from host_bridge.printing.kiosk import estimate_text, need_words
from host_bridge.printing.ticket_printer import PrinterError, TicketPrinter, ticket_bytes

from printer_support import FakeJetDirect, printer_bridge  # noqa: F401  (a fixture)
from support import example_refusal


def test_a_ticket_is_its_number_large_its_service_its_wait_a_qr_code_and_a_cut():
    data = ticket_bytes("Mairie de Test", "État civil", "C017", 3, "entre 5 et 15 min",
                        "https://file.mairie.example/ticket/abc", "Merci de votre visite")
    assert b"\x1d!\x33\x1ba\x01C017\n" in data  # 4x wide and high, centred
    assert "État civil".encode("cp850") in data  # the printer's code page, accents kept
    assert b"3 personnes avant vous" in data and "Attente estimée : entre 5 et 15 min".encode("cp850") in data
    assert b"\x1d(k" in data and b"1P0https://file.mairie.example/ticket/abc" in data  # native QR
    assert b"Merci de votre visite" in data
    assert data.endswith(b"\x1dV\x00") or b"\x1dV" in data[-8:]  # the cut


def test_a_priority_ticket_says_so_in_words_under_its_number():
    data = ticket_bytes("M", "État civil", "C002", 0, None, "u",
                        priority="Carte mobilité inclusion « priorité »")
    assert b"TICKET PRIORITAIRE\n" in data  # bold, double height
    category = "Carte mobilité inclusion « priorité »\n".encode("cp850")
    assert data.index(b"C002") < data.index(b"TICKET PRIORITAIRE") < data.index(category) \
        < data.index(b"\x1d(k")  # under the number, before the QR code
    assert b"PRIORITAIRE" not in ticket_bytes("M", "État civil", "C003", 0, None, "u")


def test_a_tickets_needs_are_listed_in_words_under_its_number():
    data = ticket_bytes("M", "État civil", "C002", 0, None, "u", priority="Carte famille",
                        needs=["boucle magnétique", "guichet assis ou bas"])
    said = "Vous avez demandé :\n".encode("cp850")
    loop, seated = ("- boucle magnétique\n".encode("cp850"),
                    "- guichet assis ou bas\n".encode("cp850"))
    assert data.index(b"C002") < data.index(said) < data.index(loop) < data.index(seated) \
        < data.index(b"\x1d(k")  # under the number, one a line, before the QR code
    assert b"L'agent le saura" in data
    assert "demandé".encode("cp850") not in ticket_bytes("M", "État civil", "C003", 0, None, "u")


@pytest.mark.parametrize("needs, words", [
    (["hearing_loop"], ["boucle magnétique"]),
    (["seated", "sign_language"], ["guichet assis ou bas", "interprète en langue des signes (LSF)"]),
    ([], []),
])
def test_the_printed_needs_are_the_kiosks_words(needs, words):
    assert need_words(needs) == words


@pytest.mark.parametrize("estimate, said", [
    (None, None),
    ({"low_minutes": 5, "high_minutes": 15}, "5 à 15 min"),  # the pages' « (5 à 15 min) »
    ({"low_minutes": 0, "high_minutes": 40}, "jusqu'à 40 min"),  # never « entre 0 et 40 min »
    ({"low_minutes": 0, "high_minutes": 1}, "moins d'une minute"),
    ({"low_minutes": 130, "high_minutes": 190}, "plus de deux heures"),
])
def test_the_printed_wait_is_the_kiosks_wording(estimate, said):
    assert estimate_text(estimate) == said


def test_the_next_one_is_told_so():
    assert b"Vous \x88tes le prochain" in ticket_bytes("M", "S", "A001", 0, None, "u")


def print_one(printer_bridge, **body) -> tuple[dict, bytes]:
    """A ticket taken with print on a fake network printer: its view, and the one job printed."""
    printer = FakeJetDirect()
    client, _ = printer_bridge(f"tcp://127.0.0.1:{printer.port}")
    r = client.post("/api/tickets", json={"service": "etat-civil", "print": True, **body})
    assert r.status_code == 201 and r.json()["printed"] is True
    for _ in range(100):
        if printer.jobs:
            break
        threading.Event().wait(0.05)
    printer.close()
    assert len(printer.jobs) == 1
    return r.json()["ticket"], printer.jobs[0]


def test_a_printed_ticket_goes_to_the_network_printer(printer_bridge):
    ticket, job = print_one(printer_bridge)
    assert ticket["label"].encode() in job and f"/ticket/{ticket['id']}".encode() in job
    assert b"Bonne journ" in job


def test_a_printed_priority_ticket_names_its_category(printer_bridge):
    _, job = print_one(printer_bridge, category="cmi")
    assert b"TICKET PRIORITAIRE" in job
    assert "Carte mobilité inclusion « priorité » ou « invalidité »".encode("cp850") in job


def test_a_printed_ticket_lists_the_needs_asked_at_the_kiosk(printer_bridge):
    _, job = print_one(printer_bridge, needs=["sign_language", "hearing_loop"])
    assert "Vous avez demandé :".encode("cp850") in job
    assert "- interprète en langue des signes (LSF)\n".encode("cp850") in job
    assert "- boucle magnétique\n".encode("cp850") in job


def test_without_print_asked_nothing_is_printed(printer_bridge):
    printer = FakeJetDirect()
    client, _ = printer_bridge(f"tcp://127.0.0.1:{printer.port}")
    r = client.post("/api/tickets", json={"service": "etat-civil"})
    assert r.status_code == 201 and r.json()["printed"] is False
    printer.close()
    assert printer.jobs == []


@pytest.mark.parametrize("url", ["tcp://127.0.0.1:1", "file:/nonexistent/folder/lp0"])
def test_a_failed_print_cancels_the_ticket_and_says_so(printer_bridge, url):
    client, bridge = printer_bridge(url)
    r = client.post("/api/tickets", json={"service": "etat-civil", "print": True})
    assert r.status_code == 503
    body = r.json()
    assert body["error"] == "printer_failed" and body["cancelled"] == "C001"
    assert "cancelled" in body["message"]
    service = client.get("/api/services/etat-civil").json()
    assert service["waiting"] == 0  # no phantom left to be called
    history = [type(s.event).__name__ for s in bridge.service.store.events_after(0)]
    assert history[-2:] == ["TicketIssued", "TicketCancelled"]


def test_a_retry_of_a_failed_print_does_not_print_the_cancelled_ticket(printer_bridge):
    client, _ = printer_bridge("tcp://127.0.0.1:1")
    headers = {"Idempotency-Key": "kiosk-press-0000000001"}
    first = client.post("/api/tickets", json={"service": "accueil", "print": True}, headers=headers)
    again = client.post("/api/tickets", json={"service": "accueil", "print": True}, headers=headers)
    assert first.status_code == again.status_code == 503
    assert "cancelled" in again.json()["message"]
    assert client.get("/api/services/accueil").json()["waiting"] == 0


def test_a_file_printer_gets_the_bytes(tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    data = ticket_bytes("M", "S", "A001", 0, None, "u")
    TicketPrinter(f"file:{device}").print(data)
    assert device.read_bytes() == data


def test_an_unplugged_usb_printer_is_a_clear_error():
    with pytest.raises(PrinterError, match="usb:04b8:0e15"):
        TicketPrinter("usb:04b8:0e15").print(b"x")


@pytest.mark.parametrize("url", ["lpt1", "tcp://", "tcp://host:99999", "usb:4b8:e15",
                                 "file:relative/lp0", "http://printer"])
def test_a_bad_printer_address_in_the_config_is_refused(url):
    assert example_refusal(lambda d: d.update(printer={"url": url})).key == "printer.url"


def test_a_printer_table_takes_no_unknown_key():
    printer = {"url": "tcp://10.0.0.9", "paper": "A4"}
    assert example_refusal(lambda d: d.update(printer=printer)).key == "printer.paper"
