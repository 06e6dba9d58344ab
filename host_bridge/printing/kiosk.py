"""The kiosk's printed ticket, with its one promise: never a phantom. A ticket whose print
failed is cancelled at once — nobody holds it, so it would be called and waited for.

    kiosk = KioskPrinter(service, TicketPrinter(url), footer)
    kiosk.print_or_cancel(answer["ticket"], page_url)     # TicketNotPrinted if it did not go out
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..domain import commands as c
from .ticket_printer import PrinterError, TicketPrinter, ticket_bytes

log = logging.getLogger(__name__)
SOURCE = "printer"  # the cancellations' source in the history


class TicketNotPrinted(Exception):
    """The ticket is not on paper, and no longer in the queue (`label` says which it was)."""

    def __init__(self, message: str, label: str):
        super().__init__(message)
        self.label = label


def estimate_text(estimate: dict[str, Any] | None) -> str | None:
    """The printed wait in minutes, as the pages say it (suivant.js `waitWords`): never a range
    from 0 while people wait; an uncertain estimate is its single guess, never a range."""
    if not estimate:
        return None
    low, high = estimate["low_minutes"], estimate["high_minutes"]
    if high <= 1:
        return "moins d'une minute"
    if estimate.get("reliable") is False:
        return f"environ {estimate.get('minutes', (low + high) // 2)} min"
    if low >= 120:
        return "plus de deux heures"
    return f"jusqu'à {high} min" if low <= 0 else f"{low} à {high} min"


def clock_text(iso: str) -> str:
    """« 10 h 40 »: the hour as the bridge wrote it, with the site's own offset (never converted
    to the zone of the machine that prints)."""
    t = datetime.fromisoformat(iso)
    return f"{t.hour} h {t.minute:02d}"


def passage_text(estimate: dict[str, Any] | None) -> str | None:
    """When the citizen should be called, on paper: « Passage vers 10 h 40 (entre 10 h 35 et
    10 h 50) »; uncertain: « Passage vers 10 h 40 environ (estimation incertaine) ». None for a
    wait under a minute (the minutes say it) or without the clock times."""
    if not estimate or estimate["high_minutes"] <= 1 or not estimate.get("expected_at"):
        return None
    around = clock_text(estimate["expected_at"])
    if estimate.get("reliable") is False:
        return f"Passage vers {around} environ (estimation incertaine)"
    earliest, latest = estimate.get("earliest_at"), estimate.get("latest_at")
    if not earliest or not latest or earliest == latest:
        return f"Passage vers {around}"
    if estimate["low_minutes"] <= 0:  # never « entre maintenant et … »
        return f"Passage vers {around} (d'ici {clock_text(latest)})"
    return f"Passage vers {around} (entre {clock_text(earliest)} et {clock_text(latest)})"


# The kiosk pages' words for a citizen's needs (suivant.js NEEDS): a thermal ticket has no icon
NEED_WORDS = {"hearing_loop": "boucle magnétique",
              "sign_language": "interprète en langue des signes (LSF)",
              "seated": "guichet assis ou bas"}


def need_words(needs: list[str]) -> list[str]:
    """Each need in words, in the order asked; an id without words yet is printed as it is."""
    return [NEED_WORDS.get(n, n) for n in needs]


class KioskPrinter:
    def __init__(self, service: Any, printer: TicketPrinter, footer: str = ""):
        self.service, self.printer, self.footer = service, printer, footer

    def print_or_cancel(self, ticket: dict[str, Any], page_url: str) -> None:
        service = self.service
        now = service.read(lambda state: state.ticket(ticket["id"]).status.value)
        if now != "waiting":  # a retried request whose print failed: that ticket is gone
            raise TicketNotPrinted(f"ticket {ticket['label']} was not printed and is {now}",
                                   ticket["label"])
        site = service.site
        names = {s.id: s.name for s in site.services}
        category = ticket.get("category")
        known = site.category(category) if category else None
        priority = known.name if known else category
        try:
            self.printer.print(ticket_bytes(site.name, names[ticket["service"]],
                                            ticket["label"], ticket["ahead"],
                                            estimate_text(ticket["estimate"]), page_url,
                                            self.footer, priority,
                                            need_words(ticket.get("needs") or []),
                                            passage_text(ticket["estimate"])))
        except PrinterError as exc:
            service.execute(c.CancelTicket(ticket["id"]), SOURCE)
            log.warning("%s; ticket %s cancelled", exc, ticket["label"])
            raise TicketNotPrinted(f"{exc}; ticket {ticket['label']} cancelled",
                                   ticket["label"]) from None
