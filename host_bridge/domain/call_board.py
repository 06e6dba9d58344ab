"""The day's latest calls and last served tickets, kept as events apply: what the hall and the
feedback terminals show, without walking the day's tickets at every commit.

    board = CallBoard()
    board.called(ticket)               # a call or a recall: newest first
    board.uncalled(ticket, tickets)    # a transfer took its call back
    board.served(ticket)               # served: the latest per counter and for the site
    board.latest(n) -> [Ticket]        # the n latest calls, newest first
    board.last_served(counter) -> Ticket | None   (counter None: the whole site)

Same order as sorting every called ticket by its last call, newest first, ties in issue order
(tests/unit/test_queue_stateful.py checks it against that scan). Each step costs O(KEPT); a
transfer out of a window that lost older calls rescans the day's tickets once.
"""
from __future__ import annotations

from collections.abc import Iterable

from .tickets import Ticket, TicketStatus

KEPT = 32  # >= the hall's 8 lines; kept deeper, so a transfer seldom needs a rescan


def _before(a: Ticket, b: Ticket) -> bool:
    """a is shown before b: called later, or at the same moment and issued earlier."""
    assert a.last_call_at is not None and b.last_call_at is not None
    return a.last_call_at > b.last_call_at or (a.last_call_at == b.last_call_at
                                               and a.order < b.order)


class CallBoard:
    def __init__(self) -> None:
        self._calls: list[Ticket] = []  # newest first, at most KEPT
        self._dropped = False  # calls fell off the end: the window is not the whole day
        self._served: dict[int | None, Ticket] = {}

    def _key(self) -> tuple[object, ...]:
        return ([t.id for t in self._calls], self._dropped,
                {k: t.id for k, t in self._served.items()})

    def __eq__(self, other: object) -> bool:
        """The same calls and served tickets, by id (a state and its replay compare equal)."""
        return isinstance(other, CallBoard) and self._key() == other._key()

    def __repr__(self) -> str:
        return f"CallBoard{self._key()!r}"

    def clear(self) -> None:
        self._calls.clear()
        self._dropped = False
        self._served.clear()

    def _remove(self, ticket: Ticket) -> bool:
        for i, t in enumerate(self._calls):
            if t is ticket:
                del self._calls[i]
                return True
        return False

    def called(self, ticket: Ticket) -> None:
        self._remove(ticket)
        calls = self._calls
        lo, hi = 0, len(calls)  # the calls shown before it are a prefix: binary search (a
        while lo < hi:          # burst of calls at one instant made a walk of all KEPT)
            mid = (lo + hi) // 2
            if _before(calls[mid], ticket):
                lo = mid + 1
            else:
                hi = mid
        calls.insert(lo, ticket)
        if len(calls) > KEPT:
            calls.pop()
            self._dropped = True

    def uncalled(self, ticket: Ticket, tickets: Iterable[Ticket]) -> None:
        if self._remove(ticket) and self._dropped:
            self._rescan(tickets)

    def _rescan(self, tickets: Iterable[Ticket]) -> None:
        called = [t for t in tickets if t.last_call_at is not None and t.counter is not None]
        called.sort(key=lambda t: t.order)
        called.sort(key=lambda t: t.last_call_at, reverse=True)  # type: ignore[arg-type,return-value]
        self._calls = called[:KEPT]
        self._dropped = len(called) > KEPT

    def served(self, ticket: Ticket) -> None:
        for key in (ticket.counter, None):  # None: a feedback terminal of the whole site
            best = self._served.get(key)
            if best is None or _finished_before(best, ticket):
                self._served[key] = ticket

    def latest(self, n: int) -> list[Ticket]:
        return self._calls[:n]

    def last_served(self, counter: int | None) -> Ticket | None:
        return self._served.get(counter)


def _finished_before(best: Ticket, other: Ticket) -> bool:
    """other replaces best: finished later, or at the same moment and issued earlier (as the
    first in issue order wins a scan)."""
    assert best.finished_at is not None and other.finished_at is not None
    assert other.status is TicketStatus.SERVED
    return other.finished_at > best.finished_at or (other.finished_at == best.finished_at
                                                    and other.order < best.order)
