"""The one-question survey after the visit (« Êtes-vous satisfait de l'accueil ? ») on the
ticket page. `install(app, settings, service)` adds its routes and sets `app.state.survey`
(a bridge link: start/stop)."""
from __future__ import annotations

from typing import Any


class _NotYet:  # placeholder until the capability lands
    def start(self) -> "_NotYet":
        return self

    def stop(self) -> None:
        pass


def install(app: Any, settings: Any, service: Any) -> None:
    app.state.survey = _NotYet()
