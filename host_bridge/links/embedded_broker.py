"""The broker the bridge brings when the site names none: amqtt (PyPI), in-process.

    broker = EmbeddedBroker("127.0.0.1", 1883)
    broker.start()        # raises OSError if the port cannot be bound
    broker.stop()

For the demo, the simulator and a one-machine trial: it runs in a thread with its own asyncio
loop, anonymous, on loopback by default. A site with real boards names its broker in [mqtt]
(Mosquitto, with `suivant broker-config`'s accounts and ACL): amqtt here has no accounts.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

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
        from amqtt.broker import Broker  # imported here: only sites without a broker need it
        from amqtt.contexts import BrokerConfig, ListenerConfig

        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(_quiet_client_errors)
        config = BrokerConfig(
            listeners={"default": ListenerConfig(bind=f"{self.host}:{self.port}")},
            plugins={"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}})
        try:
            self._broker = Broker(config, loop=loop)
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
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        self._loop = self._broker = self._thread = None


def _quiet_client_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """amqtt 0.12 can fail while one client's session ends as others end too ("dictionary
    changed size during iteration", seen when many boards disconnect at once): that client's
    clean-up is lost, the broker goes on. One warning line, the traceback at debug level."""
    exc = context.get("exception")
    log.warning("embedded broker: %s%s", context.get("message", "error"),
                f": {exc!r}" if exc else "")
    log.debug("embedded broker error", exc_info=exc)
