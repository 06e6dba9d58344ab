"""Start the notifications of a bridge: one call for bootstrap.py to make."""
from __future__ import annotations

from typing import Any

from .notifier import Notifier
from .push import WebPush
from .settings import NotifySettings


class Notifications:
    """The notifier and its Web Push channel (None when `push = false`), started and stopped
    together: a `link` of the bridge. Other channels (SMS) add themselves to the notifier
    before `start`."""

    def __init__(self, app: Any, service: Any, db_path: str,
                 settings: NotifySettings | None = None, **push_options: Any):
        settings = settings or NotifySettings()
        self.notifier = Notifier(service, settings)
        self.push = WebPush(db_path, self.notifier, contact=settings.contact,
                            **push_options) if settings.push else None
        app.state.notifier = self.notifier
        app.state.web_push = self.push

    def start(self) -> "Notifications":
        if self.push is not None:
            self.push.start()
        self.notifier.start()
        return self

    def stop(self) -> None:
        self.notifier.stop()
        if self.push is not None:
            self.push.stop()
