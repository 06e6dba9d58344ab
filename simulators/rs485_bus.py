"""An RS-485 bus of virtual boards: one line, several addressed boards, the bridge as master.

    bus = Rs485Bus(link=Path("/tmp/site/ttyRS485"))   # made in the boards' asyncio loop
    tap = bus.tap()                                    # one per board: SimHal(serial=(tap, tap))
    serial.Serial(bus.port.link)                       # the bridge's end: a real pty

A half-duplex bus carries every byte to every node: what the bridge writes reaches every
board (each keeps the frames with its address), what a board writes reaches the bridge and
the other boards, but not itself (its transceiver does not listen while it drives the line).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from .pty_port import PtyPort

TAP_QUEUE = 256  # chunks a board has not read yet; a stuck board loses the oldest


class BusTap:
    def __init__(self, bus: Rs485Bus):
        self.bus = bus
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue(TAP_QUEUE)

    def deliver(self, data: bytes) -> None:
        if self.inbox.full():
            self.inbox.get_nowait()
        self.inbox.put_nowait(data)

    async def read(self, n: int) -> bytes:
        return await self.inbox.get()

    def write(self, data: bytes) -> None:
        self.bus.port.write(data)
        for other in self.bus.taps:
            if other is not self:
                other.deliver(data)

    async def drain(self) -> None:
        await self.bus.port.drain()


class Rs485Bus:
    def __init__(self, link: Path | None = None):
        self.port = PtyPort(link)
        self.taps: list[BusTap] = []
        self._pump = asyncio.get_running_loop().create_task(self._run())

    def tap(self) -> BusTap:
        tap = BusTap(self)
        self.taps.append(tap)
        return tap

    async def _run(self) -> None:
        while True:
            data = await self.port.read(256)
            for tap in self.taps:
                if data:
                    tap.deliver(data)

    def close(self) -> None:
        self._pump.cancel()
        self.port.close()
