"""The broker the bridge brings when the site names none: amqtt (PyPI), in-process.

    broker = EmbeddedBroker("127.0.0.1", 1883)
    broker.start()        # raises OSError if the port cannot be bound
    broker.stop()

For the demo, the simulator and a one-machine trial: it runs in a thread with its own asyncio
loop, anonymous, on loopback by default. A site with real boards names its broker in [mqtt]
(Mosquitto, with `suivant broker-config`'s accounts and ACL): amqtt here has no accounts, so
any local client can also take a client id in use (the bridge's: Mosquitto's generated config
prevents that with `use_username_as_clientid`).

amqtt (0.12) has no packet size limit, and it runs in the bridge's process: a client sending
a 64 MB message would have it read into the bridge's memory. Each connection's reader here
refuses to read a packet body over MAX_PACKET_BYTES and closes the connection instead
(`_BoundedReader`), as Mosquitto's `max_packet_size` does.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

from .mosquitto_config import MAX_PACKET_BYTES

log = logging.getLogger(__name__)


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883):
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> None:
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="mqtt-broker",
                                        daemon=True)
        self._thread.start()
        started.result(timeout)  # the bind error, if any, is raised here

    def _run(self, started: Future[None]) -> None:
        from amqtt.contexts import BrokerConfig, ListenerConfig  # only sites without a broker

        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(_quiet_client_errors)
        config = BrokerConfig(
            listeners={"default": ListenerConfig(bind=f"{self.host}:{self.port}")},
            plugins={"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}})
        try:
            self._broker = _bounded_broker_class()(config, loop=loop)
            loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # noqa: BLE001 - handed to start()'s caller
            started.set_exception(OSError(f"embedded MQTT broker on {self.host}:{self.port}: "
                                          f"{exc}"))
            loop.close()
            return
        started.set_result(None)
        log.info("embedded MQTT broker (amqtt) on %s:%s", self.host, self.port)
        loop.run_forever()
        loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or self._thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(timeout)
        except Exception:  # noqa: BLE001 - stopping anyway
            log.exception("embedded broker shutdown")
            try:  # amqtt closes its listeners last: a shutdown that failed on the way left
                # the port bound and tasks pending (collected later, at any moment)
                asyncio.run_coroutine_threadsafe(_force_close(broker), loop).result(timeout)
            except Exception:  # noqa: BLE001 - stopping anyway
                log.exception("embedded broker: closing after a failed shutdown")
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        self._loop = self._broker = self._thread = None


async def _force_close(broker: Any) -> None:
    """Close amqtt's listeners (its Server objects, amqtt 0.12) and end every other task of
    the broker's loop, so the port is free and nothing of it is left to be collected."""
    for server in getattr(broker, "_servers", {}).values():
        instance = getattr(server, "instance", None)
        if instance is not None:
            instance.close()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=5)


def _bounded_broker_class() -> type:
    """amqtt's Broker whose TCP connections read through _BoundedReader (made here: amqtt is
    imported only by sites that run this broker)."""
    from amqtt.adapters import StreamReaderAdapter, StreamWriterAdapter
    from amqtt.broker import Broker

    class _BoundedReader(StreamReaderAdapter):
        def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
            super().__init__(reader)
            self._writer = writer

        async def read(self, n: int = -1) -> bytes:
            if n < 0 or n > MAX_PACKET_BYTES:  # a packet body no device sends: not read
                self._writer.close()
                raise ConnectionAbortedError(f"MQTT packet of {n} bytes refused "
                                             f"(at most {MAX_PACKET_BYTES})")
            return await super().read(n)

    class BoundedBroker(Broker):
        async def stream_connected(self, reader: asyncio.StreamReader,
                                   writer: asyncio.StreamWriter, listener_name: str) -> None:
            await self.external_connected(_BoundedReader(reader, writer),
                                          StreamWriterAdapter(writer), listener_name)

    return BoundedBroker


def _quiet_client_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """amqtt 0.12 can fail while one client's session ends as others end too ("dictionary
    changed size during iteration", seen when many boards disconnect at once): that client's
    clean-up is lost, the broker goes on. One warning line, the traceback at debug level."""
    exc = context.get("exception")
    log.warning("embedded broker: %s%s", context.get("message", "error"),
                f": {exc!r}" if exc else "")
    log.debug("embedded broker error", exc_info=exc)
