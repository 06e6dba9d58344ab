"""Where a request's server time goes: the bridge under cProfile, loaded by bench.http_latency.

    python -m bench.profile_server                       # 8 client processes, 2000 requests/phase
    python -m bench.profile_server --clients 1 --requests 1000 --top 40
    python -m bench.profile_server --day 10000           # the day already holds 10,000 tickets

The bridge runs in this process (uvicorn.Server on the FastAPI app from host_bridge.bootstrap,
the same wiring as `suivant serve`), with a cProfile.Profile in every thread: the event loop
thread (HTTP parsing, routing, serialisation) and anyio's worker threads (the sync endpoints,
hence QueueService.execute). The load is `python -m bench.http_latency --url ...` in a child
process. Profiling slows Python code by roughly 2× and not the fsync, so read the shares, not
the absolute times. The figures the load generator prints are profiled figures too. By default
each thread's CPU time is profiled (--timer cpu): the question is where the CPU goes.
"""
from __future__ import annotations

import argparse
import dataclasses
import asyncio
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from host_bridge.api.limits import Limits
from host_bridge.bootstrap import build

from ._common import ROOT, bench_settings
from .http_latency import fill_day, free_port

# functions whose cumulative time says which layer the time is in (name, file suffix)
LAYERS = [
    ("whole request (FastAPI app, loop side, hops waited)", "fastapi/applications.py", "__call__"),
    ("endpoint in a worker thread", "queue_service.py", "execute"),
    ("  of which waiting for a lock (the service lock)", "~", "<method '__enter__' of '_thread.lock' objects>"),
    ("  of which the SQLite commit (fsync included)", "sqlite_store.py", "commit"),
    ("  of which the idempotency lookup", "sqlite_store.py", "answer_for"),
    ("  of which events for the bus (public_event)", "views.py", "public_event"),
    ("  of which the answer (ticket_view / counter_view)", "queue_service.py", "_answer"),
    ("request validation (body, headers, dependencies)", "dependencies/utils.py", "solve_dependencies"),
    ("response validation + jsonable_encoder", "routing.py", "serialize_response"),
    ("JSON rendering of the answer (starlette JSONResponse)", "responses.py", "render"),
    ("JSON rendering of a command's answer (api.deps.Answer)", "api/deps.py", "render"),
    ("HTTP/1.1 request parsing (uvicorn h11 handle_events)", "h11_impl.py", "handle_events"),
    ("HTTP/1.1 response writing (uvicorn h11 send)", "h11_impl.py", "send"),
]


class ThreadProfiles:
    """One cProfile.Profile per thread that runs Python after `start` (and the calling one)."""

    def __init__(self, timer) -> None:
        self.timer = timer
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _bootstrap(self, *_args) -> None:
        prof = cProfile.Profile(self.timer) if self.timer else cProfile.Profile()
        with self._lock:
            self.profiles.append(prof)
        prof.enable()  # replaces this thread's profile function: _bootstrap runs once per thread

    def start(self) -> None:
        threading.setprofile(self._bootstrap)
        self._bootstrap()

    def stats(self) -> pstats.Stats:
        threading.setprofile(None)
        for prof in self.profiles:
            prof.disable() if prof is self.profiles[0] else None
            prof.snapshot_stats()  # worker threads are idle now; their profiles are read as is
        stats = pstats.Stats(self.profiles[0])
        for prof in self.profiles[1:]:
            stats.add(prof)
        return stats


def layer_table(stats: pstats.Stats, requests: int) -> list[str]:
    rows = []
    for label, file_suffix, func in LAYERS:
        cum = sum(v[3] for (f, _line, name), v in stats.stats.items()
                  if name == func and f.endswith(file_suffix))
        ncalls = sum(v[1] for (f, _line, name), v in stats.stats.items()
                     if name == func and f.endswith(file_suffix))
        rows.append(f"{label:<52} {cum:>7.2f} s  {cum / requests * 1e3:>6.3f} ms/req  "
                    f"({ncalls} calls)")
    hops = sum(v[1] for (f, _line, name), v in stats.stats.items()
               if name == "_report_result" and "anyio" in f)
    calls = sum(v[1] for v in stats.stats.values())
    rows.append(f"{'thread-pool hops (anyio worker jobs) per request':<52} {hops / requests:>7.2f}")
    rows.append(f"{'Python function calls per request (all threads)':<52} {calls / requests:>7.0f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile_server", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--sync", choices=("FULL", "NORMAL"), default="FULL")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--timer", choices=("cpu", "wall"), default="cpu",
                   help="cpu (default): each thread's CPU time, so waits for the GIL, a lock or "
                        "fsync count nothing; wall: elapsed time, waits included")
    p.add_argument("--save", help="also write the merged profile here (pstats format)")
    p.add_argument("--day", type=int, default=0, metavar="TICKETS",
                   help="tickets the day holds before the bridge starts (made as "
                        "bench.http_latency makes them; default 0: a fresh database)")
    args = p.parse_args(argv)

    directory = tempfile.mkdtemp(prefix="suivant-profile-")
    try:
        settings = bench_settings(str(Path(directory, "queue.db")), args.sync)
        # the load takes tickets as fast as it can from loopback: listed as a site lists its
        # kiosk (as bench_config_text does for bench.http_latency's server)
        settings = dataclasses.replace(settings, limits=Limits(unlimited_addresses=("127.0.0.1",)))
        if args.day:
            fill_day(settings.db_path, args.day, 2026)
        bridge = build(settings)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(bridge.app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        outcome: dict[str, int] = {}

        def load() -> None:
            while not server.started:
                threading.Event().wait(0.05)
            outcome["rc"] = subprocess.call(
                [sys.executable, "-m", "bench.http_latency", "--url", f"http://127.0.0.1:{port}",
                 "--server-pid", str(os.getpid()), "--clients", str(args.clients),
                 "--requests", str(args.requests)], cwd=ROOT)
            server.should_exit = True

        loader = threading.Thread(target=load, name="load")  # started before profiling: unprofiled
        loader.start()
        profiles = ThreadProfiles(time.thread_time if args.timer == "cpu" else None)
        profiles.start()
        asyncio.run(server.serve())
        loader.join()
        stats = profiles.stats()
        bridge.close()
        if outcome.get("rc"):
            print(f"load generator failed with exit code {outcome['rc']}", file=sys.stderr)
            return 1
        requests = 2 * args.requests + 4 + 2 * 100  # both phases + opening + warm-up
        print(f"\ncProfile of the bridge ({len(profiles.profiles)} threads profiled, "
              f"{requests} POST requests, synchronous={args.sync}, {args.clients} clients, "
              f"{args.timer} time)\n")
        print("\n".join(layer_table(stats, requests)))
        print()
        if args.save:
            stats.dump_stats(args.save)
        stats.strip_dirs()
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
