"""Start the notifications of a bridge: one call for bootstrap.py to make."""
from __future__ import annotations

from typing import Any

from .notifier import Notifier
from .push import WebPush
from .settings import NotifySettings


class Notifications:
    """The notifier and its Web Push channel, stopped together (a `link` of the bridge)."""

    def __init__(self, app: Any, service: Any, db_path: str,
                 settings: NotifySettings | None = None, **push_options: Any):
        self.notifier = Notifier(service, settings)
        self.push = WebPush(db_path, self.notifier, **push_options)
        app.state.notifier = self.notifier  # other channels (SMS) add themselves to it
        app.state.web_push = self.push

    def start(self) -> "Notifications":
        self.push.start()
        self.notifier.start()
        return self

    def stop(self) -> None:
        self.notifier.stop()
        self.push.stop()
