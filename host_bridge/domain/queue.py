"""The authoritative queue of one site for one day.

`decide(command, now)` validates a command against the current state and returns the events it
produces, changing nothing; `apply(event)` is the only way state changes. The service layer
commits the events before applying them, so the state always equals the replay of the history.
"""
from __future__ import annotations

from collections import Counter as Tally
from collections import deque
from datetime import datetime, timedelta, timezone

from . import commands as c
from . import events as e
from .elapsed import elapsed, minutes
from .errors import (
    AlreadyAnswered, ComeBackRefused, CounterNotOpen, DelayRefused, DuplicateTicketId,
    InvalidAppointment, InvalidFeedback, NoCurrentTicket, NoFreeNumber, NothingToUndo, NotServed,
    RecallRefused, SameService, ServiceNotServed, SiteChangeRefused, SiteClosed,
    TicketNotWaiting, UndoExpired, UndoRefused, UnknownCategory, UnknownCounter, UnknownNeed,
    UnknownService, UnknownTicket,
)
from .estimate import (
    COUNTERS_CHANGED, LITTLE_HISTORY, OpenCounter, ServiceTime, WaitEstimate,
    counters_serving, play_forward, service_time, spread_range,
)
from .selection import (
    appointments_due, index_in, index_in_appointments, people_ahead, pick_next,
)
from .site import NEEDS, Counter, Service, Site
from .call_board import CallBoard
from .tickets import CounterState, CounterStatus, Ticket, TicketStatus
from .wait_range import Errors, calibrated, scale

MAX_NUMBER = 999
RECENT_SERVICE_TIMES = 20
CHANGE_WINDOW = timedelta(minutes=10)  # after a counter serving a service opens or closes,
# its estimates are said uncertain this long (the errors calibrating them were made before)


class DayNotStarted(RuntimeError):
    """Programmer error: the service layer must start the day before other commands."""


