"""What appointments cost the queue (issue 15), in process on QueueState alone (no store).

    python -m bench.appointment_cost                       # N = 50 and 500 walk-ins, about 20 s
    python -m bench.appointment_cost --sizes 500 --rounds 7 --baseline none

Issue 15 gave each service a third line (appointment tickets, in appointment-time order),
passes over tickets held by « RETARD », and counts appointments in `people_ahead` with a walk
over the line in front of a walk-in when the service has appointment tickets. For one service
of N walk-ins (1 in 20 with a priority category) served by 4 counters, this times, per call, the CPU of this thread:

  suivant   « Suivant »: decide + apply of CallNext (the counter's ticket served, the next
            called); then, untimed, a ticket of the same kind issued, so the line keeps its size
  ticket    ticket_view of the last ordinary walk-in in line (the longest walk; what its page, the
            notifier and an answer compute)
  ahead     state.ahead_of of that walk-in alone (people_ahead: the walk issue 15 added; the
            rest of a ticket view is mostly the wait estimate, which grows with the people
            ahead up to 64)
  list      waiting_list_view of the service (the agent console's list: guichet.js reads it
            for the appointments waiting, on every event)
  one pass  the same list made in one walk of the line (one_pass_waiting_list below, checked
            equal to waiting_list_view first): what the view would cost if it counted the
            tickets ahead as it walks instead of asking people_ahead for each ticket

in these variants, interleaved in turns of --block calls (20; a list: 1) in each round, so a
neighbour's load hits them alike:

  before    the code before issue 15 (--baseline, default 28b8d97~1: domain/, views and
            event_codec from `git show` into a temporary package), N walk-ins
  walk-ins  the code now, N walk-ins, no appointment
  +40 rdv   the same plus 40 appointment tickets checked in: 20 due (callable now), 20 early
  +5 held   the same plus the first 5 walk-ins held by « RETARD »

The walk-ins came from 09:00 on and it is 09:30. priority_starvation_minutes = 0 keeps the bound
on all along (as when the first walk-in has waited past it), so with appointments due the
counters call 3 appointments, then a walk-in, round after round (with 20 minutes, the walk-ins
issued during the run would never be called). The clock moves 1 ms a call (guard_seconds = 0):
nobody becomes due or stops being held meanwhile.
Figures: each round's median and p95 per call (the timer's own cost taken off), then the
median of the rounds' figures and the range of their medians; then each variant against the
baseline, round by round.
"""
from __future__ import annotations

import argparse
import bisect
import dataclasses
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from itertools import count
from types import ModuleType, SimpleNamespace
from zoneinfo import ZoneInfo

from host_bridge.arg_types import bounded

from ._common import ROOT, machine_lines, percentile, wait_for_quiet

ZONE = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)  # a Thursday: walk-ins from 09:00
NOW = T0 + timedelta(minutes=30)
SERVICE = "cni"
COUNTERS = (1, 2, 3, 4)
APPOINTMENTS, HELD = 40, 5
PRIORITY_EVERY = 20  # 5 % of the walk-ins have a priority category, as in bench.queue_throughput
BASELINE_FILES = ("domain", "service/views.py", "store/event_codec.py")
VARIANTS = ("before", "walk-ins", "+40 rdv", "+5 held")
KINDS = ("suivant", "ticket", "ahead", "list", "one pass")
METHODS = {"suivant": "call_next", "ticket": "ticket_view", "ahead": "ahead",
           "list": "waiting_list", "one pass": "one_pass_list"}


# ----- the code: now, or before issue 15 from git ----------------------------------------------
def code_now() -> SimpleNamespace:
    return _namespace("host_bridge")


