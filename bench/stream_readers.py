"""What live-stream readers cost a command: a ticket's issue over HTTP with 0, 100 and 500
readers holding /api/events open (issue 10; figures in docs/performance.md, *Input limits*).

    python -m bench.stream_readers               # 0, 100, 500 readers; 200 tickets each way
    python -m bench.stream_readers 0 50 --tickets 100

A real `suivant serve` (the bench site); the readers in another process, each reading what
comes; 200 `POST /api/tickets` from this one on one `http.client` connection, back to back,
then one every 50 ms (a real site's pace). Prints p50 / p99 in ms and the bridge's RSS.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import psutil

from bench._common import bench_config_text, machine_lines, percentile
from simulators.bridge_process import BridgeProcess

SPACED_MS = 50


def _readers(port: int, n: int, ready: mp.Queue, stop: mp.Event) -> None:
    async def one(opened: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        opened.append(int(head.split()[1]))
        while await reader.read(65536):
            pass

    async def main() -> None:
        opened: list[int] = []
        tasks = [asyncio.create_task(one(opened)) for _ in range(n)]
        while len(opened) < n:
            await asyncio.sleep(0.05)
        ready.put(opened.count(200))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
    asyncio.run(main())


def _issue(port: int, tickets: int, spaced_ms: float) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for _ in range(tickets):
        started = time.perf_counter()
        conn.request("POST", "/api/tickets", json.dumps({"service": "accueil"}),
                     {"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 201:
            raise RuntimeError(f"ticket refused: HTTP {answer.status}")
        out.append((time.perf_counter() - started) * 1000)
        time.sleep(spaced_ms / 1000)
    conn.close()
    return sorted(out)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stream_readers", description=__doc__)
    p.add_argument("readers", type=int, nargs="*", default=[0, 100, 500])
    p.add_argument("--tickets", type=int, default=200)
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="suivant-bench-"))
    for line in machine_lines(str(folder), "FULL")[:3]:
        print(line)
    config = folder / "site.toml"
    config.write_text(bench_config_text("FULL"), encoding="utf-8")
    print(f"\n{'readers':>7} {'back to back p50/p99 ms':>24} {'every 50 ms p50/p99 ms':>23} "
          f"{'bridge RSS MB':>14}  load (1 min)")
    for n in args.readers:
        bridge = BridgeProcess(config, folder / f"queue-{n}.db")
        bridge.start(timeout=60)
        ready: mp.Queue = mp.Queue()
        stop = mp.Event()
        holder = mp.Process(target=_readers, args=(bridge.port, n, ready, stop), daemon=True)
        holder.start()
        try:
            served = ready.get(timeout=120)
            rows = [_issue(bridge.port, args.tickets, spaced) for spaced in (0, SPACED_MS)]
            rss = psutil.Process(bridge.pid).memory_info().rss / 2 ** 20
        finally:
            stop.set()
            holder.join(10)
            bridge.stop()
        cells = [f"{percentile(r, 50):.1f} / {percentile(r, 99):.1f}" for r in rows]
        print(f"{n:>7} {cells[0]:>24} {cells[1]:>23} {rss:>14.0f}  {os.getloadavg()[0]:.2f}"
              + (f"  ({served} of {n} readers served)" if served != n else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
