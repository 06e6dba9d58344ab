"""The site's publisher: its event history to central's JetStream stream, in order, from where
central last acknowledged; and the site's state every few seconds (docs/network.md).

Never in a command's way: it runs in a thread of its own with its own asyncio loop, reads the
history on a read-only SQLite connection of its own (WAL: readers never wait for the writer,
the writer never waits for them), and never writes the site's database. With the link down the
site serves as before; the publisher retries, and catches up by itself when the link is back.

Where it starts from: central's answer to `cursor` (the highest sequence number up to which it
holds every event) on every (re)connection; when central does not answer (it is down, the
stream still takes messages), the last sequence number the stream acknowledged, kept in a small
file beside the database. Re-sending from a lower point only makes duplicates, which the stream
(Nats-Msg-Id) and central (primary key) drop.

With [network] apply_config = true it also takes the site file central publishes
(config_pull.py: on each connection and every minute) and says in its state which version it
applied.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..store.sqlite_copy import file_uri
from . import wire
from .config_pull import ConfigPull
from .settings import NetworkSettings

log = logging.getLogger(__name__)

BATCH = 256  # events read per query, and sent before waiting for their acknowledgements
POLL_SECONDS = 0.05  # how often the history is looked at when there is nothing to send
ACK_SECONDS = 5.0  # a message the stream has not acknowledged by then is sent again
ASK_SECONDS = 2.0  # how long central gets to answer `cursor`
RECHECK_SECONDS = 300.0  # how often central's position is asked while central lags behind
BEHIND_ASK_SECONDS = 30.0  # and while this database is behind central's copy


class HistoryReader:
    """The site's events, read on a connection of the publisher's own."""

    def __init__(self, db_path: str):
        self.db = sqlite3.connect(file_uri(db_path, "ro"), uri=True, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout=5000")

    def after(self, seq: int, limit: int = BATCH) -> list[tuple[int, str, str, str, str]]:
        return self.db.execute("SELECT seq, day, type, at, body FROM events WHERE seq > ? "
                               "ORDER BY seq LIMIT ?", (seq, limit)).fetchall()

    def last_seq(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    def close(self) -> None:
        self.db.close()


class CursorFile:
    """The last sequence number the stream acknowledged, in `<db>.network.json` (written by
    rename, at most once a second: losing it only costs duplicates)."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.saved_at = 0.0
        self.saved: int | None = None

    def load(self) -> int:
        try:
            value = json.loads(self.path.read_text())["published_seq"]
            return value if isinstance(value, int) and value >= 0 else 0
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def save(self, seq: int, force: bool = False) -> None:
        now = time.monotonic()
        if seq == self.saved or not force and now - self.saved_at < 1.0:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"published_seq": seq}))
        os.replace(tmp, self.path)
        self.saved, self.saved_at = seq, now


