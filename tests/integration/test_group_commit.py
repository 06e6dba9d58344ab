"""QueueService.execute_batch — the devices' group commit: a batch decides its commands in order
and commits them in one transaction, and must answer and change exactly what executing them
one by one would have."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from host_bridge.domain import commands as c
from host_bridge.domain.errors import DomainError
from host_bridge.service.queue_service import QueueService
from host_bridge.service.requests import Request
from host_bridge.store.sqlite_store import SqliteStore

COUNTERS = (1, 2)
SERVICES = ("accueil", "etat-civil")

commands = st.one_of(
    st.builds(c.IssueTicket, st.sampled_from(SERVICES), st.uuids().map(str)),
    *(st.builds(k, st.sampled_from(COUNTERS)) for k in (
        c.CallNext, c.Recall, c.MarkAbsent, c.Finish, c.OpenCounter, c.PauseCounter,
        c.CloseCounter, c.PauseOrResume)),
    st.builds(c.Transfer, st.sampled_from(COUNTERS), st.none()),
    st.builds(c.GiveFeedback, st.integers(0, 5), st.sampled_from(COUNTERS)),
)
requests = st.lists(st.tuples(commands, st.sampled_from(["device:a", "device:b"]),
                              st.one_of(st.none(), st.sampled_from(["r1", "r2", "r3", "r4"]))),
                    max_size=25)


def _service(settings, clock, folder: Path) -> QueueService:
    folder.mkdir(parents=True, exist_ok=True)
    s = dataclasses.replace(settings, db_path=str(folder / "q.db"))
    return QueueService(s.site, SqliteStore(s.db_path, "OFF"), clock)


def _plain(result):
    return ("refused", result.code) if isinstance(result, DomainError) else result


def _history(service: QueueService) -> list[tuple[str, str]]:
    return [(type(s.event).__name__, str(getattr(s.event, "counter", "")))
            for s in service.store.events_after(0, 100000)]


@hsettings(max_examples=60, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=requests)
def test_a_batch_answers_and_changes_what_one_by_one_would(settings, clock, tmp_path_factory,
                                                          batch):
    folder = tmp_path_factory.mktemp("batch")
    one, many = _service(settings, clock, folder / "one"), _service(settings, clock, folder / "many")
    try:
        singles = []
        for command, source, rid in batch:
            try:
                singles.append(one.execute(command, source, rid))
            except DomainError as e:
                singles.append(e)
        together = many.execute_batch([Request(*r) for r in batch])
        assert [_plain(r) for r in together] == [_plain(r) for r in singles]
        assert _history(many) == _history(one)
    finally:
        one.store.close()
        many.store.close()


def test_the_same_request_twice_in_a_batch_is_applied_once(settings, clock, tmp_path):
    service = _service(settings, clock, tmp_path)
    service.execute(c.OpenCounter(1), "user:agent")
    service.execute(c.IssueTicket("accueil", "t1"), "public")
    service.execute(c.IssueTicket("accueil", "t2"), "public")
    first, again = service.execute_batch([Request(c.CallNext(1), "device:a", "b:1"),
                                          Request(c.CallNext(1), "device:a", "b:1")])
    assert again == {**first, "replayed": True}
    assert [t for t, _ in _history(service)].count("TicketCalled") == 1


def test_a_failed_commit_applies_nothing_of_the_batch(settings, clock, tmp_path, monkeypatch):
    service = _service(settings, clock, tmp_path)
    service.execute(c.OpenCounter(1), "user:agent")
    service.execute(c.IssueTicket("accueil", "t1"), "public")
    before = _history(service)

    def broken(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(service.store, "commit_many", broken)
    with pytest.raises(OSError):
        service.execute_batch([Request(c.CallNext(1), "device:a", "b:1")])
    monkeypatch.undo()
    assert _history(service) == before
    assert service.read(lambda s: s.current_ticket(1)) is None  # memory back to the disk's
    [answer] = service.execute_batch([Request(c.CallNext(1), "device:a", "b:1")])
    assert answer["counter"]["ticket"]["label"] == "A001"


def test_a_burst_larger_than_one_lookup_is_replayed_and_ordered_whole(settings, clock, tmp_path):
    """The batch reads its recorded answers and its sources' positions in chunks (400 keys,
    800 sources per query): a burst of 900 sees every one of them, the chunk edges included."""
    service = _service(settings, clock, tmp_path)
    burst = [Request(c.IssueTicket(SERVICES[i % 2], f"t{i}"), f"device:d{i}", f"b:{i}",
                     order=("b", 5)) for i in range(900)]
    first = service.execute_batch(burst)
    seqs = [s.seq for s in service.store.events_after(0, 100000)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # given numbers, no gap
    again = service.execute_batch(burst)
    assert again == [{**answer, "replayed": True} for answer in first]
    assert [s.seq for s in service.store.events_after(0, 100000)] == seqs  # nothing new
    late = service.execute_batch([Request(c.IssueTicket("accueil", f"u{i}"), f"device:d{i}",
                                          f"b:{i}-late", order=("b", 4)) for i in (0, 399, 400, 899)])
    assert [r.code for r in late] == ["stale"] * 4  # each source's position was found
