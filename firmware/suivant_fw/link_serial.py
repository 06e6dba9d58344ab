"""The serial link task (docs/protocol.md §6): the device's messages as frames on a UART.

    link = SerialLink(dev, key, cfg, hal)     # cfg: the validated config.json (link "serial")
    asyncio.create_task(link.run())

The bridge sends every serial device a frame at least every POLL_MAX_MS (a `poll` when it has
nothing else), so a device knows the link is alive from what it hears: it goes online at the
first valid frame for it (a good CRC, its address, its device id, a good MAC) and offline when
it hears none for SILENCE_MS.

- Point to point (USB, address 0): while not online the device announces itself with a hello
  (1 s, doubling to 8 s); online, it writes its outbox as soon as it has one.
- RS-485 bus (address 1-254): the bridge is the bus master and a device never speaks unasked:
  its messages wait in a bounded queue (OUTBOX, oldest dropped and counted first: presses
  stay pending in the device and are resent anyway) and each `poll` for it sends one.

Frames for another address are ignored (they are other devices' traffic on the bus); frames
with a bad CRC or a line the codec refuses are counted (`reader` counters, `rx_errors`).
"""
import asyncio

from suivant_fw import ProtocolError
from suivant_fw.backoff import Backoff
from suivant_fw.device import ONLINE, OUTBOX
from suivant_fw.frame import FrameReader, encode_frame
from suivant_fw.message import decode, encode

try:
    from micropython import const
except ImportError:  # CPython: the simulator runs this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

LOOP_MS = const(10)
POLL_MAX_MS = const(2000)  # the bridge's promise (protocol §6)
SILENCE_MS = const(6000)  # three missed polls: offline
_READ = const(64)


class SerialLink:
    def __init__(self, dev, key, cfg, hal, log=print):
        serial = cfg["serial"]
        self.dev = dev
        self.key = key
        self.hal = hal
        self.log = log
        self.serial = serial
        self.address = serial["address"]
        self.bus = serial["rs485"]
        self.frames = FrameReader()
        self.rx_errors = 0  # valid frames whose line the codec refused
        self.dropped = 0  # bus only: queued messages dropped for newer ones
        self._queue = []  # type: list  # bus only: lines waiting for a poll, oldest first
        self._polled = 0  # bus only: polls not answered yet
        self._heard = 0  # when the last valid frame for us came
        self.silence_ms = SILENCE_MS
        self.beat = hal.now()  # the link task's last sign of life (App feeds the watchdog on it)

    async def run(self):
        hal, dev = self.hal, self.dev
        reader, writer = hal.open_serial(self.serial)
        reading = asyncio.create_task(self._read(reader))
        try:
            await self._serve(writer, reading)
        finally:
            reading.cancel()

    async def _serve(self, writer, reading):
        hal, dev = self.hal, self.dev
        hello = Backoff(1000, 8000, rand=hal.rand)
        next_hello = hal.now()
        dev.connecting(next_hello)
        while True:
            now = hal.now()
            if dev.link == ONLINE and now - self._heard > self.silence_ms:
                dev.link_down(now)  # oFFL until the bridge is heard again
                self._queue = []
                hello.reset()
                next_hello = now
            if dev.link != ONLINE and not self.bus and now >= next_hello:
                dev.announce(now)
                next_hello = now + hello.next_delay()
            await self._send(writer, dev.take_outbox())
            if reading.done():  # the reader must never end: a board that hears nothing is dead
                raise OSError("serial: reader ended")
            self.beat = now
            await asyncio.sleep(LOOP_MS / 1000)

    async def _send(self, writer, messages):
        out = b""
        for msg in messages:
            line = encode(msg, self.key)
            if not self.bus:
                out += encode_frame(self.address, line)
            else:
                if len(self._queue) >= OUTBOX:
                    self._queue.pop(0)
                    self.dropped += 1
                self._queue.append(line)
        while self.bus and self._polled:
            self._polled -= 1
            if self._queue:
                out += encode_frame(self.address, self._queue.pop(0))
        if out:
            writer.write(out)
            await writer.drain()

    async def _read(self, reader):
        while True:
            try:
                data = await reader.read(_READ)
                if not data:  # the port hung up (a simulator's pty): wait for it to come back
                    await asyncio.sleep(LOOP_MS / 1000)
                for addr, line in self.frames.feed(data):
                    if addr == self.address:
                        self._frame(line)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - a read error, a bug: count it, read on
                self.rx_errors += 1
                self.log("serial: " + repr(e))
                await asyncio.sleep(LOOP_MS / 1000)

    def _frame(self, line):
        dev = self.dev
        try:
            msg = decode(line, self.key)
        except ProtocolError as e:
            self.rx_errors += 1
            self.log("serial: refused " + e.code)
            return
        if msg.device != dev.device:
            dev.receive(msg, self.hal.now())  # counted there as ignored
            return
        now = self.hal.now()
        self._heard = now
        if dev.link != ONLINE:
            dev.link_up(now)
        if msg.kind == "poll":
            self._polled = 1  # one answer per poll; an unanswered older poll has expired
        else:
            dev.receive(msg, now)
