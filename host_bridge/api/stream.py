"""The live event stream (Server-Sent Events) that pages and later links subscribe to.

Each event carries its sequence number as the SSE id, so a client that reconnects with
Last-Event-ID (browsers' EventSource do it by themselves) gets what it missed from the store.

What a reader costs, and its bound:
- at most `Limits.max_streams` readers; one more is answered 503 with Retry-After;
- a commit reaches every reader as one shared batch (service/bus.py) whose SSE bytes are made
  once, by the first reader that wakes: the command path pays one enqueue per reader;
- the bus wakes readers after the command's answer has gone out; a woken reader writes
  everything queued for it in one send;
- one timer per app sends every reader its keep-alive comment, not one timer per reader.
"""
from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from ..service.bus import LAGGED, Batch, Subscription
from .deps import Service
from .errors import ErrorBody, responses

router = APIRouter(prefix="/api", tags=["events"])
KEEPALIVE_SECONDS = 15.0
CATCH_UP_BATCH = 500
STREAM_RETRY_AFTER = 30  # seconds: a screen refused at the cap tries again later, not at once
KEEPALIVE = object()  # put in every open stream's queue by the keep-alive timer
_LIVE, _COMMENT = b": live\n\n", b": keepalive\n\n"


class StreamSlots:
    """The app's open streams (touched only in the event loop's thread): their count for the
    cap, and their queues for the shared keep-alive timer."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def open(self) -> int:
        return len(self.queues)

    def add(self, queue: asyncio.Queue) -> None:
        self.queues.add(queue)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(KEEPALIVE_SECONDS, self._tick)

    def discard(self, queue: asyncio.Queue) -> None:
        self.queues.discard(queue)
        if not self.queues and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        for queue in self.queues:
            if queue.qsize() < queue.maxsize - 1:  # a full one is about to be dropped anyway
                queue.put_nowait(KEEPALIVE)
        if self.queues:
            self._timer = asyncio.get_running_loop().call_later(KEEPALIVE_SECONDS, self._tick)


def _frame(item: dict) -> bytes:
    return (f"id: {item['seq']}\nevent: {item['type']}\n"
            f"data: {json.dumps(item, ensure_ascii=False)}\n\n").encode()


def _encode(items: list[dict[str, Any]]) -> tuple[int, bytes, list[tuple[int, bytes]]]:
    """A batch as SSE, once for all readers: (its first seq, all its frames, each frame)."""
    frames = [(item["seq"], _frame(item)) for item in items]
    return frames[0][0], b"".join(f for _, f in frames), frames


def _after(batch: Batch, last: int) -> tuple[bytes, int]:
    """The batch's frames after seq `last` (the shared bytes when all are), and the new last."""
    first, whole, frames = batch.encoded(_encode)
    if first > last:
        return whole, frames[-1][0]
    return b"".join(f for seq, f in frames if seq > last), max(last, frames[-1][0])


class EventStream(Response):
    """The stream as a plain ASGI response: it sends its frames itself (no generator, no
    StreamingResponse task group per event) and gives its slot and subscription back however
    it ends, even when the client is gone before the first byte."""

    media_type = "text/event-stream"

    def __init__(self, service: Any, sub: Subscription, slots: StreamSlots, since: int | None):
        self.status_code, self.background = 200, None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._service, self._sub, self._slots, self._since = service, sub, slots, since
        slots.add(sub.queue)

    def _release(self) -> None:
        self._slots.discard(self._sub.queue)
        self._service.bus.unsubscribe(self._sub)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.current_task()
        assert streaming is not None  # uvicorn runs each request in a task

        async def watch() -> None:  # the client going away ends the stream at once
            while (await receive())["type"] != "http.disconnect":
                pass
            streaming.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._frames(send)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if watcher.done() and not watcher.cancelled() and streaming.uncancel() == 0:
                return  # the client left (watch() cancelled us): nothing more to send
            raise  # a shutdown's cancel goes on up
        finally:
            watcher.cancel()
            self._release()

    async def _frames(self, send: Send) -> None:
        service, queue = self._service, self._sub.queue

        async def write(data: bytes) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": True})

        last = self._since if self._since is not None else await run_in_threadpool(service.store_last_seq)
        while True:  # catch up from the store
            batch = await run_in_threadpool(service.public_events_after, last, CATCH_UP_BATCH)
            if batch:
                last = batch[-1]["seq"]
                await write(b"".join(_frame(item) for item in batch))
            if len(batch) < CATCH_UP_BATCH:
                break
        await write(_LIVE)
        while True:
            got = await queue.get()
            out: list[bytes] = []
            while True:  # whatever else is queued goes in the same send
                if got is LAGGED:
                    if out:
                        await write(b"".join(out))
                    return  # the client reconnects with Last-Event-ID and catches up
                if got is KEEPALIVE:
                    out.append(_COMMENT)
                else:
                    data, last = _after(got, last)
                    if data:
                        out.append(data)
                if queue.empty():
                    break
                got = queue.get_nowait()
            if out:
                await write(out[0] if len(out) == 1 else b"".join(out))


@router.get("/events", summary="Live queue events (text/event-stream)",
            response_class=StreamingResponse,
            responses={**responses(422), 503: {
                "model": ErrorBody,
                "description": "Too many live streams are open: try again after Retry-After"}})
async def events(request: Request, service: Service,
                 since: Annotated[int | None, Query(ge=0, description="replay events after this seq")] = None,
                 last_event_id: Annotated[str | None, Header()] = None):
    state = request.app.state
    slots: StreamSlots = state.stream_slots
    if slots.open >= state.limits.max_streams:
        return JSONResponse(
            {"error": "too_many_streams",
             "message": f"{slots.open} live streams are open, the most this bridge serves: "
                        f"try again in {STREAM_RETRY_AFTER} s"},
            503, headers={"Retry-After": str(STREAM_RETRY_AFTER)})
    if since is None and last_event_id is not None and last_event_id.isdigit():
        since = int(last_event_id)
    # subscribed before catching up, so nothing falls between the two
    return EventStream(service, service.bus.subscribe(), slots, since)
