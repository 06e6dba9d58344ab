"""The network benchmark still runs (bench.network_ingest --quick): every phase prints its
figure, and the run's own checks hold (every event stored once, nothing refused)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from support import ROOT

pytestmark = pytest.mark.slow


def test_network_ingest_quick_runs_every_phase():
    run = subprocess.run([sys.executable, "-m", "bench.network_ingest", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    for phase in ("connect ", "peak ", "10x peak ", "catch-up  catchup-typical",
                  "catch-up  catchup-big", "drained in", "size ", "storm "):
        assert phase in out, (phase, out)
    assert "lag p50" in out and "rows/s committed" in out and "MiB per site-year" in out
    assert "checks    publish errors 0; duplicates 0; refused 0" in out, out
    # each paced phase stored every event it sent
    for line in out.splitlines():
        if " ev/s for " in line:
            sent = line.split(": ", 1)[1].split(" events")[0]
            assert f"{sent} events, {sent} rows" in line, line


def test_site_operations_quick_runs_every_part():
    """bench.site_operations --quick (about 3.5 s): the hook, a scrape, the year's upgrade from
    0.1.0's shape and a backup under a stream of commands each print their figures."""
    run = subprocess.run([sys.executable, "-m", "bench.site_operations", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    for line in ("no-op Observer", "CommandMetrics", "the calls alone", "100 waiting: public",
                 "schema 1 -> 3; old-0.db.schema1.bak", "during  backup:", "without backup:",
                 "the backup took"):
        assert line in out, (line, out)
