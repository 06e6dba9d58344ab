"""Central's engines restarted under load, as a failover or an upgrade does: PostgreSQL stopped
and started again mid-stream, the NATS server too. Central and the sites carry on by themselves
and every event ends up stored once."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from network_rig import Network, event_rows, publish_rows, site_connection, wait_for
from network_servers import Postgres
from simulators.bridge_process import BridgeProcess
from support import AGENT

pytestmark = pytest.mark.slow


def test_postgres_restarted_mid_stream(tmp_path):
    with Postgres() as pg:  # a cluster of this test's own: it is stopped mid-test
        net = Network(tmp_path, pg, ["mairie-a"])
        try:
            runner = net.central()
            rows = event_rows(3000)

            async def send(part: list) -> None:
                nc = await site_connection(net, "mairie-a")
                await publish_rows(nc, "mairie-a", part)
                await nc.close()

            asyncio.run(send(rows[:1000]))
            net.wait_caught_up("mairie-a", 1000)
            pg.stop()
            asyncio.run(send(rows[1000:]))  # the stream takes them while the database is away
            wait_for(lambda: runner.counts.errors > 0, what="the ingest to notice")
            pg.start()
            net.wait_caught_up("mairie-a", 3000, timeout=60)
            assert [s for s, _ in net.rows("mairie-a")] == list(range(1, 3001))
        finally:
            net.close()


def test_nats_restarted_mid_traffic(make_network, tmp_path):
    net = make_network(["mairie-a"])
    runner = net.central()
    bridge = BridgeProcess(net.site_file("mairie-a"), tmp_path / "mairie-a" / "queue.db")
    try:
        bridge.start()
        with httpx.Client(base_url=bridge.url, timeout=10) as http:
            http.post("/api/counters/1/open", headers=AGENT).raise_for_status()

            def serve(n: int) -> int:
                for _ in range(n):
                    http.post("/api/tickets", json={"service": "accueil"}).raise_for_status()
                    http.post("/api/counters/1/next", headers=AGENT).raise_for_status()
                return http.get("/api/health").json()["last_seq"]

            net.wait_caught_up("mairie-a", serve(20))
            net.nats.stop()
            during = serve(20)  # the site serves on without its link
            net.nats.start()  # same port, same JetStream store
            net.wait_caught_up("mairie-a", during, timeout=60)
            last = serve(5)
            net.wait_caught_up("mairie-a", last)
        assert [s for s, _ in net.rows("mairie-a")] == list(range(1, last + 1))
        assert runner.counts.stored == last
    finally:
        bridge.stop()