class QueueState:
    def __init__(self, site: Site, max_number: int = MAX_NUMBER):
        self.site = site
        self.max_number = max_number  # 999; smaller only in tests, to reach the wrap quickly
        self.day = None
        self.tickets: dict[str, Ticket] = {}
        self.waiting: dict[str, list[Ticket]] = {s.id: [] for s in site.services}  # arrival order
        self.priority_waiting: dict[str, list[Ticket]] = {s.id: [] for s in site.services}
        # appointment tickets, in appointment-time order (they are in `waiting` too), and again
        # in arrival order: how many stand before a walk-in is then a binary search
        self.appointment_waiting: dict[str, list[Ticket]] = {s.id: [] for s in site.services}
        self.appointment_arrivals: dict[str, list[Ticket]] = {s.id: [] for s in site.services}
        self.last_number: dict[str, int] = {s.id: 0 for s in site.services}
        # letter -> number -> how many live (waiting or called) tickets hold that label today,
        # transferred ones included (they keep their label). A count, not a set: a day recorded
        # before labels were kept unique may hold a label twice, and must replay all the same.
        self.live_numbers: dict[str, Tally[int]] = {}
        self.issued_today = 0
        self.priority_in_row: dict[str, int] = {s.id: 0 for s in site.services}
        self.recent_minutes: dict[str, deque[float]] = {
            s.id: deque(maxlen=RECENT_SERVICE_TIMES) for s in site.services}
        self.counters: dict[int, CounterState] = {k.number: CounterState(k.number)
                                                  for k in site.counters}
        self.as_of: datetime | None = None  # the latest time known: events' or observe()'s
        self.counters_used_today: set[int] = set()  # a site change may not remove these
        self.calls = CallBoard()  # the latest calls, the last served: what the boards show
        self.rated: set[str] = set()  # today's tickets whose survey was answered (once each)
        # each service's time from its recent_minutes, as every estimate reads them: one made
        # again only when a time is added to it (served, absent); all when the day starts or
        # the site changes
        self._times: dict[str, ServiceTime] = {}
        # the wait estimates' calibration: each walk-in's estimate at issue (point, people
        # ahead, service), and when called, its error in its service's Errors
        self.told: dict[str, tuple[float, int, str]] = {}
        self.errors: dict[str, Errors] = {s.id: Errors() for s in site.services}
        self.counters_changed_at: dict[str, datetime] = {}  # service -> a counter opened/closed
        self._version = 0  # events applied: with as_of, what a remembered point depends on
        self._last_point: tuple[tuple, tuple[float, float, int] | None] | None = None

    # ----- reading -------------------------------------------------------------------------
    def counter_config(self, number: int) -> Counter:
        counter = self.site.counter(number)
        if counter is None:
            raise UnknownCounter(f"unknown counter {number}")
        return counter

    def service_config(self, service_id: str) -> Service:
        service = self.site.service(service_id)
        if service is None:
            raise UnknownService(f"unknown service {service_id!r}")
        return service

    def ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise UnknownTicket("unknown ticket")
        return ticket

    def current_ticket(self, counter: int) -> Ticket | None:
        ticket_id = self.counters[counter].ticket_id
        return self.tickets[ticket_id] if ticket_id else None

    def ahead_of(self, ticket: Ticket) -> int:
        appointments = self.appointment_waiting.get(ticket.service, ())
        due_by = None
        if appointments and self.as_of is not None:
            due_by = self.as_of + self.callable_before(ticket.service)
        return people_ahead(ticket, self.waiting.get(ticket.service, ()),
                            self.priority_waiting.get(ticket.service, ()), appointments, due_by,
                            self.appointment_arrivals.get(ticket.service, ()))

    def callable_now(self, service_id: str, now: datetime | None = None) -> int:
        """The service's waiting tickets that may be called now (default as_of): all but the
        appointments checked in early and not yet due (pick_next passes them over; they may
        never come). Also the people a walk-in issued now has ahead of it (people_ahead)."""
        line = self.waiting.get(service_id, ())
        appointments = self.appointment_waiting.get(service_id)
        at = now if now is not None else self.as_of
        if not appointments or at is None:
            return len(line)
        due = appointments_due(appointments, at + self.callable_before(service_id))
        return len(line) - len(appointments) + due

    def callable_before(self, service_id: str) -> timedelta:
        service = self.site.service(service_id)
        rules = service.appointment_rules if service else None
        return timedelta(minutes=rules.callable_before_minutes if rules else 5.0)

    def callable_from(self, ticket: Ticket) -> datetime | None:
        """When an appointment's ticket may first be called (None: a walk-in, at once)."""
        if not ticket.by_appointment or ticket.appointment_at is None:
            return None
        return ticket.appointment_at - self.callable_before(ticket.service)

    def waiting_since(self, ticket: Ticket) -> datetime:
        """When its wait began: its arrival, or for an appointment checked in early, when it
        became callable (before that it waits for its time, not for a counter)."""
        start = self.callable_from(ticket)
        return ticket.issued_at if start is None else max(ticket.issued_at, start)

    def _serving(self, service_id: str) -> frozenset[int]:
        """The open counters serving the service."""
        return frozenset(k.number for k in self.site.counters if service_id in k.services
                         and k.number in self.counters
                         and self.counters[k.number].status is CounterStatus.OPEN)

    def counters_open_for(self, service_id: str) -> int:
        return len(self._serving(service_id))

    def estimate(self, service_id: str, ahead: int) -> WaitEstimate | None:
        """As of `as_of` (the latest event's time, or later if the service layer said so): the
        counters played forward over the people waiting now, and the range their recent errors
        call for (wait_range.py); None when no counter serving the service is open."""
        if self.site.service(service_id) is None or self.as_of is None:
            return None
        played = self._point(service_id, ahead, self.as_of)
        if played is None:
            return None
        middle, variance, serving = played
        bounds = self.errors[service_id].bounds() if service_id in self.errors else None
        why = None
        if bounds is None:
            low, high = spread_range(middle, variance, serving, ahead)  # for the range's readers
            why = LITTLE_HISTORY
        else:
            low, high = calibrated(middle, ahead, bounds)
            changed = self.counters_changed_at.get(service_id)
            if changed is not None and self.as_of - changed < CHANGE_WINDOW:
                why = COUNTERS_CHANGED
        return WaitEstimate(low, high, serving, min(high, max(low, round(middle))),
                            why is None, why)

    def _point(self, service_id: str, ahead: int, now: datetime
               ) -> tuple[float, float, int] | None:
        """(minutes, variance, counters serving) of the counters played forward; the last one
        is remembered: a ticket's issue computes it, then its answer reads the same."""
        key = (service_id, ahead, now, self._version)
        if self._last_point is not None and self._last_point[0] == key:
            return self._last_point[1]
        counters, waiting, times = self.estimate_inputs(now)
        played = play_forward(service_id, ahead, counters, waiting, times)
        got = None if played is None else (*played, counters_serving(service_id, counters))
        self._last_point = (key, got)
        return got

    def estimate_inputs(self, now: datetime | None = None
                        ) -> tuple[list[OpenCounter], dict[str, int], dict[str, ServiceTime]]:
        """What playing the counters forward reads, as of `now` (default as_of): the open
        counters (what each is busy with, for how long), how many wait in each service, the
        service times."""
        counters = []
        now = now if now is not None else self.as_of
        as_of = now.astimezone(timezone.utc) if now is not None else None
        for k in self.site.counters:
            state = self.counters[k.number]
            if state.status is not CounterStatus.OPEN:
                continue
            current = self.tickets.get(state.ticket_id) if state.ticket_id else None
            busy_for = 0.0
            if current is not None and current.called_at is not None and as_of is not None:
                # elapsed.minutes(called_at, as_of), with as_of in UTC once for every counter
                busy_for = max(0.0, (as_of - current.called_at.astimezone(timezone.utc))
                               .total_seconds() / 60)
            counters.append(OpenCounter(k.services, current.service if current else None,
                                        busy_for))
        # an appointment checked in early takes no counter's time before it is due
        waiting = {s: self.callable_now(s, now) for s in self.waiting}
        times = self._times
        for s in self.site.services:
            if s.id not in times:
                times[s.id] = service_time(self.recent_minutes[s.id], s.default_service_minutes)
        return counters, waiting, times

    def observe(self, now: datetime) -> None:
        """The service layer tells the time before a read: estimates count from it."""
        if self.as_of is None or now > self.as_of:
            self.as_of = now

    def needs_day(self, now: datetime) -> bool:
        return self.day != now.date()

    # ----- deciding ------------------------------------------------------------------------
    def decide(self, command: c.Command, now: datetime) -> list[e.Event]:
        if isinstance(command, c.StartDay):
            return self._start_day(command, now)
        if self.needs_day(now):
            raise DayNotStarted(f"day {now.date()} not started (state is on {self.day})")
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"not a queue command: {command!r}")
        return handler(self, command, now)

    def _start_day(self, command: c.StartDay, now: datetime) -> list[e.Event]:
        if self.day == command.day:
            return []
        leftover = tuple(t.id for t in self.tickets.values() if t.status.live)
        return [e.DayStarted(command.day, now, leftover)]

    def _issue(self, command: c.IssueTicket, now: datetime) -> list[e.Event]:
        service = self.service_config(command.service)
        if command.category is not None and self.site.category(command.category) is None:
            raise UnknownCategory(f"unknown priority category {command.category!r}")
        if self.site.rules.refuse_outside_hours and not self.site.hours.is_open(
                now.weekday(), now.time()):
            raise SiteClosed(f"{self.site.name} is closed now: tickets are issued during opening hours")
        if command.ticket_id in self.tickets:
            raise DuplicateTicketId("ticket id already used")
        unknown = [n for n in command.needs if n not in NEEDS]
        if unknown:
            raise UnknownNeed(f"unknown need {unknown[0]!r}: one of {', '.join(NEEDS)}")
        number = self._free_number(service)
        label = f"{service.letter}{number:03d}"
        needs = tuple(n for n in NEEDS if n in command.needs)  # each once, in the list's order
        at = command.appointment_at
        if at is not None and (at.tzinfo is None or at.astimezone(now.tzinfo).date() != now.date()):
            raise InvalidAppointment("an appointment ticket is for an appointment of today "
                                     "(a time with its zone)")
        return [e.TicketIssued(command.ticket_id, service.id, number, label, command.category, now,
                               needs, at.astimezone(now.tzinfo) if at is not None else None)]

    def _free_number(self, service: Service) -> int:
        """The number after the service's last one (999 wraps to 001), skipping the labels of its
        letter a live ticket still holds. At most `max_number` look-ups, however many tickets the
        day has seen; the event records the number, so a replay never decides it again."""
        live = self.live_numbers.get(service.letter, ())
        number = self.last_number.get(service.id, 0)
        if len(live) < self.max_number:
            for _ in range(self.max_number):
                number = number % self.max_number + 1
                if number not in live:
                    return number
        raise NoFreeNumber(f"all {self.max_number} numbers of letter {service.letter} are held by "
                           "waiting or called tickets: serve or cancel some before issuing more")

    def _cancel(self, command: c.CancelTicket, now: datetime) -> list[e.Event]:
        ticket = self.ticket(command.ticket_id)
        if ticket.status is not TicketStatus.WAITING:
            raise TicketNotWaiting(f"ticket {ticket.label} is {ticket.status.value}, not waiting")
        return [e.TicketCancelled(ticket.id, now)]

    def _open_counter(self, number: int) -> CounterState:
        self.counter_config(number)
        state = self.counters[number]
        if state.status is CounterStatus.CLOSED:
            raise CounterNotOpen(f"counter {number} is closed: open it first")
        return state

    def _finish_current(self, state: CounterState, now: datetime) -> list[e.Event]:
        if state.ticket_id is None:
            return []
        return [e.TicketServed(state.ticket_id, state.number, now)]

    def _call_next(self, command: c.CallNext, now: datetime) -> list[e.Event]:
        state = self._open_counter(command.counter)
        guard = timedelta(seconds=self.site.rules.guard_seconds)
        if state.ticket_id is not None and state.last_next_at is not None \
                and elapsed(state.last_next_at, now) < guard:
            return []  # a double press: answered with the current ticket, nobody skipped
        out: list[e.Event] = []
        if state.status is CounterStatus.PAUSED:
            out.append(e.CounterOpened(state.number, now))
        out += self._finish_current(state, now)
        counter = self.counter_config(command.counter)
        due = {sid: self.callable_before(sid) for sid in counter.services
               if self.appointment_waiting.get(sid)}
        ticket = pick_next(counter, self.waiting, self.priority_waiting, self.priority_in_row,
                           self.site.rules, now, self._offered_elsewhere(counter),
                           self.appointment_waiting if due else None, due)
        if ticket is not None:
            out.append(e.TicketCalled(ticket.id, state.number, now))
        return out

    def _offered_elsewhere(self, counter: Counter) -> dict[str, frozenset[str]]:
        """service -> the needs the *other* open counters serving it offer (what this counter
        may leave to them); empty when no counter of the site offers anything."""
        out: dict[str, set[str]] = {}
        for k in self.site.offering:
            if k.number != counter.number and self.counters[k.number].status is CounterStatus.OPEN:
                for service in k.services:
                    out.setdefault(service, set()).update(k.offers)
        return {service: frozenset(needs) for service, needs in out.items()}

    def _current(self, number: int) -> tuple[CounterState, Ticket]:
        state = self._open_counter(number)
        if state.ticket_id is None:
            raise NoCurrentTicket(f"counter {number} is not serving anyone")
        return state, self.tickets[state.ticket_id]

    def _recall(self, command: c.Recall, now: datetime) -> list[e.Event]:
        state, ticket = self._current(command.counter)
        rules = self.site.rules
        if ticket.recalls >= rules.max_recalls:
            raise RecallRefused(f"{ticket.label} already recalled {ticket.recalls} times: "
                                "mark it absent")
        since = elapsed(ticket.last_call_at, now).total_seconds() if ticket.last_call_at else 1e9
        if since < rules.recall_min_delay_seconds:
            wait = rules.recall_min_delay_seconds - since
            raise RecallRefused(f"{ticket.label} was called {since:.0f} s ago: "
                                f"recall possible in {wait:.0f} s")
        return [e.TicketRecalled(ticket.id, state.number, ticket.recalls + 1, now)]

    def _absent(self, command: c.MarkAbsent, now: datetime) -> list[e.Event]:
        state, ticket = self._current(command.counter)
        return [e.TicketAbsent(ticket.id, state.number, now)]

    def _undo_absent(self, command: c.UndoAbsent, now: datetime) -> list[e.Event]:
        ticket = self.absence_to_undo(command.counter)
        if ticket is None:
            raise NothingToUndo(f"counter {command.counter} has no « absent » to undo: none "
                                "marked, already undone, or called again since")
        window = self.site.rules.undo_absent_seconds
        since = elapsed(ticket.finished_at, now).total_seconds()  # type: ignore[arg-type]
        if since > window:
            raise UndoExpired(f"{ticket.label} was marked absent {since:.0f} s ago: an "
                              f"« absent » can be undone within {window:.0f} s")
        if self.live_numbers.get(ticket.letter, {}).get(ticket.number):
            raise UndoRefused(f"{ticket.label} was given to a new ticket since it was marked "
                              "absent: issue the citizen a new ticket")
        return [e.TicketAbsenceUndone(ticket.id, command.counter, now)]

    def absence_to_undo(self, counter: int) -> Ticket | None:
        """The ticket this counter last marked absent, if it is still absent (the window
        aside). UnknownCounter for a counter the site does not have."""
        self.counter_config(counter)
        ticket_id = self.counters[counter].last_absent
        ticket = self.tickets.get(ticket_id) if ticket_id else None
        if ticket is None or ticket.status is not TicketStatus.ABSENT or ticket.counter != counter:
            return None
        return ticket

    def _delay(self, command: c.DelayTicket, now: datetime) -> list[e.Event]:
        ticket = self.ticket(command.ticket_id)
        minutes_ = self.site.rules.delay_minutes
        if minutes_ <= 0:
            raise DelayRefused("this site does not hold tickets for late citizens")
        if ticket.status is not TicketStatus.WAITING:
            raise DelayRefused(f"ticket {ticket.label} is {ticket.status.value}, not waiting")
        if ticket.delayed:
            raise DelayRefused(f"ticket {ticket.label} was already held once")
        return [e.TicketDelayed(ticket.id, now + timedelta(minutes=minutes_), now)]

    def _come_back(self, command: c.ComeBack, now: datetime) -> list[e.Event]:
        ticket = self.ticket(command.ticket_id)
        rules = self.site.rules
        if rules.comeback_minutes <= 0:
            raise ComeBackRefused("this site does not put back tickets marked absent: "
                                  "see reception")
        if ticket.status is not TicketStatus.ABSENT:
            raise ComeBackRefused(f"ticket {ticket.label} is {ticket.status.value}, not absent")
        if ticket.came_back:
            raise ComeBackRefused(f"ticket {ticket.label} was already put back once: "
                                  "see reception")
        since = minutes(ticket.finished_at, now)  # type: ignore[arg-type]
        if since > rules.comeback_minutes:
            raise ComeBackRefused(f"ticket {ticket.label} was marked absent {since:.0f} min "
                                  f"ago: it can come back within {rules.comeback_minutes:g} min")
        if self.live_numbers.get(ticket.letter, {}).get(ticket.number):
            raise ComeBackRefused(f"{ticket.label} was given to a new ticket since: "
                                  "see reception")
        place_at, place_order = self._place_behind(ticket.service, rules.comeback_after, now)
        return [e.TicketCameBack(ticket.id, place_at, place_order, now)]

    def _place_behind(self, service_id: str, count: int, now: datetime
                      ) -> tuple[datetime, float]:
        """An arrival key just behind the `count`-th walk-in now waiting in the service's line
        (all of them if fewer), before the next ticket: unique among the waiting tickets."""
        line = self.waiting.get(service_id, [])
        walk_ins = [i for i, t in enumerate(line) if not t.by_appointment]
        if count <= 0 or not walk_ins:
            first = line[0].arrival_key if line else (now, 0.0)
            return first[0], first[1] - 0.5  # ahead of everyone (or the line is empty)
        i = walk_ins[min(count, len(walk_ins)) - 1]
        at, order = line[i].arrival_key
        following = line[i + 1].arrival_key if i + 1 < len(line) else None
        if following is not None and following[0] == at:
            return at, (order + following[1]) / 2
        return at, order + 0.5

    def _miss_appointment(self, command: c.MissAppointment, now: datetime) -> list[e.Event]:
        self.service_config(command.service)
        at = command.appointment_at
        if at.tzinfo is None:
            raise InvalidAppointment("an appointment's time carries its zone")
        return [e.AppointmentMissed(command.service, at.astimezone(now.tzinfo), now)]

    def _finish(self, command: c.Finish, now: datetime) -> list[e.Event]:
        state, ticket = self._current(command.counter)
        return [e.TicketServed(ticket.id, state.number, now)]

    def _transfer(self, command: c.Transfer, now: datetime) -> list[e.Event]:
        state, ticket = self._current(command.counter)
        target = command.service
        if target is None:
            others = [s for s in self.counter_config(command.counter).services
                      if s != ticket.service]
            if not others:
                raise ServiceNotServed(f"counter {command.counter} serves no other service to "
                                       f"transfer {ticket.label} to")
            target = others[0]
        self.service_config(target)
        if target == ticket.service:
            raise SameService(f"{ticket.label} is already in service {target!r}: "
                              "transfer it to another service")
        if not any(target in k.services for k in self.site.counters):
            raise ServiceNotServed(f"no counter serves {target!r}")
        return [e.TicketTransferred(ticket.id, state.number, ticket.service, target, now)]

    def _open(self, command: c.OpenCounter, now: datetime) -> list[e.Event]:
        self.counter_config(command.counter)
        if self.counters[command.counter].status is CounterStatus.OPEN:
            return []
        return [e.CounterOpened(command.counter, now)]

    def _pause(self, command: c.PauseCounter, now: datetime) -> list[e.Event]:
        state = self._open_counter(command.counter)
        if state.status is CounterStatus.PAUSED:
            return []
        return self._finish_current(state, now) + [e.CounterPaused(state.number, now)]

    def _pause_or_resume(self, command: c.PauseOrResume, now: datetime) -> list[e.Event]:
        self.counter_config(command.counter)
        if self.counters[command.counter].status is CounterStatus.OPEN:
            return self._pause(c.PauseCounter(command.counter), now)
        return [e.CounterOpened(command.counter, now)]

    def _feedback(self, command: c.GiveFeedback, now: datetime) -> list[e.Event]:
        if isinstance(command.score, bool) or command.score not in (1, 2, 3, 4):
            raise InvalidFeedback(f"a score is 1 to 4, not {command.score!r}")
        if command.source not in c.FEEDBACK_SOURCES:
            raise InvalidFeedback(f"a vote comes from {' or '.join(c.FEEDBACK_SOURCES)}")
        if command.source == "phone" or command.ticket_id is not None:
            return [self._ticket_feedback(command, now)]
        if command.counter is not None:
            self.counter_config(command.counter)
        return [e.FeedbackGiven(command.score, command.counter, command.label, now)]

    def _ticket_feedback(self, command: c.GiveFeedback, now: datetime) -> e.FeedbackGiven:
        """The survey after the visit: about one of today's tickets, once served, once; the
        vote is the serving counter's (the ticket's label stays out: the event is public)."""
        if command.ticket_id is None:
            raise InvalidFeedback("a vote from the ticket page names its ticket")
        ticket = self.ticket(command.ticket_id)
        if ticket.status is not TicketStatus.SERVED:
            raise NotServed("the survey is asked once the ticket is served")
        if ticket.id in self.rated:
            raise AlreadyAnswered("this ticket's survey was already answered")
        return e.FeedbackGiven(command.score, ticket.counter, None, now, command.source, ticket.id)

    def _on_feedback(self, ev: e.FeedbackGiven) -> None:
        if ev.ticket_id is not None:  # history for the statistics, and once per ticket
            self.rated.add(ev.ticket_id)

    def _close(self, command: c.CloseCounter, now: datetime) -> list[e.Event]:
        self.counter_config(command.counter)
        state = self.counters[command.counter]
        if state.status is CounterStatus.CLOSED:
            return []
        return self._finish_current(state, now) + [e.CounterClosed(state.number, now)]

    # ----- applying ------------------------------------------------------------------------
    def apply(self, event: e.Event) -> None:
        self._version += 1
        # the event's time first: what the appliers read as of now (the people ahead a new
        # ticket is told, the guess kept to calibrate) must not depend on whether a page was
        # read a moment before (a replay reads nothing)
        self.observe(event.at)
        _APPLIERS[type(event)](self, event)
        counter = getattr(event, "counter", None)
        if counter is not None:
            self.counters_used_today.add(counter)

    # ----- the site changed by the administration page, the queue running -----------------------
    def change_site(self, site: Site) -> None:
        """Take the new services, counters, categories, hours and rules at once. Refused (and
        nothing changed) when today's history would no longer replay under the new site: a
        service with tickets today, or a counter used today, cannot be removed until tomorrow."""
        if site.id != self.site.id or site.timezone != self.site.timezone:
            raise SiteChangeRefused("the site's id and time zone change only with a restart")
        kept_services = {s.id for s in site.services}
        for t in self.tickets.values():
            if t.service not in kept_services:
                raise SiteChangeRefused(f"service {t.service!r} has tickets today "
                                        f"({t.label}): remove it after today")
        kept_counters = {k.number for k in site.counters}
        used = sorted(self.counters_used_today - kept_counters)
        if used:
            raise SiteChangeRefused(f"counter {used[0]} was used today: remove it after today")
        serving_before = {sv.id: self._serving(sv.id) for sv in self.site.services}
        self.site = site
        self._times.clear()
        self._version += 1  # a remembered guess was played on the old counters
        for sid in kept_services:
            self.waiting.setdefault(sid, [])
            self.priority_waiting.setdefault(sid, [])
            self.appointment_waiting.setdefault(sid, [])
            self.appointment_arrivals.setdefault(sid, [])
            self.last_number.setdefault(sid, 0)
            self.priority_in_row.setdefault(sid, 0)
            self.recent_minutes.setdefault(sid, deque(maxlen=RECENT_SERVICE_TIMES))
            self.errors.setdefault(sid, Errors())
        for n in kept_counters:
            self.counters.setdefault(n, CounterState(n))
        for n in set(self.counters) - kept_counters:
            del self.counters[n]
        for sv in site.services:  # a counter that starts or stops serving it: as opening
            if self.as_of is not None and self._serving(sv.id) != serving_before.get(sv.id):
                self.counters_changed_at[sv.id] = self.as_of

    def _lines(self, ticket: Ticket) -> list[tuple[list[Ticket], bool]]:
        """The lines the ticket waits in, each with whether it is in appointment-time order
        (else arrival order)."""
        service = ticket.service
        lines = [(self.waiting.setdefault(service, []), False)]
        if ticket.by_appointment:
            lines.append((self.appointment_waiting.setdefault(service, []), True))
            lines.append((self.appointment_arrivals.setdefault(service, []), False))
        elif ticket.category is not None:
            lines.append((self.priority_waiting.setdefault(service, []), False))
        return lines

    def _unqueue(self, ticket: Ticket) -> None:
        if ticket.status is not TicketStatus.WAITING:
            return
        for line, by_time in self._lines(ticket):
            i = index_in_appointments(line, ticket) if by_time else index_in(line, ticket)
            # equal keys can happen (a ticket put back twice at one place): look among them
            key = ticket.appointment_key if by_time else ticket.arrival_key
            while i < len(line) and line[i] is not ticket and \
                    (line[i].appointment_key if by_time else line[i].arrival_key) == key:
                i += 1
            if i < len(line) and line[i] is ticket:
                del line[i]

    def _enqueue(self, ticket: Ticket) -> None:
        for line, by_time in self._lines(ticket):
            line.insert(index_in_appointments(line, ticket) if by_time
                        else index_in(line, ticket), ticket)

    def _release_counter(self, ticket: Ticket) -> None:
        if ticket.counter is not None and ticket.counter in self.counters:
            state = self.counters[ticket.counter]
            if state.ticket_id == ticket.id:
                state.ticket_id = None

    def _on_day_started(self, ev: e.DayStarted) -> None:
        self.day = ev.day
        self.tickets.clear()
        for line in (*self.waiting.values(), *self.priority_waiting.values(),
                     *self.appointment_waiting.values(), *self.appointment_arrivals.values()):
            line.clear()
        self.last_number = {k: 0 for k in self.last_number}
        self.live_numbers.clear()
        self.priority_in_row = {k: 0 for k in self.priority_in_row}
        self.issued_today = 0
        for recent in self.recent_minutes.values():
            recent.clear()  # a restart replays only today: keep both paths equal
        self._times.clear()
        self.told.clear()
        for errors in self.errors.values():
            errors.clear()
        self.counters_changed_at.clear()
        for state in self.counters.values():
            state.status, state.ticket_id, state.last_next_at = CounterStatus.CLOSED, None, None
            state.last_absent = None
        self.counters_used_today.clear()
        self.calls.clear()
        self.rated.clear()

    def _on_issued(self, ev: e.TicketIssued) -> None:
        self.issued_today += 1
        ticket = Ticket(ev.ticket_id, ev.label, ev.number, ev.service, ev.category, ev.at,
                        self.issued_today, needs=ev.needs, appointment_at=ev.appointment_at)
        self.tickets[ticket.id] = ticket
        self.last_number[ev.service] = ev.number
        self.live_numbers.setdefault(ticket.letter, Tally())[ev.number] += 1
        self._enqueue(ticket)
        if ticket.appointment_at is None:  # an appointment's wait is its time, not the queue's
            ahead = self.ahead_of(ticket)
            played = self._point(ticket.service, ahead, ev.at)
            if played is not None:
                self.told[ticket.id] = (played[0], ahead, ticket.service)

    def _on_called(self, ev: e.TicketCalled) -> None:
        ticket = self.tickets[ev.ticket_id]
        told = self.told.pop(ticket.id, None)
        # a ticket held by « RETARD » waited on purpose: its wait is not the estimator's error
        if told is not None and told[2] == ticket.service and ticket.called_at is None \
                and not ticket.delayed:
            point, ahead, service = told
            error = (minutes(ticket.issued_at, ev.at) - point) / scale(ahead)
            self.errors[service].add(error)
        self._unqueue(ticket)
        ticket.status, ticket.counter = TicketStatus.CALLED, ev.counter
        ticket.called_at = ticket.last_call_at = ev.at
        # ahead of the walk-ins: a priority or an appointment ticket (the bound counts both)
        prio = ticket.category is not None or ticket.by_appointment
        self.priority_in_row[ticket.service] = self.priority_in_row.get(ticket.service, 0) + 1 \
            if prio else 0
        state = self.counters[ev.counter]
        state.ticket_id, state.last_next_at = ticket.id, ev.at
        self.calls.called(ticket)

    def _on_recalled(self, ev: e.TicketRecalled) -> None:
        ticket = self.tickets[ev.ticket_id]
        ticket.recalls, ticket.last_call_at = ev.recalls, ev.at
        if ticket.counter is not None:
            self.calls.called(ticket)

    def _end(self, ticket_id: str, status: TicketStatus, at: datetime) -> Ticket:
        ticket = self.tickets[ticket_id]
        if ticket.status.live:
            self._free_label(ticket)
        self._unqueue(ticket)
        self._release_counter(ticket)
        ticket.status, ticket.finished_at = status, at
        return ticket

    def _free_label(self, ticket: Ticket) -> None:
        live = self.live_numbers.get(ticket.letter)
        if live and live[ticket.number] > 0:
            live[ticket.number] -= 1
            if not live[ticket.number]:
                del live[ticket.number]

    def _counter_time(self, ticket: Ticket, at: datetime) -> None:
        """The counter time a ticket took, for the estimates: served or absent (waiting for a
        no-show, calling them again, takes the counter's time as well)."""
        if ticket.called_at is not None and ticket.service in self.recent_minutes:
            self.recent_minutes[ticket.service].append(minutes(ticket.called_at, at))
            self._times.pop(ticket.service, None)

    def _on_served(self, ev: e.TicketServed) -> None:
        ticket = self._end(ev.ticket_id, TicketStatus.SERVED, ev.at)
        self._counter_time(ticket, ev.at)
        self.calls.served(ticket)

    def _on_absent(self, ev: e.TicketAbsent) -> None:
        self._counter_time(self._end(ev.ticket_id, TicketStatus.ABSENT, ev.at), ev.at)
        if ev.counter in self.counters:
            self.counters[ev.counter].last_absent = ev.ticket_id

    def _on_absence_undone(self, ev: e.TicketAbsenceUndone) -> None:
        ticket = self.tickets[ev.ticket_id]
        ticket.status, ticket.counter, ticket.finished_at = TicketStatus.WAITING, None, None
        ticket.called_at = ticket.last_call_at = None
        ticket.recalls = 0
        self.live_numbers.setdefault(ticket.letter, Tally())[ticket.number] += 1
        self.calls.uncalled(ticket, self.tickets.values())
        state = self.counters.get(ev.counter)
        if state is not None and state.last_absent == ticket.id:
            state.last_absent = None
        # back by its arrival time, in the priority line too if it has a category: where it
        # was before its call. The no-show's counter time stays in the estimates (it was spent)
        self._enqueue(ticket)

    def _on_delayed(self, ev: e.TicketDelayed) -> None:
        ticket = self.tickets[ev.ticket_id]
        ticket.held_until, ticket.delayed = ev.until, True

    def _on_came_back(self, ev: e.TicketCameBack) -> None:
        ticket = self.tickets[ev.ticket_id]
        ticket.status, ticket.counter, ticket.finished_at = TicketStatus.WAITING, None, None
        ticket.called_at = ticket.last_call_at = None
        ticket.recalls, ticket.came_back = 0, True
        ticket.place = (ev.place_at, ev.place_order)
        self.live_numbers.setdefault(ticket.letter, Tally())[ticket.number] += 1
        self.calls.uncalled(ticket, self.tickets.values())
        for state in self.counters.values():
            if state.last_absent == ticket.id:
                state.last_absent = None  # nothing left to undo
        self._enqueue(ticket)

    def _on_cancelled(self, ev: e.TicketCancelled) -> None:
        self._end(ev.ticket_id, TicketStatus.CANCELLED, ev.at)

    def _on_transferred(self, ev: e.TicketTransferred) -> None:
        ticket = self.tickets[ev.ticket_id]
        self._release_counter(ticket)
        ticket.service, ticket.status, ticket.counter = ev.to_service, TicketStatus.WAITING, None
        ticket.called_at = ticket.last_call_at = None
        ticket.recalls, ticket.transfers = 0, ticket.transfers + 1
        self.calls.uncalled(ticket, self.tickets.values())
        self._enqueue(ticket)  # keeps its arrival time: it does not go to the back

    def _on_counter_opened(self, ev: e.CounterOpened) -> None:
        state = self.counters[ev.counter]
        if state.status is CounterStatus.CLOSED:
            self._counters_changed(ev.counter, ev.at)
        state.status = CounterStatus.OPEN

    def _counters_changed(self, number: int, at: datetime) -> None:
        """A counter opened or closed (not a pause): its services' errors were made without."""
        counter = self.site.counter(number)
        for s in counter.services if counter is not None else ():
            self.counters_changed_at[s] = at

    def _on_counter_paused(self, ev: e.CounterPaused) -> None:
        self.counters[ev.counter].status = CounterStatus.PAUSED

    def _on_counter_closed(self, ev: e.CounterClosed) -> None:
        state = self.counters[ev.counter]
        if state.status is not CounterStatus.CLOSED:
            self._counters_changed(ev.counter, ev.at)
        state.status, state.last_next_at = CounterStatus.CLOSED, None


