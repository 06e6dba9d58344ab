"""One central process's NATS side: the stream made, the ingest running, the sites' states and
requests answered; in a thread with its own asyncio loop, beside the pages' HTTP server.

Any number of these may run against the same NATS and PostgreSQL: the ingest's durable consumer
and the answers' queue group share the work between them, and any one can be killed.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from . import answers, db, ingest
from .config import CentralConfig

log = logging.getLogger(__name__)


class CentralRunner:
    def __init__(self, config: CentralConfig):
        self.config = config
        self.counts = ingest.IngestCounts()
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def start(self, timeout: float = 30.0) -> CentralRunner:
        """Returns once the stream is there and the consumers listen; raises what stopped it."""
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self._main())
            except BaseException as e:  # noqa: BLE001 - told to start()'s caller
                self.failed = e
                log.exception("central stopped")
            finally:
                self.ready.set()
                self._loop.close()

        self._thread = threading.Thread(target=run, name="central-nats", daemon=True)
        self._thread.start()
        if not self.ready.wait(timeout):
            raise TimeoutError("central: NATS or PostgreSQL did not answer in time")
        if self.failed is not None:
            raise self.failed
        return self

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(15)
            self._thread = None

    async def _main(self) -> None:
        import nats
        import psycopg
        c = self.config
        self._stopping = asyncio.Event()
        conn = await psycopg.AsyncConnection.connect(c.postgres, autocommit=True)
        try:
            await db.migrate(conn)
            await db.sync_sites(conn, c.sites)
            listed = await db.listed_sites(conn)
        finally:
            await conn.close()
        tls = None
        if c.ca_file or any(u.startswith("tls://") for u in c.nats_urls):
            import ssl
            tls = ssl.create_default_context(cafile=c.ca_file)
        nc = await nats.connect(servers=list(c.nats_urls), user=c.user,
                                password=c.nats_password(), name="suivant-central",
                                connect_timeout=5, max_reconnect_attempts=-1,
                                reconnect_time_wait=1, tls=tls)
        try:
            js = nc.jetstream(timeout=10)
            await ingest.ensure_stream(js, c.stream_max_age_days, c.stream_max_gb)
            answers_db = Reconnecting(c.postgres)
            refused: list[tuple[str, str, str]] = []
            await answers.listen(nc, answers_db, asyncio.Lock(), listed, refused)
            consumer = asyncio.ensure_future(self._ingest(js, listed))
            self.ready.set()
            while not self._stopping.is_set():
                if refused:
                    batch, refused[:] = refused[:], []
                    try:
                        await db.count_rejects(await answers_db.get(), batch)
                    except psycopg.Error as e:
                        log.warning("central: counting refusals: %s", e)
                        await answers_db.drop()
                try:
                    await asyncio.wait_for(self._stopping.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass
            consumer.cancel()
            try:
                await consumer
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            await answers_db.drop()
        finally:
            try:
                await asyncio.wait_for(nc.close(), 5)
            except Exception:  # noqa: BLE001
                pass

    async def _ingest(self, js: Any, listed: set[str]) -> None:
        """The ingest, started again after PostgreSQL or NATS failed under it (a failover, a
        restart): what it had taken and not acknowledged comes again after ack_wait."""
        assert self._stopping is not None
        conn = Reconnecting(self.config.postgres)
        while not self._stopping.is_set():
            try:
                await ingest.run(js, await conn.get(), self._stopping, self.counts, listed)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - logged, retried: central must not stop
                self.counts.errors += 1
                log.warning("central: ingest stopped (%s: %s); starting again", type(e).__name__, e)
                await conn.drop()
                try:
                    await asyncio.wait_for(self._stopping.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
        await conn.drop()


class Reconnecting:
    """A PostgreSQL connection made when first needed and made again after it broke."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.conn: Any = None

    async def get(self) -> Any:
        import psycopg
        if self.conn is None or self.conn.closed or self.conn.broken:
            await self.drop()
            self.conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True,
                                                              connect_timeout=5)
        return self.conn

    async def drop(self) -> None:
        if self.conn is not None:
            try:
                await self.conn.close()
            except Exception:  # noqa: BLE001
                pass
            self.conn = None
