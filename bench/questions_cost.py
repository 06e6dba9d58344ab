"""The citizens' questions (issue 17): what matching the FAQ, a question, an answer and the
desk's list cost on the bridge, in process (no HTTP: the routes add the same for every API
call, bench.http_latency measures that).

    python -m bench.questions_cost                  # about a minute
    python -m bench.questions_cost --quick          # a few seconds: everything runs, small

  match    domain/faq_match.matches: a citizen's question (a short one, and 500 characters)
           against a service's FAQ of 4 entries (the example's) and of 50 (the site file's
           most), µs per call
  ask      Questions.ask (a citizen's message: the ticket read through QueueService, the
           store's transaction, the view) and Questions.answer (a staff message), ms per call,
           with 0 and `--busy` other conversations open today
  list     Questions.staff_list: the desk's list, rebuilt at every change it hears, with 10,
           50 and `--busy` conversations of 6 messages today, ms per call

The store is on disk (a temporary folder, as the bridge's: secure_delete, rollback journal,
synchronous=OFF). Each figure: the median and the 99th percentile over --rounds rounds of
--calls calls, the variants of a part interleaved round by round.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from host_bridge.arg_types import bounded
from host_bridge.domain import commands as c
from host_bridge.domain.faq_match import matches
from host_bridge.domain.site import FaqEntry
from host_bridge.questions.desk import Questions
from host_bridge.questions.settings import QuestionSettings
from host_bridge.questions.store import QuestionStore, store_path
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.store.sqlite_store import SqliteStore

from ._common import bench_settings, machine_lines, percentile

PARIS = ZoneInfo("Europe/Paris")
SHORT = "Quels papiers dois-je apporter pour la carte d'identité de mon fils ?"
LONG = (SHORT + " ") * 8
TOPICS = ("acte de naissance", "carte d'identité", "passeport", "permis de construire",
          "déclaration préalable", "livret de famille", "justificatif de domicile", "mariage",
          "PACS", "recensement")


def faq_of(n: int) -> list[FaqEntry]:
    return [FaqEntry(f"Comment faire pour {TOPICS[i % len(TOPICS)]} (cas {i}) ?",
                     f"Apportez une pièce d'identité et le formulaire {i} ; le délai est de "
                     f"{i % 7 + 1} jours pour {TOPICS[(i * 3) % len(TOPICS)]}.") for i in range(n)]


def timed(fn, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def report(name: str, samples: list[float], unit: float, label: str) -> None:
    ordered = sorted(samples)
    print(f"  {name:<34} median {statistics.median(ordered) * unit:9.2f} {label}   "
          f"p99 {percentile(ordered, 99) * unit:9.2f} {label}")


def part_match(rounds: int, calls: int) -> None:
    print("match: µs per call")
    variants = {f"{len(q)} chars, {n} entries": (q, faq_of(n)) for n in (4, 50) for q in (SHORT, LONG)}
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for k, (q, faq) in variants.items():
            # the cache keeps folded entries: a new question each call, as citizens type
            samples[k] += timed(lambda: matches(q + str(time.perf_counter_ns()), faq), calls)
    for k, v in samples.items():
        report(k, v, 1e6, "µs")


def desk_with(folder: Path, conversations: int, messages: int,
              fresh: int = 0) -> tuple[Questions, list[str]]:
    """A bridge's queue and questions on disk, with `conversations` tickets that asked and got
    answers (`messages` messages each) today; -> the desk and fresh tickets to ask with."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(str(folder / "q.db"), "OFF")
    store = SqliteStore(settings.db_path, "OFF", PARIS)
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=PARIS))
    service = QueueService(settings.site, store, clock)
    desk = Questions(service, dataclasses.replace(QuestionSettings(), counters=()),
                     QuestionStore(store_path(settings.db_path)))

    services = [x.id for x in settings.site.services]
    made = [0]

    def ticket() -> str:  # round the services: a letter holds 999 live tickets at most
        tid = new_ticket_id()
        made[0] += 1
        service.execute(c.IssueTicket(services[made[0] % len(services)], tid), "bench")
        return tid
    for n in range(conversations):
        tid = ticket()
        desk.ask(tid, f"Question {n} : {SHORT}")
        cid = desk.store.of_ticket(tid).id
        for m in range(messages - 1):
            clock.advance(6)
            if m % 2 == 0:
                desk.answer(cid, f"Réponse {m} de l'accueil à la question {n}.", None)
            else:
                desk.ask(tid, f"Merci, et {m} ?")
    return desk, [ticket() for _ in range(fresh)]


def part_ask(rounds: int, calls: int, busy: int, folder: Path) -> None:
    print("ask / answer: ms per call")
    desks = {n: desk_with(folder / f"ask{n}", n, 6, rounds * calls) for n in (0, busy)}
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for n, (desk, fresh) in desks.items():
            asked: list[str] = []

            def ask() -> None:
                tid = fresh.pop()
                desk.ask(tid, SHORT)
                asked.append(desk.store.of_ticket(tid).id)
            samples.setdefault(f"ask, {n} open today", []).extend(timed(ask, calls))
            samples.setdefault(f"answer, {n} open today", []).extend(
                timed(lambda: desk.answer(asked.pop(), "Oui, au guichet 1.", None), calls))
    for k, v in samples.items():
        report(k, v, 1e3, "ms")


def part_list(rounds: int, calls: int, busy: int, folder: Path) -> None:
    print("list: ms per call (the desk's list, rebuilt at each change)")
    from host_bridge.site_config import User
    admin = User("bench", "admin", "")
    desks = {n: desk_with(folder / f"list{n}", n, 6)[0] for n in (10, 50, busy)}
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for n, desk in desks.items():
            samples.setdefault(f"{n} conversations of 6 messages", []).extend(
                timed(lambda: desk.staff_list(admin), calls))
    for k, v in samples.items():
        report(k, v, 1e3, "ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.questions_cost",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=bounded(int, 1, 100, "rounds"), default=5)
    p.add_argument("--calls", type=bounded(int, 1, 10000, "calls"), default=200)
    p.add_argument("--busy", type=bounded(int, 1, 2000, "conversations"), default=200,
                   help="conversations open today in the busy variant (default 200)")
    p.add_argument("--only", nargs="+", choices=("match", "ask", "list"))
    p.add_argument("--quick", action="store_true", help="2 rounds of 20 calls, busy 60")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.calls, args.busy = 2, 20, 60
    parts = args.only or ("match", "ask", "list")
    with tempfile.TemporaryDirectory(prefix="bench-questions-") as tmp:
        for line in machine_lines(tmp, "OFF"):
            print(line)
        print(f"rounds {args.rounds} x {args.calls} calls, busy {args.busy}")
        if "match" in parts:
            part_match(args.rounds, args.calls * 5)
        if "ask" in parts:
            part_ask(args.rounds, min(args.calls, 400), args.busy, Path(tmp))
        if "list" in parts:
            part_list(args.rounds, max(5, args.calls // 10), args.busy, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
