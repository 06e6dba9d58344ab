"""The desk view: a web page that draws every virtual board of the site as it would look, live,
and lets you press their buttons.

    view = DeskView(farm, host="127.0.0.1", port=8090)   # farm: a running BoardFarm
    view.start()      # served from the boards' own asyncio loop: it reads them directly
    view.stop()

GET /               the page (one file, no external asset: it works offline)
GET /api/boards     every board's state: 7-segment bytes, hall matrix columns, LEDs, link...
GET /api/stream     the same, as Server-Sent Events, each time something changes
POST /api/boards/{id}/press   {"button": "next", "hold_ms": 120}: a finger on a button

Everything drawn comes from what the firmware itself put on its HAL (SimHal): the segment
bytes the TM1637 would get, the columns matrix.draw gives the MAX7219, the LED state.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from suivant_fw import matrix

from .boards import BoardFarm, VirtualBoard

PAGE = Path(__file__).with_name("desk_view.html")
TICK_S = 0.1  # the stream looks for changes this often
LINE_COLUMNS = 32  # a hall line: four 8x8 modules (hardware/hall/pins.json)
LONG_MS = 1600  # longer than the firmware's long press (1500 ms): Pause becomes « close »
BUTTONS = ("next", "recall", "absent", "finish", "transfer", "pause",
           "vote_1", "vote_2", "vote_3", "vote_4")


class Press(BaseModel):
    button: str = Field(pattern="^(" + "|".join(BUTTONS) + ")$")
    hold_ms: int = Field(120, ge=40, le=5000)


def said(line: str) -> str:
    """A hall line as a person says it: the bridge sends « A037>2 », the matrix draws an arrow
    (firmware matrix.py), a screen reader says « A037 → guichet 2 »."""
    label, sep, counter = line.partition(">")
    if sep and label and counter:
        return f"{label} → guichet {counter}"
    return "aucun appel" if line and set(line) == {"-"} else line


def board_state(board: VirtualBoard) -> dict[str, Any]:
    hal, dev = board.hal, board.dev
    lines = list(hal.lines)
    columns = []
    for text in lines:
        cols = bytearray(LINE_COLUMNS)
        matrix.draw(cols, text)
        columns.append(list(cols))
    return {
        "id": board.id, "role": dev.role, "counter": board.counter,
        "link": ("offline", "connecting", "online")[dev.link], "led": hal.led,
        "digits": list(hal.segment_bytes) if hal.segment_bytes is not None else None,
        "text": hal.digits, "lines": lines, "said": [said(x) for x in lines], "columns": columns,
        "buttons": list(hal.button_names), "held": sorted(hal.held), "beeps": hal.beeps,
        "thanks": hal.thanks, "pending": len(dev.pending.messages()),
    }


class DeskView:
    def __init__(self, farm: BoardFarm, host: str = "127.0.0.1", port: int = 8090):
        self.farm, self.host, self.port = farm, host, port
        self._server: Any = None
        self._task: Any = None

    def app(self) -> FastAPI:
        farm = self.farm
        app = FastAPI(title="Suivant desk view", docs_url=None, redoc_url=None)

        def states() -> list[dict[str, Any]]:
            return [board_state(b) for b in sorted(farm.boards.values(), key=_order)]

        @app.get("/", response_class=HTMLResponse)
        async def page() -> str:
            return PAGE.read_text(encoding="utf-8")

        @app.get("/api/boards")
        async def boards() -> dict[str, Any]:
            return {"boards": states()}

        @app.get("/api/stream")
        async def stream() -> StreamingResponse:
            async def events() -> Any:
                last = None
                while True:
                    now = json.dumps({"boards": states()}, separators=(",", ":"))
                    if now != last:
                        last = now
                        yield f"data: {now}\n\n"
                    await asyncio.sleep(TICK_S)
            return StreamingResponse(events(), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-store"})

        @app.post("/api/boards/{device_id}/press", status_code=202)
        async def press(device_id: str, body: Press) -> dict[str, Any]:
            board = farm.boards.get(device_id)
            if board is None:
                raise HTTPException(404, f"no board {device_id!r}")
            if body.button not in board.hal.button_names:
                raise HTTPException(422, f"{device_id} has no button {body.button!r}")

            async def finger() -> None:
                board.hal.press(body.button)
                await asyncio.sleep(body.hold_ms / 1000)
                board.hal.release(body.button)
            asyncio.get_running_loop().create_task(finger())
            return {"pressed": body.button, "hold_ms": body.hold_ms}
        return app

    def start(self) -> DeskView:
        import time

        import uvicorn
        config = uvicorn.Config(self.app(), host=self.host, port=self.port, log_level="warning",
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.run_coroutine_threadsafe(self._server.serve(), self.farm.loop)
        deadline = time.monotonic() + 10
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the bind error
            if time.monotonic() > deadline:
                raise RuntimeError("the desk view did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            try:
                self._task.result(5)
            except Exception:  # noqa: BLE001 - stopping anyway
                pass
            self._server = None


def _order(board: VirtualBoard) -> tuple[int, str]:
    rank = {"counter": 0, "display": 1, "hall": 2, "feedback": 3}[board.dev.role]
    return rank, board.id
