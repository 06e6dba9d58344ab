"""Printing a ticket on an ESC/POS thermal printer (python-escpos): USB, network or a device
file. The bytes are made first (on escpos's Dummy printer: what tests read), then sent in one
go on a connection opened for this ticket only — a printer switched off and on again, or
replugged, works again at the next ticket.

    printer = TicketPrinter("tcp://192.168.1.50:9100")    # or usb:04b8:0e15, file:/dev/usb/lp0
    printer.print(ticket_bytes(site_name, service_name, label, ahead, estimate, page_url))
                                                          # PrinterError if it did not go out
"""
from __future__ import annotations

import os
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .addresses import FILE, TCP, USB

TIMEOUT_S = 5.0


_escpos_module: ModuleType | None = None
_escpos_lock = threading.Lock()


def _escpos() -> ModuleType:
    """escpos.printer, imported at the first ticket (not with the bridge: most sites have no
    printer). At import python-escpos caches its printer profiles in a pickle, and calls
    mkdtemp() whether told where or not: a new folder in /tmp per process, never removed. Here
    the cache is one private folder per user, reused, and the folder mkdtemp() made inside it
    is removed (a folder of that name owned by someone else is not used: escpos's own way)."""
    global _escpos_module
    with _escpos_lock:
        if _escpos_module is None:
            folder = Path(tempfile.gettempdir()) / f"suivant-escpos-{os.getuid()}"
            try:
                folder.mkdir(mode=0o700, exist_ok=True)
                found = folder.lstat()
                mine = stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
            except OSError:
                mine = False
            if not mine:
                from escpos import printer
            else:
                os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(folder))
                before = set(folder.iterdir())
                saved, tempfile.tempdir = tempfile.tempdir, str(folder)
                try:
                    from escpos import printer
                finally:
                    tempfile.tempdir = saved
                for made in set(folder.iterdir()) - before:
                    if made.is_dir():
                        try:
                            made.rmdir()  # empty unless the pickle went there
                        except OSError:
                            pass
            _escpos_module = printer
        return _escpos_module


class PrinterError(Exception):
    """The ticket did not reach the printer (the message says why, for the kiosk and the log)."""


def ticket_bytes(site: str, service: str, label: str, ahead: int | None,
                 estimate: str | None, url: str, footer: str = "",
                 priority: str | None = None, needs: Sequence[str] = (),
                 passage: str | None = None) -> bytes:
    """A ticket: the site, the number very large, the service, a priority ticket's category
    in words (a thermal ticket has no colour to say it), the needs asked at the kiosk in
    words, one a line, the people ahead, when the turn should come (`passage`, bold: a clock
    time stays true on paper, minutes do not) and the wait, a QR code of the ticket's page,
    then a cut."""
    p = _escpos().Dummy()
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
    if passage:
        p.set(align="center", bold=True, normal_textsize=True)
        p.textln(passage)
        p.set(align="center", bold=False, normal_textsize=True)
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
    printer = _escpos()
    if m := TCP.match(url):
        return printer.Network(m.group(1), int(m.group(2) or 9100), timeout=TIMEOUT_S)
    if m := USB.match(url):
        return printer.Usb(int(m.group(1), 16), int(m.group(2), 16),
                           timeout=int(TIMEOUT_S * 1000))
    if m := FILE.match(url):
        return printer.File(m.group(1))
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
