"""The estimators compared, each read from the queue when a ticket is issued.

Every point estimator (minutes until the ticket is called) gets its range and its "uncertain"
the same way the queue does (domain/wait_range.py: its own recent errors, split conformal;
uncertain while they are too few or for 10 minutes after a counter serving the service opened
or closed; the guess in whole minutes within the range), so that only the point differs; two
rows are read as the queue gives them:

- shipped: QueueState.estimate, what the pages show (the counters played forward over the
  people waiting now, calibrated ranges, "uncertain" when the history is short or a counter
  serving the service opened or closed in the last 10 minutes);
- before: the estimate until issue 18 (the counters played forward with the other services'
  recent arrivals, ± 2 standard deviations of the service times).

The points:
- naive: people ahead × the service's mean time ÷ the open counters serving it (the baseline);
- forward+arrivals: before's point, with calibrated ranges;
- les / les-all: the wait of the last ticket of the service (of any service) to be called, as
  Ibrahim & Whitt's "last to enter service"; les-scaled: times (ahead + 1) ÷ (its ahead + 1);
- hol / hol-all: the wait so far of the ticket at the head of the service's line (of the
  oldest ticket waiting in any service), times (ahead + 1) ÷ (its ahead at issue + 1), as
  their "head of line";
- blend: the mean of the shipped point and les-scaled;
- learned: least squares over the site's last 60 called tickets, from the shipped point,
  les-scaled, hol and naive (shrunk toward the shipped point alone).
A delay-history estimator with no history yet falls back to the shipped point.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import deque
from datetime import datetime, timedelta
from collections.abc import Callable

from host_bridge.domain.estimate import estimate_wait, play_forward
from host_bridge.domain.queue import CHANGE_WINDOW, QueueState
from host_bridge.domain.tickets import Ticket
from host_bridge.domain.wait_range import Errors, calibrated, scale

from .simulate import Told

Point = Callable[[QueueState, Ticket, int], "float | None"]


ARRIVAL_WINDOW = 60.0  # minutes of recent arrivals that give each service's arrival rate
RECENT_ISSUES = 100  # per service: enough for an hour's arrival rate


class History:
    """What the estimators other than the queue's read: each ticket's people ahead at issue;
    per service (and for the site) the last called ticket's wait and people ahead at issue; the
    recent issues, whose rate the estimator before issue 18 played forward."""

    def __init__(self) -> None:
        self.ahead_at_issue: dict[str, int] = {}
        self.last: dict[str, tuple[float, int]] = {}
        self.last_any: tuple[float, int] | None = None
        self.issued: dict[str, deque[datetime]] = {}

    def issue(self, ticket: Ticket, ahead: int) -> None:
        self.ahead_at_issue[ticket.id] = ahead
        self.issued.setdefault(ticket.service, deque(maxlen=RECENT_ISSUES)).append(
            ticket.issued_at)

    def arrival_rates(self, now: datetime) -> dict[str, float]:
        """Citizens per minute in each service over the last ARRIVAL_WINDOW minutes."""
        since = now - timedelta(minutes=ARRIVAL_WINDOW)
        return {s: (len(at) - bisect_right(at, since)) / ARRIVAL_WINDOW
                for s, at in self.issued.items()}

    def called(self, ticket: Ticket, wait: float) -> None:
        entry = (wait, self.ahead_at_issue.get(ticket.id, 0))
        self.last[ticket.service] = self.last_any = entry


def naive(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
    open_ = state.counters_open_for(ticket.service)
    if not open_:
        return None
    _, _, times = state.estimate_inputs()
    return ahead * times[ticket.service].mean / open_


def forward(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
    """The shipped point: the counters played forward over the people waiting now."""
    played = play_forward(ticket.service, ahead, *state.estimate_inputs())
    return None if played is None else played[0]


def forward_with_arrivals(history: History) -> Point:
    def point(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
        played = play_forward(ticket.service, ahead, *state.estimate_inputs(),
                              history.arrival_rates(state.as_of))
        return None if played is None else played[0]
    return point


def les(history: History, scaled: bool = False, site_wide: bool = False) -> Point:
    def point(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
        if not state.counters_open_for(ticket.service):
            return None
        last = history.last_any if site_wide else history.last.get(ticket.service)
        if last is None:
            return forward(state, ticket, ahead)
        wait, then = last
        return wait * (ahead + 1) / (then + 1) if scaled else wait
    return point


def hol(history: History, site_wide: bool = False) -> Point:
    def point(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
        if not state.counters_open_for(ticket.service):
            return None
        lines = state.waiting.values() if site_wide else (state.waiting[ticket.service],)
        heads = [t for line in lines for t in line[:2] if t.id != ticket.id][:len(lines) * 2]
        if not heads:
            return forward(state, ticket, ahead)
        head = min(heads, key=lambda t: t.issued_at)
        waited = (state.as_of - head.issued_at).total_seconds() / 60
        return waited * (ahead + 1) / (history.ahead_at_issue.get(head.id, 0) + 1)
    return point


def blend(*points: Point) -> Point:
    def point(state: QueueState, ticket: Ticket, ahead: int) -> float | None:
        got = [p(state, ticket, ahead) for p in points]
        return None if any(g is None for g in got) else sum(got) / len(got)
    return point


class Learned:
    """Least squares, no intercept, over the site's last `size` called tickets: the wait from
    the points' values at issue; a ridge pulls the weights toward (1, 0, …)."""

    def __init__(self, points: list[Point], size: int = 60, ridge: float = 2000.0) -> None:
        self.points, self.ridge = points, ridge
        self.rows: deque[tuple[list[float], float]] = deque(maxlen=size)
        self.at_issue: dict[str, list[float]] = {}
        self.weights = [1.0] + [0.0] * (len(points) - 1)

    def __call__(self, state: QueueState, ticket: Ticket, ahead: int) -> float | None:
        xs = [p(state, ticket, ahead) for p in self.points]
        if any(x is None for x in xs):
            return None
        self.at_issue[ticket.id] = xs
        return max(0.0, sum(w * x for w, x in zip(self.weights, xs)))

    def learn(self, ticket: Ticket, wait: float) -> None:
        xs = self.at_issue.pop(ticket.id, None)
        if xs is None:
            return
        self.rows.append((xs, wait))
        n = len(xs)
        a = [[sum(r[0][i] * r[0][j] for r in self.rows) + (self.ridge if i == j else 0.0)
              for j in range(n)] for i in range(n)]
        b = [sum(r[0][i] * r[1] for r in self.rows) + (self.ridge if i == 0 else 0.0)
             for i in range(n)]
        self.weights = _solve(a, b)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gauss-Jordan with partial pivoting (the ridge keeps the matrix regular)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i:
                f = m[r][i] / m[i][i]
                m[r] = [x - f * y for x, y in zip(m[r], m[i])]
    return [m[i][n] / m[i][i] for i in range(n)]