def code_before(ref: str, tmp: str) -> SimpleNamespace:
    """host_bridge's domain, views and event codec at `ref`, as the package `suivant_before`
    (they import nothing else of host_bridge)."""
    git = ["git", "-C", str(ROOT)]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", ref, "host_bridge/domain"],
                           check=True, capture_output=True, text=True).stdout.split()
    paths = names + [f"host_bridge/{f}" for f in BASELINE_FILES[1:]]
    root = os.path.join(tmp, "suivant_before")
    for path in paths:
        target = os.path.join(root, path.removeprefix("host_bridge/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for package in (root, os.path.dirname(target)):
            open(os.path.join(package, "__init__.py"), "a").close()
        with open(target, "wb") as f:
            f.write(subprocess.run(git + ["show", f"{ref}:{path}"], check=True,
                                   capture_output=True).stdout)
    sys.path.insert(0, tmp)
    return _namespace("suivant_before")


def _namespace(package: str) -> SimpleNamespace:
    def mod(name: str) -> ModuleType:
        return importlib.import_module(f"{package}.{name}")
    return SimpleNamespace(c=mod("domain.commands"), site=mod("domain.site"),
                           queue=mod("domain.queue"), views=mod("service.views"))


# ----- one variant's queue ---------------------------------------------------------------------
class Line:
    """One service, 4 counters, N walk-ins waiting (plus appointments, held tickets) at NOW."""

    def __init__(self, code: SimpleNamespace, walk_ins: int, appointments: int, held: int):
        self.code = code
        site_mod, c = code.site, code.c
        fields = {f.name for f in dataclasses.fields(site_mod.Rules)}
        rules = site_mod.Rules(guard_seconds=0.0, refuse_outside_hours=False,
                               priority_starvation_minutes=0.0,
                               **({"delay_minutes": 30.0} if "delay_minutes" in fields else {}))
        extra = {"appointments": site_mod.AppointmentRules()} \
            if hasattr(site_mod, "AppointmentRules") else {}
        site = site_mod.Site(
            "bench", "Mairie (bench)", "Europe/Paris",
            (site_mod.Service(SERVICE, "P", "Passeports / CNI", **extra),),
            tuple(site_mod.Counter(k, f"Guichet {k}", (SERVICE,)) for k in COUNTERS),
            categories=(site_mod.PriorityCategory("pmr", "Mobilité réduite"),), rules=rules)
        self.state = code.queue.QueueState(site)
        self.ids = count()
        self.now = T0
        self.do(c.StartDay(T0.date()))
        for k in COUNTERS:
            self.do(c.OpenCounter(k))
        step = timedelta(minutes=20) / walk_ins  # the walk-ins arrive over 20 minutes
        for i in range(walk_ins):
            self.now = T0 + i * step
            self.issue(None, "pmr" if i % PRIORITY_EVERY == PRIORITY_EVERY - 1 else None)
        self.now = NOW - timedelta(minutes=5)
        for i in range(appointments):  # checked in over the last 5 minutes
            self.now += timedelta(minutes=5) / appointments
            due = i % 2 == 0  # half due (09:20-09:34), half early (10:00-10:57)
            self.issue(NOW + timedelta(minutes=-10 + i // 2 * 0.75) if due
                       else NOW + timedelta(minutes=30 + i // 2 * 3))
        self.now = NOW
        for t in list(self.state.waiting[SERVICE][:held]):
            self.do(c.DelayTicket(t.id))
        self.next_counter = count()
        for _ in COUNTERS:  # each counter serving someone, as all day long
            self.call_next()
        self.size = len(self.state.waiting[SERVICE])

    def do(self, command) -> list:
        events = self.state.decide(command, self.now)
        for event in events:
            self.state.apply(event)
        return events

    def issue(self, appointment_at: datetime | None, category: str | None = None) -> None:
        extra = {"appointment_at": appointment_at} if appointment_at is not None else {}
        self.do(self.code.c.IssueTicket(SERVICE, f"t{next(self.ids):015d}", category, **extra))

    def call_next(self) -> int:
        """One « Suivant », timed (ns of this thread's CPU), then, untimed, a ticket like the
        one called issued: the line keeps its size and its share of appointments due."""
        self.now += timedelta(milliseconds=1)
        command = self.code.c.CallNext(COUNTERS[next(self.next_counter) % len(COUNTERS)])
        t = time.thread_time_ns()
        events = self.do(command)
        spent = time.thread_time_ns() - t
        called = next(ev for ev in events if type(ev).__name__ == "TicketCalled")
        ticket = self.state.tickets[called.ticket_id]
        self.issue(getattr(ticket, "appointment_at", None), ticket.category)
        return spent

    def last_walk_in(self):
        return next(t for t in reversed(self.state.waiting[SERVICE])
                    if getattr(t, "appointment_at", None) is None and t.category is None)

    def ticket_view(self) -> int:
        ticket, view = self.last_walk_in(), self.code.views.ticket_view
        t = time.thread_time_ns()
        view(self.state, ticket)
        return time.thread_time_ns() - t

    def ahead(self) -> int:
        ticket, ahead_of = self.last_walk_in(), self.state.ahead_of
        t = time.thread_time_ns()
        ahead_of(ticket)
        return time.thread_time_ns() - t

    def waiting_list(self) -> int:
        view = self.code.views.waiting_list_view
        t = time.thread_time_ns()
        view(self.state, SERVICE)
        return time.thread_time_ns() - t

    def one_pass_list(self) -> int:
        views = self.code.views
        t = time.thread_time_ns()
        one_pass_waiting_list(self.state, views, SERVICE)
        return time.thread_time_ns() - t

    def check_one_pass(self) -> None:
        if hasattr(self.state, "appointment_waiting"):
            self.state.observe(self.now)
            mine = one_pass_waiting_list(self.state, self.code.views, SERVICE)
            if mine != self.code.views.waiting_list_view(self.state, SERVICE):
                raise AssertionError("one_pass_waiting_list differs from waiting_list_view")


def one_pass_waiting_list(state, views, service_id: str) -> dict:
    """waiting_list_view's answer with the people ahead counted in one walk of the line, not
    one people_ahead (itself a walk, with appointments) per ticket: O(n log n), not O(n²)."""
    from host_bridge.domain.selection import index_in_appointments
    state.service_config(service_id)
    line = state.waiting.get(service_id, [])
    priority = state.priority_waiting.get(service_id, ())
    appointments = state.appointment_waiting.get(service_id, ())
    due = 0
    if appointments and state.as_of is not None:
        due_by = state.as_of + state.callable_before(service_id)
        due = bisect.bisect_right(appointments, (due_by, float("inf")),
                                  key=lambda t: t.appointment_key)
    ranked, earlier_priority, earlier_appointments = [], 0, 0
    for i, t in enumerate(line):  # arrival order: the counts so far are the earlier ones
        if t.by_appointment:
            ahead = index_in_appointments(appointments, t)
            earlier_appointments += 1
        elif t.category is not None:
            ahead = earlier_priority + due
            earlier_priority += 1
        else:
            ahead = i - earlier_priority - earlier_appointments + len(priority) + due
        ranked.append((ahead, t.arrival_key, t))
    ranked.sort(key=lambda r: r[:2])
    return {"service": service_id,
            "waiting": [{**views.public_ticket(t), "ahead": ahead} for ahead, _, t in ranked]}


def timer_cost() -> int:
    """The median cost of a thread_time_ns pair (taken off every figure)."""
    pairs = []
    for _ in range(5000):
        t = time.thread_time_ns()
        pairs.append(time.thread_time_ns() - t)
    return int(statistics.median(pairs))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.appointment_cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=bounded(int, 1, 900, "a size", "a whole number"), nargs="+",
                   default=[50, 500], help="walk-ins waiting (at most 900: 999 labels a letter)")
    p.add_argument("--rounds", type=bounded(int, 1, 50, "rounds", "a whole number"), default=9)
    p.add_argument("--ops", type=bounded(int, 1, 5000, "ops", "a whole number"), default=600,
                   help="« Suivant » and ticket views per variant and round")
    p.add_argument("--list-ops", type=bounded(int, 1, 500, "list ops", "a whole number"),
                   default=20, help="waiting lists per variant and round")
    p.add_argument("--block", type=bounded(int, 1, 1000, "block", "a whole number"), default=20,
                   help="calls a variant makes in a turn (lists: 1), caches warm within it")
    p.add_argument("--baseline", default="28b8d97~1",
                   help="the commit before issue 15, compared in the same run ('none': skip)")
    p.add_argument("--quiet-wait", type=bounded(float, 0, 3600, "quiet wait"), default=0,
                   metavar="SECONDS", help="first wait up to this long for an idle machine")
    args = p.parse_args(argv)
    if args.quiet_wait:
        print(wait_for_quiet(args.quiet_wait))
    for line in machine_lines(".", "FULL")[:3] + machine_lines(".", "FULL")[4:]:
        print(line)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="suivant-before-") as tmp:
        variants = {"walk-ins": (code_now(), 0, 0), "+40 rdv": (code_now(), APPOINTMENTS, 0),
                    "+5 held": (code_now(), APPOINTMENTS, HELD)}
        if args.baseline != "none":
            try:
                variants = {"before": (code_before(args.baseline, tmp), 0, 0), **variants}
                print(f"baseline: {args.baseline} "
                      f"({_git('rev-parse', '--short', args.baseline)}) beside "
                      f"{_git('rev-parse', '--short', 'HEAD')}"
                      f"{' + uncommitted changes' if _git('status', '--porcelain', '--', 'host_bridge') else ''}")
            except (subprocess.CalledProcessError, OSError, ImportError) as exc:
                print(f"baseline: unavailable ({exc}); the walk-ins variant is the baseline")
        lines = {(n, v): Line(code, n, rdv, held) for n in args.sizes
                 for v, (code, rdv, held) in variants.items()}
        for line in lines.values():
            line.check_one_pass()
        overhead = timer_cost()
        samples: dict[tuple[int, str, str], list[list[int]]] = {
            (n, v, k): [] for n, v in lines for k in KINDS}
        for _ in range(args.rounds):
            for kind in KINDS:
                lists = kind in ("list", "one pass")
                calls = [(samples[key + (kind,)], getattr(line, METHODS[kind]))
                         for key, line in lines.items()
                         if not (kind == "one pass" and key[1] == "before")]
                for got, _ in calls:
                    got.append([])
                block = 1 if lists else args.block
                for _ in range(-(-(args.list_ops if lists else args.ops) // block)):
                    for got, call in calls:  # in short turns: a neighbour's load hits all alike
                        got[-1].extend(call() for _ in range(block))
        for line in lines.values():
            line.check_one_pass()  # still equal after the run's calls and issues
    print(f"timer:    {overhead} ns a pair, taken off; {time.monotonic() - started:.1f} s in all")
    print(f"\nCPU per call, median of {args.rounds} rounds [range of the rounds' p50s] "
          f"({args.ops} « Suivant », ticket views and ahead_of in turns of {args.block}, "
          f"{args.list_ops} lists a round); µs, lists in ms:")
    heads = ("« Suivant » p50/p95", "ticket view", "ahead_of", "waiting list", "one pass")
    widths = (24, 26, 22, 26, 24)
    print(f"{'walk-ins':>8} {'variant':>9} {'waiting':>7} "
          + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths)))
    for (n, v), line in lines.items():
        cells = []
        for kind, w in zip(KINDS, widths):
            scale, digits = (1e6, 2) if kind in ("list", "one pass") else (1e3, 1)
            if not samples[n, v, kind]:
                cells.append(f"{'—':>{w}}")
                continue
            p50s, p95s = [], []
            for one in samples[n, v, kind]:
                ordered = sorted(max(0, x - overhead) for x in one)
                p50s.append(percentile(ordered, 50) / scale)
                p95s.append(percentile(ordered, 95) / scale)
            cell = (f"{statistics.median(p50s):.{digits}f} / {statistics.median(p95s):.{digits}f}"
                    f" [{min(p50s):.{digits}f}-{max(p50s):.{digits}f}]")
            cells.append(f"{cell:>{w}}")
        print(f"{n:>8} {v:>9} {line.size:>7} " + " ".join(cells))
    base = "before" if "before" in variants else "walk-ins"
    print(f"\nAgainst {base} at the same size (one pass: against its waiting list): median of "
          "the rounds' ratios of the p50s")
    print(f"{'walk-ins':>8} {'variant':>9} " + " ".join(f"{k:>9}" for k in KINDS))
    for (n, v) in lines:
        if v == base:
            continue
        ratios = []
        for kind in KINDS:
            theirs = samples[n, base, "list" if kind == "one pass" else kind]
            ratios.append(statistics.median(
                _p50(a, overhead) / max(1.0, _p50(b, overhead))
                for a, b in zip(samples[n, v, kind], theirs)))
        print(f"{n:>8} {v:>9} " + " ".join(f"{r:>8.2f}×" for r in ratios))
    return 0


def _p50(one: list[int], overhead: int) -> float:
    return percentile(sorted(max(0, x - overhead) for x in one), 50)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