_HANDLERS = {
    c.IssueTicket: QueueState._issue, c.CancelTicket: QueueState._cancel,
    c.CallNext: QueueState._call_next, c.Recall: QueueState._recall,
    c.MarkAbsent: QueueState._absent, c.UndoAbsent: QueueState._undo_absent,
    c.Finish: QueueState._finish,
    c.Transfer: QueueState._transfer, c.OpenCounter: QueueState._open,
    c.PauseCounter: QueueState._pause, c.CloseCounter: QueueState._close,
    c.PauseOrResume: QueueState._pause_or_resume, c.GiveFeedback: QueueState._feedback,
    c.DelayTicket: QueueState._delay, c.ComeBack: QueueState._come_back,
    c.MissAppointment: QueueState._miss_appointment,
}

_APPLIERS = {
    e.DayStarted: QueueState._on_day_started, e.TicketIssued: QueueState._on_issued,
    e.TicketCalled: QueueState._on_called, e.TicketRecalled: QueueState._on_recalled,
    e.TicketServed: QueueState._on_served, e.TicketAbsent: QueueState._on_absent,
    e.TicketAbsenceUndone: QueueState._on_absence_undone,
    e.TicketCancelled: QueueState._on_cancelled, e.TicketTransferred: QueueState._on_transferred,
    e.CounterOpened: QueueState._on_counter_opened, e.CounterPaused: QueueState._on_counter_paused,
    e.CounterClosed: QueueState._on_counter_closed,
    e.FeedbackGiven: QueueState._on_feedback,  # the queue is unchanged
    e.TicketDelayed: QueueState._on_delayed, e.TicketCameBack: QueueState._on_came_back,
    e.AppointmentMissed: lambda state, ev: None,  # history for the indicators only
}
