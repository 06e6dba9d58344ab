"""A virtual board's serial port: a real pseudo-terminal. The board (its firmware's serial
link, through SimHal.serial) holds the master side; the bridge opens `port.path` (the slave,
/dev/pts/N) with pyserial as it would open /dev/ttyUSB0.

    port = PtyPort()
    hal = SimHal(serial=(port, port))       # read(n) / write(data) / drain(), as asyncio's
    serial.Serial(port.path, 115200)        # the bridge's side

The slave is put in raw mode at once (no echo, no line editing): otherwise the terminal would
echo what the board writes back to the board before pyserial opens it. The port keeps its own
slave descriptor open, so the board never reads EIO while the bridge's side is closed (a USB
cable unplugged is simulated by `unplug()`/`replug()` in the simulator, not by this).
"""
from __future__ import annotations

import asyncio
import os
import pty
import tty


class PtyPort:
    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)
        self._pending = b""  # written but not yet taken by the pty (it was full)

    async def read(self, n: int) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self.master, n)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_reader(self.master, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_reader(self.master)

    def write(self, data: bytes) -> None:
        self._pending += data
        self._flush()

    def _flush(self) -> None:
        while self._pending:
            try:
                n = os.write(self.master, self._pending)
            except BlockingIOError:
                return
            self._pending = self._pending[n:]

    async def drain(self) -> None:
        while self._pending:
            await asyncio.sleep(0.001)
            self._flush()

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
