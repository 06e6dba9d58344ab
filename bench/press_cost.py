"""The bridge's own CPU per press, without MQTT, broker or load generator: bursts of presses
handed to the device gateway as its MQTT client hands them, in this process.

    python -m bench.press_cost                        # 200 counters, 20 bursts of 200
    python -m bench.press_cost --counters 200 --bursts 20 --profile

A 200-counter site (synchronous=FULL, one service, no guard time) with a terminal and a
display per counter, registered in a device registry; a link that only keeps the bytes it is
given. Each burst: every terminal's press, signed beforehand, goes to
DeviceGateway.handle_line from this thread (what the MQTT client's thread does with a read),
then the burst is waited for until every press is acknowledged and every display has its
show. CPU is this process's (every thread: decoding, the press worker's decide, commit, acks
and drawing), per press; the time is from the first line handed over to the last show.
--parts times the parts of a press (thread CPU of the press worker, and of the caller for
the lines in): the table "Where a press's time goes now" in docs/performance.md.
--profile runs it under cProfile (thread CPU time) and prints the press worker's top
functions (the other threads also run the untimed setup: tickets issued before each burst).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

from host_bridge.domain import commands as c
from host_bridge.domain.site import Counter, Rules, Service, Site
from host_bridge.links.device_gateway import DeviceGateway
from host_bridge.links.registry import DeviceRegistry
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService
from host_bridge.store.sqlite_store import SqliteStore
from suivant_fw.message import Message, encode

from ._common import load_line, machine_lines


class Link:
    """Counts what the gateway sends; tells when a burst is all acknowledged and shown."""

    def __init__(self) -> None:
        self.acks = self.shows = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.want = (0, 0)

    def send(self, device: object, channel: str, line: bytes) -> None:
        with self.lock:
            if channel == "down":
                self.acks += 1
            elif getattr(device, "role", "") == "display":
                self.shows += 1
            if self.acks >= self.want[0] and self.shows >= self.want[1]:
                self.done.set()


PARTS = [  # (class, method, what it is)
    (DeviceGateway, "handle_line", "a line in: codec, MAC, registry, role and order checks"),
    (QueueService, "execute_batch", "the queue service's batch"),
    (QueueService, "_decide", "  of which deciding, applying, the answer"),
    (SqliteStore, "commit_many", "  of which the group commit"),
    (DeviceGateway, "_ack", "acks: encode, MAC, publish"),
    (DeviceGateway, "_draw", "drawing: screens, devices touched, shows"),
]


def _time_parts() -> dict[str, float]:
    """Wrap the parts of a press with thread-CPU timers (only in the press worker's thread,
    and handle_line in any: the setup's own commands run elsewhere)."""
    spent = {what: 0.0 for _, _, what in PARTS}
    for cls, name, what in PARTS:
        inner = getattr(cls, name)

        def timed(*a: object, _inner=inner, _what=what, **k: object) -> object:
            if _inner.__name__ != "handle_line" and \
                    threading.current_thread().name != "presses":
                return _inner(*a, **k)
            t = time.thread_time()
            try:
                return _inner(*a, **k)
            finally:
                spent[_what] += time.thread_time() - t
        setattr(cls, name, timed)
    return spent


def site(counters: int) -> Site:
    return Site("bench", "Banc", "Europe/Paris", (Service("accueil", "A", "Accueil"),),
                tuple(Counter(n, f"Guichet {n}", ("accueil",)) for n in range(1, counters + 1)),
                rules=Rules(guard_seconds=0, refuse_outside_hours=False))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.press_cost",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--counters", type=int, default=200)
    p.add_argument("--bursts", type=int, default=20)
    p.add_argument("--presses", type=int, help="presses per burst, from as many counters "
                   "(default: every counter; 1: a press alone)")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--parts", action="store_true", help="thread CPU per part of a press")
    args = p.parse_args(argv)
    n = args.counters
    size = args.presses or n
    with tempfile.TemporaryDirectory(prefix="suivant-press-cost-") as tmp:
        print("\n".join(machine_lines(tmp, "FULL")))
        clock = ManualClock(datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc))
        service = QueueService(site(n), SqliteStore(os.path.join(tmp, "q.db"), "FULL"), clock)
        registry = DeviceRegistry(os.path.join(tmp, "devices.db"))
        terms = [registry.add(f"t{k}", "counter", k) for k in range(1, n + 1)]
        for k in range(1, n + 1):
            registry.add(f"d{k}", "display", k)
        for k in range(1, n + 1):
            service.execute(c.OpenCounter(k), "bench")
        profilers: list[tuple[str, cProfile.Profile]] = []
        if args.profile:  # every thread: the gateway's workers and this one
            def profile_thread(*_: object) -> None:
                prof = cProfile.Profile(time.thread_time)  # CPU, not waiting for the GIL
                profilers.append((threading.current_thread().name, prof))
                prof.enable()
            threading.setprofile(profile_thread)
            profile_thread()
        parts = _time_parts() if args.parts else None
        gateway = DeviceGateway(service, registry, clock=clock.now)
        link = Link()
        gateway.attach("mqtt", link)
        gateway.start()
        lines = [[encode(Message("press", t.id, "0badf00d", b + 1, ("next",)), t.key)
                  for t in terms[:size]] for b in range(args.bursts + 1)]
        cpu, wall = [], []
        for b, burst in enumerate(lines):
            issue = [c.IssueTicket("accueil", f"x{b}-{k}") for k in range(size + 5)]
            for command in issue:  # the line for this burst, untimed
                service.execute(command, "kiosk")
            time.sleep(0.3)  # the issues' shows drawn
            with link.lock:
                link.done.clear()
                link.want = (link.acks + size, link.shows + size)
            cpu0, t0 = time.process_time(), time.perf_counter()
            for line in burst:
                gateway.handle_line(line, "mqtt", line.split(b"|")[2].decode())
            if not link.done.wait(60):
                raise RuntimeError(f"burst {b}: {link.acks} acks, {link.shows} shows")
            if b:  # the first burst warms up
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - cpu0)
            clock.advance(60)
        gateway.stop()
        for _, prof in profilers:
            prof.disable()
        threading.setprofile(None)
        registry.close()
        service.store.close()
    per = sorted(1000 * x / size for x in cpu)
    print(f"{args.bursts} bursts of {size} presses, {n} counters (a terminal and a display "
          f"each): bridge "
          f"CPU per press {statistics.median(per):.3f} ms (median; {per[0]:.3f}-{per[-1]:.3f}), "
          f"a burst acknowledged and drawn in {1000 * statistics.median(wall):.1f} ms (median)")
    print(load_line())
    if parts is not None:
        presses = size * (args.bursts + 1)
        print("thread CPU per press, by part (ms; the press worker's thread, and the caller's "
              "for the lines in; nested parts are inside the ones above them):")
        for name, seconds in parts.items():
            print(f"  {name:55s} {1000 * seconds / presses:.4f}")
    for name, prof in profilers:  # the press worker: the other threads also run the setup
        if name == "presses":
            print("the press worker's thread (decide, commit, acks, drawing), CPU time:")
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
