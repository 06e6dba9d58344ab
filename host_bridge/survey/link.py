"""The survey in a running bridge: its comments' file, opened on first use (a bridge whose
phones never answer makes no file), and the hourly round that deletes the comments older than
the site's retention_days (the history's own retention, service/retention.py).

    survey = Survey(settings, service)    # app.state.survey
    survey.start()                        # the retention round; .stop() at shutdown
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any

from ..questions.settings import QuestionSettings
from ..service.periodic import Periodic
from ..service.queue_service import QueueService
from .comments import CommentStore, comments_path

log = logging.getLogger(__name__)
EVERY_S = 3600.0


class Survey:
    def __init__(self, settings: Any, service: QueueService, every_s: float = EVERY_S):
        self.service = service
        questions = getattr(settings, "questions", None) or QuestionSettings()
        self.enabled: bool = questions.survey  # [questions] survey: the site's switch
        self.retention_days: int = settings.retention_days
        self.path = comments_path(settings.db_path)
        self.per_counter: bool = settings.figures_per_counter
        self._store: CommentStore | None = None
        self._opening = threading.Lock()
        self._rounds = Periodic("survey-retention", self.purge_once, every_s,
                                failed="the comments' purge failed; tried again next round")

    @property
    def comments(self) -> CommentStore:
        with self._opening:
            if self._store is None:
                self._store = CommentStore(self.path)
                if not self.per_counter:  # the switch turned off since: no comment keeps one
                    self._store.forget_counters()
            return self._store

    def purge_once(self) -> int:
        """Deletes the comments of the days before today - retention_days; -> how many."""
        if self._store is None and not os.path.exists(self.path):
            return 0  # nothing kept yet: no file made for it
        today = self.service.clock.now().astimezone(self.service.tz).date()
        deleted = self.comments.purge_before((today - timedelta(days=self.retention_days))
                                             .isoformat())
        if deleted:
            log.info("survey: %d comment(s) past the retention period deleted", deleted)
        return deleted

    def start(self) -> "Survey":
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
        with self._opening:
            if self._store is not None:
                self._store.close()
                self._store = None
