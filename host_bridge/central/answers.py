"""What central says to sites (core NATS, a queue group shared by every central process):
their states in, and the answers to their requests — where to resume (`cursor`), their history
(`history`, for `suivant restore --from-central`), their published site file (`config`).

The subject names the site and the server lets each site use only its own, so a request is
answered about the site it names and no other.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..network import wire
from . import db

log = logging.getLogger(__name__)

QUEUE = "central"


async def answer(database: Any, lock: asyncio.Lock, listed: set[str], subject: str,
                 payload: bytes) -> dict[str, Any]:
    """One request -> its answer (an `error` answer for a refusal; `unavailable` while
    PostgreSQL is away: the site goes on from its own record)."""
    import psycopg
    try:
        verb, site = wire.request_of_subject(subject)
        if site not in listed:
            raise wire.WireError("unknown_site", site)
        request = wire.decode_request(payload)
        async with lock:
            try:
                return await _answer(await database.get(), verb, site, request)
            except psycopg.Error as e:
                await database.drop()
                return {"error": "unavailable", "detail": type(e).__name__}
    except wire.WireError as e:
        return {"error": e.reason, "detail": str(e)}


async def _answer(conn: Any, verb: str, site: str, request: dict[str, Any]) -> dict[str, Any]:
    if verb == "cursor":
        return {"contiguous": await db.contiguous(conn, site) or 0}
    if verb == "history":
        after = request.get("after", 0)
        limit = request.get("limit", wire.HISTORY_PAGE)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0 \
                or isinstance(limit, bool) or not isinstance(limit, int) \
                or not 1 <= limit <= wire.HISTORY_PAGE:
            raise wire.WireError("malformed", "after ≥ 0, limit 1 to "
                                              f"{wire.HISTORY_PAGE}")
        events = await db.history(conn, site, after, limit)
        return {"events": events, "contiguous": await db.contiguous(conn, site) or 0}
    latest = await db.latest_config(conn, site)
    return {"version": None, "toml": None} if latest is None else \
        {"version": latest[0], "toml": latest[1]}


async def listen(nc: Any, database: Any, lock: asyncio.Lock, listed: set[str],
                 refused: list[tuple[str, str, str]]) -> list[Any]:
    """Subscribes; -> the subscriptions. States are kept, requests answered; refusals are
    appended to `refused` (the runner counts them in the database)."""

    async def on_state(msg: Any) -> None:
        try:
            state = wire.decode_state(msg.subject, msg.data)
            if state["site"] not in listed:
                raise wire.WireError("unknown_site", state["site"])
        except wire.WireError as e:
            parts = msg.subject.split(".")
            refused.append((parts[2] if len(parts) == 4 else "", "state_" + e.reason, str(e)))
            return
        import psycopg
        async with lock:
            try:
                await db.save_state(await database.get(), state["site"], state)
            except psycopg.Error as e:  # PostgreSQL away: the next state comes in seconds
                log.warning("central: keeping a state: %s", e)
                await database.drop()

    async def on_request(msg: Any) -> None:
        if not msg.reply:
            return
        reply = await answer(database, lock, listed, msg.subject, msg.data)
        await msg.respond(wire.encode_answer(reply))

    return [await nc.subscribe(wire.STATES_SUBJECTS, queue=QUEUE, cb=on_state),
            await nc.subscribe(wire.REQUESTS_SUBJECTS, queue=QUEUE, cb=on_request)]
