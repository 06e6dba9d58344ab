"""Printing a ticket on an ESC/POS thermal printer (python-escpos): USB, network or a device
file. The bytes are made first (on escpos's Dummy printer: what tests read), then sent in one
go on a connection opened for this ticket only — a printer switched off and on again, or
replugged, works again at the next ticket.

    printer = TicketPrinter("tcp://192.168.1.50:9100")    # or usb:04b8:0e15, file:/dev/usb/lp0
    printer.print(ticket_bytes(site_name, service_name, label, ahead, estimate, page_url))
                                                          # PrinterError if it did not go out
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from escpos.printer import Dummy, File, Network, Usb

from .addresses import FILE, TCP, USB

TIMEOUT_S = 5.0


class PrinterError(Exception):
    """The ticket did not reach the printer (the message says why, for the kiosk and the log)."""


def ticket_bytes(site: str, service: str, label: str, ahead: int | None,
                 estimate: str | None, url: str, footer: str = "",
                 priority: str | None = None, needs: Sequence[str] = ()) -> bytes:
    """A ticket: the site, the number very large, the service, a priority ticket's category
    in words (a thermal ticket has no colour to say it), the needs asked at the kiosk in
    words, one a line, the people ahead and the wait, a QR code of the ticket's page, then a
    cut."""
    p = Dummy()
    p.set(align="center", bold=True)
    p.textln(site)
    p.set(align="center", custom_size=True, width=4, height=4)
    p.textln(label)
    p.set(align="center", bold=False, normal_textsize=True)
    p.textln(service)
    if priority:
        p.set(align="center", bold=True, double_height=True)
        p.textln("TICKET PRIORITAIRE")
        p.set(align="center", bold=True, normal_textsize=True)
        p.textln(priority)
        p.textln("Montrez votre carte au guichet")
        p.set(align="center", bold=False, normal_textsize=True)
    if needs:
        p.set(align="center", bold=True, normal_textsize=True)
        p.textln("Vous avez demandé :")
        for need in needs:
            p.textln(f"- {need}")
        p.textln("L'agent le saura")
        p.set(align="center", bold=False, normal_textsize=True)
    if ahead is not None:
        p.textln("Vous êtes le prochain" if ahead == 0 else
                 f"{ahead} personne{'s' if ahead > 1 else ''} avant vous")
    if estimate:
        p.textln(f"Attente estimée : {estimate}")
    p.ln()
    p.qr(url, size=6, native=True)
    p.textln("Suivez votre place sur votre téléphone")
    if footer:
        p.textln(footer)
    p.cut()
    return bytes(p.output)


def _open(url: str) -> Any:
    if m := TCP.match(url):
        return Network(m.group(1), int(m.group(2) or 9100), timeout=TIMEOUT_S)
    if m := USB.match(url):
        return Usb(int(m.group(1), 16), int(m.group(2), 16), timeout=int(TIMEOUT_S * 1000))
    if m := FILE.match(url):
        return File(m.group(1))
    raise PrinterError(f"not a printer address: {url!r}")


class TicketPrinter:
    def __init__(self, url: str, opener: Callable[[str], Any] = _open):
        self.url, self.opener = url, opener

    def print(self, data: bytes) -> None:
        device = None
        try:
            device = self.opener(self.url)
            device.open()
            device._raw(data)
        except PrinterError:
            raise
        except Exception as exc:  # USB, socket, file: whatever the backend raises
            raise PrinterError(f"printer {self.url}: {exc or type(exc).__name__}") from None
        finally:
            if device is not None:
                try:
                    device.close()
                except Exception:
                    pass
                # escpos closes again when the object goes; a device that never opened
                # would raise there, out of anyone's reach
                device.close = lambda: None
