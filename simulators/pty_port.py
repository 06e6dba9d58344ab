"""A virtual board's serial port: a real pseudo-terminal. The board (its firmware's serial
link, through SimHal.serial) holds the master side; the bridge opens `port.path` (the slave,
/dev/pts/N) with pyserial as it would open /dev/ttyUSB0.

    port = PtyPort(link=Path("/tmp/site/ttyUSB-term-4"))   # optional stable name, like udev's
    hal = SimHal(serial=(port, port))       # read(n) / write(data) / drain(), as asyncio's
    serial.Serial(port.link or port.path)   # the bridge's side
    port.unplug(); port.replug()            # the cable pulled out and put back
    port.noise = lambda data: data          # a fault: change the bytes on the wire, both ways

The slave is put in raw mode at once (no echo, no line editing): otherwise the terminal would
echo what the board writes back to the board before pyserial opens it. The port keeps its own
slave descriptor open, so the board never reads EIO while the bridge's side is closed.
Unplugged, the board reads nothing and what it writes is lost; the pty is gone, so the
bridge's port fails, and `link` points nowhere until replug() makes a new pty and points it
there — the way a USB adapter comes back under the same /dev/serial/by-id name.
"""
from __future__ import annotations

import asyncio
import os
import pty
import tty
from collections.abc import Callable
from pathlib import Path


class PtyPort:
    def __init__(self, link: Path | None = None) -> None:
        self.link = link
        self.noise: Callable[[bytes], bytes] | None = None
        self.plugged = False
        self.replug()

    def replug(self) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)
        self._pending = b""  # written but not yet taken by the pty (it was full)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.path)
            tmp.replace(self.link)
        self.plugged = True

    def unplug(self) -> None:
        self.plugged = False
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        self.close()

    async def read(self, n: int) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            if not self.plugged:
                await asyncio.sleep(0.05)
                return b""
            try:
                data = os.read(self.master, n)
                return self.noise(data) if self.noise else data
            except BlockingIOError:
                ready = loop.create_future()
                fd = self.master
                loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
                try:
                    await asyncio.wait_for(ready, 0.2)  # wakes up to notice an unplug
                except asyncio.TimeoutError:
                    pass
                finally:
                    loop.remove_reader(fd)
            except OSError:  # the descriptor went with an unplug
                await asyncio.sleep(0.05)
                return b""

    def write(self, data: bytes) -> None:
        if not self.plugged:
            return  # nobody on the other end of the cable
        self._pending += self.noise(data) if self.noise else data
        self._flush()

    def _flush(self) -> None:
        while self._pending and self.plugged:
            try:
                n = os.write(self.master, self._pending)
            except BlockingIOError:
                return
            except OSError:
                self._pending = b""
                return
            self._pending = self._pending[n:]

    async def drain(self) -> None:
        while self._pending and self.plugged:
            await asyncio.sleep(0.001)
            self._flush()

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
