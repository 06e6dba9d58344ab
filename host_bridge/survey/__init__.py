"""The one-question survey after the visit (« Êtes-vous satisfait de l'accueil ? ») on the
ticket page: the vote counts with the feedback terminals' in the satisfaction indicators
(source "phone"), its optional comment is kept apart for supervisors (comments.py).
`install(app, settings, service)` adds its routes (routes.py) and sets `app.state.survey`
(link.py: a bridge link, start/stop)."""
from __future__ import annotations

from typing import Any

from .link import Survey


def install(app: Any, settings: Any, service: Any) -> None:
    from .routes import router  # the api package imports this one: its modules after it
    app.state.survey = Survey(settings, service)
    app.include_router(router)
