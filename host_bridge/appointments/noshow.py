"""The sweep: appointments become seen or no-show, and the booking tools are told.

Every `every_s` (30 s) on the service's clock, and at once after a ticket is served, marked
absent or cancelled (a bus listener wakes it): the queue's state is the truth it reads, so a
restart loses nothing. An appointment is
- no-show when it was never checked in `no_show_minutes` after its time (and the queue's
  history records it, MissAppointment: the indicators count it), or when its ticket was marked
  absent and not put back once the undo and « Je suis là » windows are over, or given up;
- seen when its ticket was served.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from ..domain import commands as c
from ..domain.errors import DomainError
from ..domain.tickets import TicketStatus
from ..service.periodic import Periodic
from ..service.queue_service import SYSTEM, QueueService
from .model import Appointment, Status
from .outcomes import Outcomes
from .store import AppointmentStore

log = logging.getLogger(__name__)
EVERY_S = 30.0
_WAKE = frozenset({"TicketServed", "TicketAbsent", "TicketCancelled"})
_OPEN = (Status.BOOKED, Status.CHECKED_IN, Status.LATE_WALK_IN)


class Sweep:
    def __init__(self, store: AppointmentStore, service: QueueService, outcomes: Outcomes,
                 every_s: float = EVERY_S, lock: threading.Lock | None = None):
        self.store, self.service, self.outcomes, self.every_s = store, service, outcomes, every_s
        self.lock = lock or threading.Lock()  # the check-in's: an outcome decided between two
        # of its steps would be overwritten
        # a locked file, a full disk: the next round
        self._rounds = Periodic("appointments-sweep", self.run_once, every_s,
                                failed="the sweep failed; trying again")

    def wake(self) -> None:
        """Run a round now (a feed brought a new list)."""
        self._rounds.wake()

    def on_events(self, items: list[dict[str, Any]]) -> None:
        """A bus listener (the committing thread, under the queue's lock): only a flag."""
        if any(item.get("type") in _WAKE for item in items):
            self._rounds.wake()

    def run_once(self) -> dict[str, int]:
        counts = {"seen": 0, "noshow": 0}
        with self.lock:
            now = self.service.clock.now()
            today = now.astimezone(self.service.tz).date()
            self.store.purge_before(today)
            open_ = [a for a in self.store.day(today) if a.status in _OPEN]
            tickets = self._tickets({a.ticket_id for a in open_ if a.ticket_id})
            for a in open_:
                ticket = tickets.get(a.ticket_id) if a.ticket_id else None
                status = self._outcome(a, ticket, now)
                if status is not None and self.store.mark(a, status, only_from=_OPEN):
                    counts[status.value] += 1
                    if status is Status.NOSHOW and ticket is None:
                        self._record_missed(a)
        # outside the lock: a slow booking tool must not hold up a check-in
        self.outcomes.run_once(now.timestamp(), lambda: self._rounds.stopping)
        return counts

    def _tickets(self, ids: set[str]) -> dict[str, tuple[TicketStatus, datetime | None]]:
        if not ids:
            return {}
        return self.service.read(lambda s: {
            t: (s.tickets[t].status, s.tickets[t].finished_at) for t in ids if t in s.tickets})

    def _outcome(self, a: Appointment, ticket, now: datetime) -> Status | None:
        config = self.service.site.service(a.service)
        if config is None:
            return None
        status, finished = ticket if ticket is not None else (None, None)
        if status is None or status is TicketStatus.CANCELLED:
            # never checked in, or its ticket given up (the citizen may check in again)
            late = timedelta(minutes=config.appointment_rules.no_show_minutes)
            return Status.NOSHOW if now >= a.at + late else None
        if status is TicketStatus.SERVED:
            return Status.SEEN
        if status is TicketStatus.ABSENT and finished is not None:
            rules = self.service.site.rules
            window = max(rules.undo_absent_seconds, getattr(rules, "comeback_minutes", 0) * 60)
            return Status.NOSHOW if now >= finished + timedelta(seconds=window) else None
        return None

    def _record_missed(self, a: Appointment) -> None:
        try:
            self.service.execute(c.MissAppointment(a.service, a.at), SYSTEM)
        except DomainError as exc:  # recorded or not, the appointment stays a no-show
            log.warning("appointments: the no-show of %s at %s not recorded: %s", a.service,
                        a.at.isoformat(), exc.message)

    def start(self) -> Sweep:
        self.service.bus.listen(self.on_events)
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