class Calibrated:
    """A point estimator with the queue's calibration: its own errors per service."""

    def __init__(self, name: str, point: Point) -> None:
        self.name, self.point = name, point
        self.errors: dict[str, Errors] = {}
        self.at_issue: dict[str, tuple[float, int]] = {}

    def told(self, state: QueueState, ticket: Ticket, ahead: int) -> Told | None:
        p = self.point(state, ticket, ahead)
        if p is None:
            return None
        self.at_issue[ticket.id] = (p, ahead)
        bounds = self.errors.setdefault(ticket.service, Errors()).bounds()
        if bounds is None:
            return Told(p, p, p, reliable=False)
        low, high = calibrated(p, ahead, bounds)
        # as the queue: the guess in whole minutes within its range; uncertain, as it is, for
        # CHANGE_WINDOW after a counter serving the service opened or closed
        changed = state.counters_changed_at.get(ticket.service)
        recent = changed is not None and state.as_of - changed < CHANGE_WINDOW
        return Told(min(high, max(low, round(p))), low, high, reliable=not recent)

    def called(self, state: QueueState, ticket: Ticket, wait: float) -> None:
        learn = getattr(self.point, "learn", None)
        if learn is not None:
            learn(ticket, wait)
        got = self.at_issue.pop(ticket.id, None)
        if got is not None:
            p, ahead = got
            self.errors.setdefault(ticket.service, Errors()).add((wait - p) / scale(ahead))


class Shipped:
    """What QueueState.estimate says, as the pages show it."""

    name = "shipped"

    def told(self, state: QueueState, ticket: Ticket, ahead: int) -> Told | None:
        est = state.estimate(ticket.service, ahead)
        if est is None:
            return None
        return Told(est.minutes, est.low_minutes, est.high_minutes, est.reliable)

    def called(self, state: QueueState, ticket: Ticket, wait: float) -> None:
        pass


class Before:
    """The estimate until issue 18: its middle and its ± 2 standard deviations."""

    name = "before"

    def __init__(self, history: History) -> None:
        self.history = history

    def told(self, state: QueueState, ticket: Ticket, ahead: int) -> Told | None:
        est = estimate_wait(ticket.service, ahead, *state.estimate_inputs(),
                            self.history.arrival_rates(state.as_of))
        if est is None:
            return None
        return Told((est.low_minutes + est.high_minutes) / 2, est.low_minutes,
                    est.high_minutes)

    def called(self, state: QueueState, ticket: Ticket, wait: float) -> None:
        pass


class Recorder:
    """Feeds the delay history; first in the line-up, so every estimator reads the same."""

    name = "_history"

    def __init__(self, history: History) -> None:
        self.history = history

    def told(self, state: QueueState, ticket: Ticket, ahead: int) -> None:
        self.history.issue(ticket, ahead)

    def called(self, state: QueueState, ticket: Ticket, wait: float) -> None:
        self.history.called(ticket, wait)


def line_up() -> list:
    """Every estimator compared, fresh for one day (histories and calibrations start empty)."""
    h = History()
    return [Recorder(h), Shipped(), Before(h),
            Calibrated("naive", naive),
            Calibrated("forward+arrivals", forward_with_arrivals(h)),
            Calibrated("les", les(h)), Calibrated("les-all", les(h, site_wide=True)),
            Calibrated("les-scaled", les(h, scaled=True)),
            Calibrated("hol", hol(h)), Calibrated("hol-all", hol(h, site_wide=True)),
            Calibrated("blend", blend(forward, les(h, scaled=True))),
            Calibrated("learned", Learned([forward, les(h, scaled=True), hol(h), naive]))]
