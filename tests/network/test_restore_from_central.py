"""A site rebuilt from central after its database file is deleted (issue 14, « Backup for
free »): a real bridge process serves, central catches up, the bridge is killed and its database
deleted, `suivant restore --from-central` makes it again, the bridge starts on it: today's queue
and the history are what they were."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from host_bridge.network.restore import RestoreError, _checked
from host_bridge.network.restore import restore as restore_from_central
from host_bridge.network.settings import NetworkSettings
from simulators.bridge_process import BridgeProcess
from support import AGENT, ROOT, free_port

SITE = "mairie-r"

# what moves with the clock alone (waits, estimates), not with the queue
VOLATILE = {"estimated_wait_minutes", "estimated_wait", "waited_minutes", "wait_minutes",
            "estimate", "estimated_call_at", "since_minutes", "busy_minutes", "seconds_left"}


def steady(value):
    if isinstance(value, dict):
        return {k: steady(v) for k, v in value.items() if k not in VOLATILE
                and "estimat" not in k and "minutes" not in k}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


def restore(config: Path, db: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host_bridge.cli", "restore", "--from-central",
                           "--config", str(config), "--db", str(db), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def queue_now(url: str, tickets: list[str]) -> dict:
    """Today's queue as the pages read it."""
    with httpx.Client(base_url=url, timeout=10) as http:
        site = http.get("/api/site").json()
        return steady({
            "counters": http.get("/api/counters").json(),
            "services": http.get("/api/services").json(),
            "queues": {s["id"]: http.get(f"/api/services/{s['id']}/queue").json()
                       for s in site["services"]},
            "tickets": {t: http.get(f"/api/tickets/{t}").json() for t in tickets},
            "day": http.get("/api/health").json()["day"],
        })


def history(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT seq, day, type, at, body FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_a_site_rebuilt_from_central_after_its_database_is_deleted(make_network, tmp_path):
    net = make_network([SITE])
    net.central()
    config = net.site_file(SITE)
    db = tmp_path / SITE / "queue.db"
    bridge = BridgeProcess(config, db)
    bridge.start()
    try:
        tickets = []
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            for n in (1, 2):
                http.post(f"/api/counters/{n}/open", headers=AGENT).raise_for_status()
            for i in range(14):
                r = http.post("/api/tickets", json={"service": ("accueil", "etat-civil")[i % 2]})
                tickets.append(r.json()["ticket"]["id"])
            for action in ("next", "next", "absent", "next"):
                http.post(f"/api/counters/1/{action}", headers=AGENT).raise_for_status()
            http.post("/api/counters/2/next", headers=AGENT).raise_for_status()
            http.post(f"/api/tickets/{tickets[-1]}/cancel").raise_for_status()
            last = http.get("/api/health").json()["last_seq"]
        net.wait_caught_up(SITE, last)
        before, rows = queue_now(bridge.url, tickets), history(db)
        assert len(rows) == last and before["queues"]  # the test sees a queue worth comparing

        # a database that holds events is never replaced without --force
        # nor one a running bridge has open, even with --force
        refused = restore(config, db, "--force")
        assert refused.returncode == 2 and "stop it first" in refused.stderr, refused.stderr
        assert history(db) == rows
        bridge.kill()
        refused = restore(config, db)
        assert refused.returncode == 2 and "holds" in refused.stderr and "--force" in refused.stderr
        assert history(db) == rows

        for f in db.parent.glob(db.name + "*"):  # the database, its WAL, the cursor file
            f.unlink()

        # central away: the restore says so and makes nothing
        net.runners.pop().stop()
        failed = restore(config, db)
        assert failed.returncode == 2 and "central" in failed.stderr, failed.stderr
        assert not db.exists() and not list(db.parent.glob(".queue.db*"))

        net.central()
        # central misses events in the middle (still on their way): refused unless told
        net.query("UPDATE progress SET contiguous = 5 WHERE site = %s RETURNING site", SITE)
        gaps = restore(config, db)
        assert gaps.returncode == 2 and "--allow-gaps" in gaps.stderr and not db.exists()
        net.query("UPDATE progress SET contiguous = %s WHERE site = %s RETURNING site", last, SITE)
        done = restore(config, db)
        assert done.returncode == 0, done.stderr
        assert f"{last} events of 1 business day (" in done.stdout
        assert f"last sequence number {last}" in done.stdout
        assert "a second « Suivant »" in " ".join(done.stdout.split())  # what it cannot
        assert history(db) == rows
        assert json.loads(Path(f"{db}.network.json").read_text()) == {"published_seq": last}

        bridge.start()
        after = queue_now(bridge.url, tickets)
        for part in before:
            assert after[part] == before[part], part
        # the site goes on where it was: new events follow on, central takes them once
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            http.post("/api/counters/2/next", headers=AGENT).raise_for_status()
            now_last = http.get("/api/health").json()["last_seq"]
        assert now_last > last
        net.wait_caught_up(SITE, now_last)
        assert [s for s, _ in net.rows(SITE)] == list(range(1, now_last + 1))
        assert net.query("SELECT count(*) FROM duplicates WHERE site = %s AND count > 0",
                         SITE) == [(0,)]  # nothing was sent again
    finally:
        bridge.stop()


def test_force_keeps_the_old_database_aside(make_network, tmp_path):
    net = make_network([SITE])
    net.central()
    config = net.site_file(SITE)
    db = tmp_path / SITE / "queue.db"
    conn = sqlite3.connect(db)  # a database of some other history
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, day TEXT, type TEXT, "
                 "at TEXT, body TEXT)")
    conn.execute("INSERT INTO events VALUES (1, '2026-01-01', 'X', '', '{}')")
    conn.commit()
    conn.close()
    done = restore(config, db, "--force")
    assert done.returncode == 0, done.stderr
    assert "0 events" in done.stdout and "holds no event" in done.stdout
    assert "kept as" in done.stdout
    kept = list(db.parent.glob("queue.db.before-restore-*"))
    assert len(kept) == 1 and history(kept[0]) == [(1, "2026-01-01", "X", "", "{}")]
    assert history(db) == []


def test_an_event_the_site_could_not_replay_stops_the_restore():
    body = ('{"ticket_id":"t1","service":"accueil","number":1,"label":"A001",'
            '"category":null,"at":"2026-03-02T08:31:00+01:00"}')
    good = {"seq": 7, "day": "2026-03-02", "type": "TicketIssued",
            "at": "2026-03-02T08:31:00+01:00", "body": body}
    assert _checked(good, 6) == (7, "2026-03-02", "TicketIssued", good["at"], body)
    for change, why in [({"seq": 6}, "out of order"), ({"type": "Nope"}, "not an event"),
                        ({"body": "{}"}, "cannot be replayed"), ({"day": "mardi"}, "cannot"),
                        ({"at": "2026-03-02T09:00:00+01:00"}, "cannot be replayed")]:
        with pytest.raises(RestoreError, match=why):
            _checked({**good, **change}, 6)


def test_no_central_to_reach_is_said_and_nothing_is_made(tmp_path):
    settings = NetworkSettings((f"nats://127.0.0.1:{free_port()}",), "site-mairie-x", "pw")
    with pytest.raises(RestoreError, match="cannot reach central's NATS"):
        restore_from_central("mairie-x", settings, tmp_path / "queue.db")
    assert list(tmp_path.iterdir()) == []
