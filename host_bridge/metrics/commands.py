"""The command path's metrics: counted as they happen, cheaply (a child looked up in a dict
made once, then one histogram observe). Labels come from closed lists only: the command kinds
of domain/commands.py and the refusal codes of the domain's errors, so a stranger's request
can never add a series."""
from __future__ import annotations

import dataclasses

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from ..domain import commands as c
from ..domain.errors import DomainError
from ..service.requests import KeyReused, Stale
from ..service.queue_service import Observer

# a command is a lock, a decision and an fsync: tenths of a millisecond to a slow disk's second
COMMAND_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1.0, 2.5)
# the _created series (when each series began) only double the page: a counter's reset shows
# in rate() anyway. Process-wide, and this is the process's only user of prometheus-client.
disable_created_metrics()
KINDS = tuple(sorted(n for n, v in vars(c).items() if dataclasses.is_dataclass(v)
                     and isinstance(v, type) and v.__module__ == c.__name__))


def refusal_codes() -> frozenset[str]:
    """Every DomainError subclass's code, as the domain and the service layer define them."""
    codes, todo = set(), [DomainError, Stale, KeyReused]  # the service layer's own refusals
    while todo:
        cls = todo.pop()
        codes.add(cls.code)
        todo.extend(cls.__subclasses__())
    return frozenset(codes)


class CommandMetrics(Observer):
    """QueueService's observer (service.observer = CommandMetrics(registry))."""

    def __init__(self, registry: CollectorRegistry):
        self._seconds = Histogram(
            "suivant_command_seconds", "Commands handled by the queue, by kind, and the time "
            "each took (waiting for the queue's lock included; refused ones too)", ["kind"],
            buckets=COMMAND_BUCKETS, registry=registry)
        self._refusals = Counter(
            "suivant_command_refusals", "Commands the queue refused, by the domain's code",
            ["code"], registry=registry)
        self._commits = Histogram(
            "suivant_store_commit_seconds", "SQLite transactions of the queue (one command, or "
            "a burst of board presses): write and fsync", buckets=COMMAND_BUCKETS,
            registry=registry)
        self._by_kind = {k: self._seconds.labels(k) for k in KINDS}  # every kind shown, at 0
        self._codes = refusal_codes()
        self._by_code = {code: self._refusals.labels(code) for code in sorted(self._codes)}

    def answered(self, command: c.Command, seconds: float) -> None:
        self._timing(command).observe(seconds)

    def refused(self, command: c.Command, error: DomainError, seconds: float) -> None:
        self._timing(command).observe(seconds)
        child = self._by_code.get(error.code)
        if child is None:  # a code made at run time: counted, not named
            child = self._refusals.labels("other")
        child.inc()

    def committed(self, seconds: float) -> None:
        self._commits.observe(seconds)

    def _timing(self, command: c.Command):
        child = self._by_kind.get(type(command).__name__)
        return child if child is not None else self._seconds.labels("other")
