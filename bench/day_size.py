"""Per-command cost as the day fills up (issue 12): does a command cost more at 10,000 tickets
than at 100? The queue service (durable, synchronous=FULL) and, after each commit, the
display refresh the device gateway runs (DisplayBoard.changes for a site's boards), in this
process, at several day sizes — interleaved, round after round — and the same refresh with
the display screens computed by walking every ticket of the day (how they were before
domain/call_board.py), for comparison.

    python -m bench.day_size                         # 100, 1,000, 10,000 tickets
    python -m bench.day_size --sizes 100 4000 --rounds 5 --ops 400

A day of N tickets is made first (untimed, group-committed): each ticket issued, called and
finished. Then each round runs --ops commands of the mixed traffic (issues and « Suivant »,
the line held at 10-100 people) per day size and variant; CPU is this process's (service,
store, refresh: they share the thread here), per command.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any

from host_bridge.domain import commands as c
from host_bridge.domain.queue import QueueState
from host_bridge.domain.tickets import TicketStatus
from host_bridge.links import displays
from host_bridge.links.displays import DisplayBoard
from host_bridge.links.registry import Device
from host_bridge.service.requests import Request

from ._common import machine_lines
from .queue_throughput import AGENT, Bench, mix_commands

BATCH = 500


class WalkedScreens(displays.Screens):
    """The screens as computed before issue 12: the hall and the last served by a walk over
    every ticket of the day."""

    def __init__(self, state: QueueState):
        super().__init__(state)
        served: dict[int | None, Any] = {}
        called = []
        for t in state.tickets.values():
            if t.status is TicketStatus.SERVED and t.finished_at is not None:
                for key in (t.counter, None):
                    best = served.get(key)
                    if best is None or t.finished_at > best.finished_at:
                        served[key] = t
            if t.last_call_at is not None and t.counter is not None:
                called.append(t)
        called.sort(key=lambda t: t.last_call_at, reverse=True)
        self.hall = tuple(f"{t.label}>{t.counter}" for t in called[:displays.HALL_LINES]) \
            or (displays.IDLE,)
        self.served = {k: t.label for k, t in served.items()}


def boards(counters: list[int]) -> list[Device]:
    out = [Device("hall", "hall", None, "mqtt", bytes(32))]
    for n in counters:
        out += [Device(f"term-{n}", "counter", n, "mqtt", bytes(32)),
                Device(f"disp-{n}", "display", n, "mqtt", bytes(32)),
                Device(f"fb-{n}", "feedback", n, "mqtt", bytes(32))]
    return out


class Day:
    """A site whose day holds `size` finished tickets, with the gateway's display refresh."""

    def __init__(self, path: str, size: int, seed: int):
        self.bench = b = Bench(path, "FULL", seed)
        self.size = size
        counters = b.counters
        n = 0
        while n < size:  # untimed: the day so far, group-committed
            batch = []
            for _ in range(min(BATCH // 3, size - n)):
                k = counters[n % len(counters)]
                command, source, rid = b.issue_command()
                batch += [Request(command, source, rid), Request(c.CallNext(k), AGENT),
                          Request(c.Finish(k), AGENT)]
                n += 1
            b.clock.advance(60)
            b.service.execute_batch(batch)
        self.devices = boards(counters)
        self.board = DisplayBoard()
        self.events: list[dict[str, Any]] = []
        b.service.bus.listen(self.events.extend)
        self.board.everything(b.service.read(displays.Screens), self.devices, 0)

    def run(self, ops: int, walked: bool) -> float:
        """CPU seconds per command for `ops` mixed commands, each followed by its refresh."""
        b = self.bench
        service, clock = b.service, b.clock
        screens = WalkedScreens if walked else displays.Screens
        cpu = time.process_time()
        for command, source, rid in mix_commands(b, ops):
            clock.advance(0.2)
            service.execute(command, source, rid)
            events, self.events[:] = list(self.events), []
            self.board.changes(service.read(screens), self.devices, events)  # as the gateway
        return (time.process_time() - cpu) / ops


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.day_size", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--ops", type=int, default=300, help="commands per size, variant and round")
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="suivant-day-size-") as tmp:
        days = {n: Day(os.path.join(tmp, f"day-{n}.db"), n, args.seed) for n in args.sizes}
        cpu: dict[tuple[int, bool], list[float]] = {(n, w): [] for n in args.sizes
                                                     for w in (False, True)}
        for _ in range(args.rounds):
            for n in args.sizes:
                for walked in (False, True):
                    cpu[n, walked].append(days[n].run(args.ops, walked))
        for day in days.values():
            day.bench.close()
        print("\n".join(machine_lines(tmp, "FULL")))
    print(f"\nCPU per command (ms, median of {args.rounds} rounds of {args.ops} commands): the "
          "service's execute (commit with synchronous=FULL) + the gateway's display refresh "
          f"for {len(next(iter(days.values())).devices)} boards")
    print(f"{'tickets in the day':>20} {'kept as events apply':>22} {'walk of the day':>17}")
    for n in args.sizes:
        print(f"{n:>20} {statistics.median(cpu[n, False]) * 1000:>22.3f} "
              f"{statistics.median(cpu[n, True]) * 1000:>17.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
