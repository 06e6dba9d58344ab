"""The sites' events from the JetStream stream into PostgreSQL.

A durable pull consumer shared by every central process: each fetches a batch, checks each
message (wire.decode_event; the site must be listed), writes the batch in one transaction,
and only then acknowledges it. A central killed between the two gets its batch delivered again
(to itself or another), and the primary key makes the second copy a counted duplicate: at
least once on the wire, exactly once in the table. A refused message is counted in `rejects`
and acknowledged: it is never delivered again and writes nothing else.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ..network import wire
from . import db

log = logging.getLogger(__name__)

DURABLE = "central-ingest"
FETCH = 500  # messages per fetch (and per transaction)
ACK_WAIT = 10.0  # seconds before a message a central took but did not acknowledge goes again
MAX_ACK_PENDING = 20_000


@dataclass
class IngestCounts:
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    batches: int = 0
    errors: int = 0  # the ingest stopped (PostgreSQL or NATS failed) and started again


async def ensure_stream(js: Any, max_age_days: int, max_gb: float) -> None:
    """The stream of every site's events (made or brought to these settings)."""
    from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
    config = StreamConfig(
        name=wire.STREAM, subjects=[wire.EVENTS_SUBJECTS], storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS, discard=DiscardPolicy.OLD,
        max_age=max_age_days * 86400.0, max_bytes=int(max_gb * 1024 ** 3),
        max_msg_size=wire.MAX_EVENT_BYTES * 2, duplicate_window=600.0)
    try:
        await js.add_stream(config)
    except Exception as e:  # noqa: BLE001 - it exists with other settings: update it
        if "already in use" not in str(e) and "exists" not in str(e):
            raise
        await js.update_stream(config)


async def subscribe(js: Any) -> Any:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
    return await js.pull_subscribe(
        wire.EVENTS_SUBJECTS, durable=DURABLE, stream=wire.STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                              ack_wait=ACK_WAIT, max_ack_pending=MAX_ACK_PENDING,
                              max_deliver=-1))


def check(messages: list[Any], listed: set[str]) -> tuple[list[dict[str, Any]],
                                                           list[tuple[str, str, str]]]:
    """-> (events to store, refusals as (site, reason, detail))."""
    events, refused = [], []
    for m in messages:
        try:
            event = wire.decode_event(m.subject, m.data)
            if event["site"] not in listed:
                raise wire.WireError("unknown_site", event["site"])
            events.append(event)
        except wire.WireError as e:
            parts = m.subject.split(".")
            site = parts[2] if len(parts) == 4 and wire.SITE_ID.match(parts[2]) else ""
            refused.append((site, e.reason, str(e)))
    return events, refused


async def ingest_batch(conn: Any, messages: list[Any], listed: set[str],
                       counts: IngestCounts) -> None:
    events, refused = check(messages, listed)
    stored = await db.store_events(conn, events)
    refused += [(s, "conflict", f"{s}:{q} is held with another content")
                for s, q in stored.conflicts]
    await db.count_rejects(conn, refused)
    counts.stored += stored.new
    counts.duplicates += stored.duplicates
    counts.refused += len(refused)
    counts.batches += 1
    for m in messages:
        await m.ack()
    if refused:
        log.warning("central: refused %d message(s), e.g. %s", len(refused), refused[0])


async def run(js: Any, conn: Any, stopping: asyncio.Event, counts: IngestCounts,
              listed: set[str]) -> None:
    """Until `stopping`: fetch, store, acknowledge."""
    from nats.errors import TimeoutError as NatsTimeout
    psub = await subscribe(js)
    while not stopping.is_set():
        try:
            messages = await psub.fetch(FETCH, timeout=1)
        except (NatsTimeout, asyncio.TimeoutError):
            continue
        try:
            await ingest_batch(conn, messages, listed, counts)
        except Exception:
            # not stored (PostgreSQL failed): given back at once rather than after ack_wait
            for m in messages:
                try:
                    await m.nak(delay=1)
                except Exception:  # noqa: BLE001 - NATS away too: ack_wait brings them back
                    break
            raise
