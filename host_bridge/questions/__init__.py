"""Questions answered while waiting: a citizen's chat from the ticket page to the reception
desk, the FAQ's answers shown first (domain/faq_match.py). `install(app, settings, service)`
adds its routes and sets `app.state.questions` (a bridge link: start/stop)."""
from __future__ import annotations

from typing import Any


class _NotYet:  # placeholder until the capability lands
    def start(self) -> "_NotYet":
        return self

    def stop(self) -> None:
        pass


def install(app: Any, settings: Any, service: Any) -> None:
    app.state.questions = _NotYet()
