"""What a citizen is told, once made: the same notice for every channel (push, SMS)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Kind = Literal["near", "called"]


@dataclass(frozen=True)
class Notice:
    ticket_id: str
    kind: Kind
    label: str
    service: str
    counter: int | None
    ahead: int | None
    minutes: int | None
    text: str  # French, short enough for one SMS (160 characters)


class Channel(Protocol):
    def send(self, notice: Notice) -> None:
        """Hand the notice over and return at once (queue it): the notifier's thread must not
        wait on a network."""


def _people(ahead: int) -> str:
    if ahead <= 0:
        return "vous êtes le prochain ou la prochaine"
    return f"{ahead} personne{'s' if ahead > 1 else ''} avant vous"


def near_notice(view: dict[str, Any]) -> Notice:
    """« near », from the ticket's view (service/views.ticket_view) while it waits."""
    ahead = view.get("ahead")
    estimate = view.get("estimate") or {}
    minutes = estimate.get("high_minutes")
    label = view["label"]
    if ahead is not None:
        detail = _people(ahead)
    else:
        detail = f"environ {minutes} min d'attente"
    return Notice(view["id"], "near", label, view["service"], None, ahead, minutes,
                  f"C'est bientôt à vous : {label}, {detail}")


def called_notice(view: dict[str, Any]) -> Notice:
    """« called », at the call and at each recall, with the counter."""
    label, counter = view["label"], view.get("counter")
    again = "rappel, " if view.get("recalls") else ""
    where = f"au guichet {counter}" if counter is not None else "au guichet"
    return Notice(view["id"], "called", label, view["service"], counter, 0, 0,
                  f"{label} : {again}présentez-vous {where}")
