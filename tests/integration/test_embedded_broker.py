"""The embedded broker (amqtt, for sites without Mosquitto): stopping it frees its port even
when amqtt's own shutdown fails on the way (it closes its listeners last)."""
from __future__ import annotations

import asyncio
import gc

from host_bridge.links.embedded_broker import EmbeddedBroker
from support import free_port


def test_a_shutdown_that_fails_still_frees_the_port_and_ends_the_brokers_tasks(monkeypatch):
    port = free_port()
    broker = EmbeddedBroker("127.0.0.1", port)
    broker.start()
    amqtt, loop = broker._broker, broker._loop

    async def fails() -> None:  # as amqtt 0.12's did once under faults: "Broadcast loop
        raise RuntimeError("Broadcast loop stopped by exception")  # stopped by exception"
    monkeypatch.setattr(amqtt, "shutdown", fails)
    gc.disable()  # the port must be free by the stop itself, not by a collection later
    try:
        broker.stop(timeout=5)
        assert not [t for t in asyncio.all_tasks(loop) if not t.done()]
        again = EmbeddedBroker("127.0.0.1", port)
        again.start()  # the same port at once: a restart after a failed shutdown
        again.stop()
    finally:
        gc.enable()
