"""Where a site resumes: never behind central's copy with a database that lost events (it stops
sending and says why), and again from central's position when what central lacks is no longer
in the stream (dropped while central was away)."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import httpx
import nats
import pytest

from host_bridge.network import publisher as publisher_module
from host_bridge.network import wire
from host_bridge.network.publisher import Publisher
from host_bridge.store.sqlite_store import SqliteStore
from network_rig import event_rows, wait_for
from simulators.bridge_process import BridgeProcess
from support import AGENT

pytestmark = pytest.mark.slow


def test_a_database_behind_central_sends_nothing_and_says_why(make_network, tmp_path):
    net = make_network(["mairie-a"])
    net.central()
    db = tmp_path / "mairie-a" / "queue.db"
    bridge = BridgeProcess(net.site_file("mairie-a"), db)
    try:
        bridge.start()
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            http.post("/api/counters/1/open", headers=AGENT).raise_for_status()
            for _ in range(5):
                http.post("/api/tickets", json={"service": "accueil"}).raise_for_status()
            held = http.get("/api/health").json()["last_seq"]
        net.wait_caught_up("mairie-a", held)
        bridge.stop()
        for path in db.parent.glob("queue.db*"):  # a new disk, and no restore
            path.unlink()
        bridge.start()
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            wait_for(lambda: "stopped" in http.get("/api/health").json()["network"],
                     what="the publisher to stop")
            said = http.get("/api/health").json()["network"]["stopped"]
            assert f"up to {held}" in said and "restore --from-central" in said
            # the site serves on; its new events, numbered again from 1, are not sent
            http.post("/api/counters/1/open", headers=AGENT).raise_for_status()
            http.post("/api/tickets", json={"service": "accueil"}).raise_for_status()
        time.sleep(1)
        assert [s for s, _ in net.rows("mairie-a")] == list(range(1, held + 1))
        assert net.query("SELECT count(*) FROM rejects") == [(0,)]
    finally:
        bridge.stop()


def write_rows(db: str, rows: list) -> None:
    SqliteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO events (seq, day, type, at, body) VALUES (?,?,?,?,?)", rows)


STATE = {"site_info": {"name": "A", "timezone": "Europe/Paris", "services": []}, "now": {}}


def test_what_the_stream_dropped_is_sent_again_from_central_s_position(make_network, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setattr(publisher_module, "RECHECK_SECONDS", 0.5)
    net = make_network(["mairie-a"])
    runner = net.central()
    db = str(tmp_path / "site.db")
    rows = event_rows(300)
    write_rows(db, rows[:100])
    settings = net.site_settings("mairie-a")
    pub = Publisher("mairie-a", db, settings, lambda: dict(STATE)).start()
    try:
        net.wait_caught_up("mairie-a", 100)
        runner.stop()  # central away
        write_rows(db, rows[100:])
        wait_for(lambda: pub.published == 300, what="the stream to take the rest")

        async def purge() -> None:  # the stream's limits dropped them before central came back
            nc = await nats.connect(net.nats.url, user="central",
                                    password=net.config.nats_password())
            await nc.jetstream().purge_stream(wire.STREAM)
            await nc.close()

        asyncio.run(purge())
        net.central()
        net.wait_caught_up("mairie-a", 300, timeout=30)
        assert [s for s, _ in net.rows("mairie-a")] == list(range(1, 301))
        assert pub.connected  # sent again without a reconnection
    finally:
        pub.stop()
