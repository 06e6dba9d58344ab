"""The live event stream (Server-Sent Events) that pages and later links subscribe to.

Each event carries its sequence number as the SSE id, so a client that reconnects with
Last-Event-ID (browsers' EventSource do it by themselves) gets what it missed from the store.
"""
from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..service.bus import LAGGED
from .deps import Service
from .errors import responses

router = APIRouter(prefix="/api", tags=["events"])
KEEPALIVE_SECONDS = 15.0
CATCH_UP_BATCH = 500


def _frame(item: dict) -> str:
    return f"id: {item['seq']}\nevent: {item['type']}\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"


@router.get("/events", summary="Live queue events (text/event-stream)",
            response_class=StreamingResponse, responses=responses(422))
async def events(request: Request, service: Service,
                 since: Annotated[int | None, Query(ge=0, description="replay events after this seq")] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    if since is None and last_event_id is not None and last_event_id.isdigit():
        since = int(last_event_id)
    sub = service.bus.subscribe()  # before catching up, so nothing falls between the two

    async def frames():
        try:
            last = since if since is not None else await run_in_threadpool(service.store_last_seq)
            while True:  # catch up from the store
                batch = await run_in_threadpool(service.public_events_after, last, CATCH_UP_BATCH)
                for item in batch:
                    last = item["seq"]
                    yield _frame(item)
                if len(batch) < CATCH_UP_BATCH:
                    break
            yield ": live\n\n"
            while not await request.is_disconnected():
                try:
                    item = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if item is LAGGED:
                    return  # the client reconnects with Last-Event-ID and catches up
                if item["seq"] > last:
                    last = item["seq"]
                    yield _frame(item)
        finally:
            service.bus.unsubscribe(sub)

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
