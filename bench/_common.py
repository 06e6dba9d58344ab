"""What both benchmarks share: the bench site config, percentiles, the machine description."""
from __future__ import annotations

import dataclasses
import os
import platform
import re
import socket
import sqlite3
import sys
from pathlib import Path

from host_bridge.site_config import Settings, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mairie.toml"
AGENT_TOKEN = "demo-agent"


def bench_settings(db_path: str, synchronous: str) -> Settings:
    """examples/mairie.toml, open at any hour, no double-press guard (every « Suivant » commits)."""
    base = load(EXAMPLE)
    rules = dataclasses.replace(base.site.rules, refuse_outside_hours=False, guard_seconds=0.0)
    return dataclasses.replace(base, site=dataclasses.replace(base.site, rules=rules),
                               db_path=db_path, synchronous=synchronous,
                               devices_path=str(Path(db_path).with_name("devices.db")))


def bench_config_text(synchronous: str) -> str:
    """The same changes as `bench_settings`, as TOML text for a `suivant serve` subprocess."""
    text = EXAMPLE.read_text(encoding="utf-8")
    subs = [(r"(?m)^refuse_outside_hours\s*=\s*true", "refuse_outside_hours = false"),
            (r"(?m)^guard_seconds\s*=\s*[0-9.]+", "guard_seconds = 0"),
            (r'(?m)^synchronous\s*=\s*"[A-Z]+"', f'synchronous = "{synchronous}"')]
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        if n != 1:
            raise RuntimeError(f"{EXAMPLE}: expected one match of {pattern!r}, found {n}")
    with socket.socket() as s:  # the embedded MQTT broker's port: 1883 may be taken
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the benchmark's clients take tickets as fast as they can: listed as a site lists its kiosk
    return (text + f"\n[mqtt]\nembedded_port = {port}\n"
            + '\n[limits]\nunlimited_addresses = ["127.0.0.1"]\n')


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n*q/100), at least 1
    return sorted_values[int(rank) - 1]


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"(?m)^model name\s*:\s*(.+)$", text)
    return match.group(1).strip() if match else "unknown"


def filesystem_of(path: str) -> str:
    """The mount (device and type) holding `path`: fsync cost depends on it."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    real = os.path.realpath(path)
    best = max((m for m in mounts if len(m) >= 3 and (real == m[1] or real.startswith(m[1].rstrip("/") + "/"))),
               key=lambda m: len(m[1]), default=None)
    return f"{best[0]} ({best[2]}) on {best[1]}" if best else "unknown"


def machine_lines(db_dir: str, synchronous: str) -> list[str]:
    return [
        f"machine:  {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}",
        f"kernel:   {platform.system()} {platform.release()}",
        f"python:   {sys.version.split()[0]} ({platform.python_implementation()}), "
        f"SQLite {sqlite3.sqlite_version}",
        f"database: {db_dir} on {filesystem_of(db_dir)}; journal_mode=WAL, synchronous={synchronous}",
        load_line(),
    ]


def system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (all CPUs summed)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return float("nan"), float("nan")
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    total = sum(ticks)
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle) / hz, total / hz


def load_line() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load:     unknown"
    return (f"load:     {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs before the run: "
            "other work on the machine skews every figure")


def wait_for_quiet(max_wait: float, threshold: float = 0.25, window: float = 2.0) -> str:
    """Wait (up to max_wait s) for the machine to be idle: under `threshold` cores busy over a
    `window`-second sample. Returns a line saying what was seen. Other people's work on a shared
    machine otherwise lands in every figure."""
    import time

    deadline = time.monotonic() + max_wait
    while True:
        busy0, own0 = system_busy()[0], time.process_time()
        time.sleep(window)
        busy = (system_busy()[0] - busy0 - (time.process_time() - own0)) / window
        if busy < threshold:
            return f"quiet:    {busy:.2f} cores busy before the start (waited for under {threshold})"
        if time.monotonic() >= deadline:
            return (f"quiet:    NOT QUIET: {busy:.2f} cores busy by other work at the start "
                    f"(waited {max_wait:.0f} s)")