class Publisher:
    def __init__(self, site_id: str, db_path: str, settings: NetworkSettings,
                 state: Callable[[], dict[str, Any]], admin: Any = None, audit: Any = None):
        """`state()`: the site's state for central (site_info, now), read by the caller's
        service; called from the publisher's thread every settings.state_seconds. `admin`: the
        site's service.site_admin.SiteAdmin, that applies central's site file when
        settings.apply_config; `audit`: the staff audit log that says so."""
        self.site, self.settings, self.state = site_id, settings, state
        self.db_path = db_path
        self.cursor_file = CursorFile(db_path + ".network.json")
        self.published = self.cursor_file.load()  # acknowledged by the stream
        self.central_cursor: int | None = None  # central's last answer to `cursor`
        self.connected = False
        self.errors = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._resync = True  # ask central where to start (at start and after a reconnection)
        self._asked_at = 0.0  # when central's position was last asked
        # central holds more of this site than its database: (central's, the database's last)
        self.behind_central: tuple[int, int] | None = None
        self._again = 0  # how many times what the stream dropped was sent again (msg_id)
        self.configs: ConfigPull | None = None
        self._config_check: asyncio.Future[None] | None = None
        if settings.apply_config:
            if admin is None:
                log.warning("network: apply_config is set but this bridge gave the publisher "
                            "no administration to apply central's site file with")
            else:
                self.configs = ConfigPull(site_id, db_path, admin, audit)

    # ----- the thread -------------------------------------------------------------------------
    def start(self) -> Publisher:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._stopping = asyncio.Event()
            ready.set()
            try:
                self._loop.run_until_complete(self._main())
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, name="network-publisher", daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop ended on its own
                pass
        self._thread.join(10)
        self._thread = None
        self.cursor_file.save(self.published, force=True)

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"connected": self.connected, "published_seq": self.published,
                               "central_seq": self.central_cursor, "errors": self.errors}
        if self.behind_central is not None:
            held, last = self.behind_central
            out["stopped"] = (f"central holds this site's events up to {held} but this database "
                              f"ends at {last}: nothing is sent; rebuild the database with "
                              f"`suivant restore --from-central`")
        if self.configs is not None:
            out.update(self.configs.status())
        return out

    # ----- the loop ---------------------------------------------------------------------------
    async def _main(self) -> None:
        import nats  # only a site in a network needs it loaded
        reader = HistoryReader(self.db_path)
        assert self._stopping is not None
        try:
            while not self._stopping.is_set():
                nc = None
                try:
                    nc = await nats.connect(**self._connect_options())
                    self.connected = True
                    await self._serve(nc, reader)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - the link is down: retry, keep serving
                    self.errors += 1
                    log.warning("network: %s: %s (retrying)", type(e).__name__, e)
                finally:
                    self.connected = False
                    if nc is not None:
                        try:
                            await asyncio.wait_for(nc.close(), 2)
                        except Exception:  # noqa: BLE001
                            pass
                await self._sleep(1.0)
        finally:
            reader.close()

    def _connect_options(self) -> dict[str, Any]:
        s = self.settings

        async def disconnected() -> None:
            self.connected = False

        async def reconnected() -> None:
            self.connected = True
            self._resync = True
            if self.configs is not None:
                self.configs.reconnected()

        async def error(e: Exception) -> None:
            log.debug("network: %s", e)

        options: dict[str, Any] = dict(
            servers=list(s.urls), user=s.user, password=s.password,
            name=f"suivant-site-{self.site}", inbox_prefix=wire.inbox_prefix(self.site),
            connect_timeout=2, reconnect_time_wait=1, max_reconnect_attempts=-1,
            ping_interval=5, max_outstanding_pings=2, allow_reconnect=True,
            disconnected_cb=disconnected, reconnected_cb=reconnected, error_cb=error)
        if s.ca_file or any(u.startswith("tls://") for u in s.urls):
            import ssl
            options["tls"] = ssl.create_default_context(cafile=s.ca_file)
        return options

    async def _sleep(self, seconds: float) -> None:
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _serve(self, nc: Any, reader: HistoryReader) -> None:
        js = nc.jetstream(timeout=ACK_SECONDS)
        assert self._stopping is not None
        next_state = 0.0
        if self.configs is not None:
            self.configs.reconnected()
        while not self._stopping.is_set():
            if self._resync:
                await self._ask_cursor(nc, reader)
            elif self.central_cursor is not None and self.central_cursor < self.published \
                    and time.monotonic() - self._asked_at >= RECHECK_SECONDS:
                await self._recheck(nc)
            if self.configs is not None and self.configs.due():
                # beside the sending, not in its way: central may take seconds to answer
                self._config_check = asyncio.ensure_future(self.configs.check(nc))
            if time.monotonic() >= next_state:
                await self._send_state(nc, reader)
                next_state = time.monotonic() + self.settings.state_seconds
            if self.behind_central is not None:  # nothing is sent (see _ask_cursor)
                await self._sleep(1.0)
                self._resync = time.monotonic() - self._asked_at >= BEHIND_ASK_SECONDS
                continue
            rows = reader.after(self.published)
            if not rows:
                await self._sleep(POLL_SECONDS)
                continue
            await self._send(js, rows)

    async def _central_position(self, nc: Any) -> int | None:
        """Central's `contiguous` for this site, or None when it does not answer."""
        self._asked_at = time.monotonic()
        try:
            msg = await nc.request(wire.request_subject("cursor", self.site), b"",
                                   timeout=ASK_SECONDS)
            seq = wire.decode_answer(msg.data).get("contiguous")
        except Exception as e:  # noqa: BLE001 - central is away
            log.info("network: central did not say where it is (%s)", type(e).__name__)
            return None
        return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else None

    async def _ask_cursor(self, nc: Any, reader: HistoryReader) -> None:
        self._resync = False
        seq = await self._central_position(nc)
        if seq is None:  # go on from the stream's acknowledgements
            return
        last = reader.last_seq()
        if seq > last:
            # central holds events this database never had: it is older than central's copy
            # (a disk replaced without `restore --from-central`, an old backup put back).
            # Its next events would reuse numbers central holds with other content: send
            # nothing, say why, serve on.
            if self.behind_central != (seq, last):
                log.error("network: central holds this site's events up to %d but this "
                          "database ends at %d: nothing is sent. Stop the bridge and rebuild "
                          "the database with `suivant restore --from-central`", seq, last)
            self.behind_central = (seq, last)
            return
        self.behind_central = None
        # start again from central's point: what the stream holds but central does not (a
        # stream that lost messages) is sent again, what both hold is dropped there; central
        # ahead of the cursor file (the file was lost, the database restored from central):
        # nothing central holds is sent again
        self.central_cursor = self.published = seq

    async def _recheck(self, nc: Any) -> None:
        """Connected for long while central lags: if central has not moved since it was last
        asked, what it lacks is no longer in the stream (dropped by the stream's limits while
        central was away): send it again from central's point."""
        seq = await self._central_position(nc)
        if seq is None:
            return
        if seq == self.central_cursor and seq < self.published:
            log.warning("network: central has stayed at %d while %d were sent: sending again "
                        "from %d", seq, self.published, seq)
            self.published = seq
            self._again += 1
        self.central_cursor = seq

    async def _send(self, js: Any, rows: list[tuple[int, str, str, str, str]]) -> None:
        prev = self.published
        pending = []
        for seq, day, kind, at, body in rows:
            payload = wire.encode_event(self.site, seq, prev, day, kind, at, body)
            pending.append(js.publish(wire.events_subject(self.site), payload,
                                      headers={"Nats-Msg-Id": wire.msg_id(self.site, seq,
                                                                         self._again)}))
            prev = seq
        # all sent at once, acknowledged in any order; the cursor moves only past a run of
        # acknowledged ones, so a failure in the middle sends again from there
        results = await asyncio.gather(*pending, return_exceptions=True)
        for (seq, *_), result in zip(rows, results):
            if isinstance(result, BaseException):
                self.errors += 1
                raise ConnectionError(f"event {seq} not acknowledged: {result!r}")
            self.published = seq
        self.cursor_file.save(self.published)

    async def _send_state(self, nc: Any, reader: HistoryReader) -> None:
        try:
            state = self.state()
        except Exception:  # noqa: BLE001 - a state that cannot be read is not sent
            log.exception("network: reading the site's state")
            return
        state.update(last_seq=reader.last_seq(), published_seq=self.published,
                     sent_at=time.time())
        if self.configs is not None:
            state.update(self.configs.status())
        await nc.publish(wire.state_subject(self.site), wire.encode_state(self.site, state))
