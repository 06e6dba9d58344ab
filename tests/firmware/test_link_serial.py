"""The firmware's serial link (suivant_fw.link_serial) as the simulator runs it: the real App on
the simulator's HAL, its UART a real pty; the bridge's side opens the pty with pyserial.
"""
from __future__ import annotations

import asyncio
import queue
import random
import threading
import time
from collections.abc import Awaitable, Callable

import serial
from simulators.pty_port import PtyPort
from simulators.sim_hal import SimHal
from suivant_fw import config
from suivant_fw.app import App
from suivant_fw.frame import FrameReader, encode_frame
from suivant_fw.message import Message, decode, encode
from test_link_mqtt import KEY, KEY_HEX, in_thread, until

SITE = "mairie-test"


def serial_config(role: str = "counter", device: str = "counter-04", address: int = 0) -> dict:
    raw = {"schema": 1, "device": device, "role": role, "key": KEY_HEX, "site": SITE,
           "link": "serial", "timing": {"status_s": 10}}
    raw["serial"] = {"uart": 2, "rs485": True, "address": address} if address else {}
    if role in ("counter", "display"):
        raw["counter"] = 4
    return config.validate(raw)


class SerialBridge:
    """The bridge's end of the pty: frames in (decoded into `up`), frames out."""

    def __init__(self, path: str) -> None:
        self.port = serial.Serial(path, 115200, timeout=0.05)
        self.reader = FrameReader()
        self.up: queue.Queue[tuple[int, Message]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(256)
            for addr, line in self.reader.feed(data):
                self.up.put((addr, decode(line, KEY)))

    def next_up(self, kind: str | None = None, timeout: float = 5.0) -> Message:
        return self.next_frame(kind, timeout)[1]

    def next_frame(self, kind: str | None = None, timeout: float = 5.0) -> tuple[int, Message]:
        """The next (address, message) of that kind within `timeout` s in all."""
        deadline = time.monotonic() + timeout
        while True:
            addr, msg = self.up.get(timeout=max(0.0, deadline - time.monotonic()))
            if kind is None or msg.kind == kind:
                return addr, msg

    def send(self, msg: Message, addr: int = 0) -> None:
        self.port.write(encode_frame(addr, encode(msg, KEY)))

    def poll(self, device: str, addr: int = 0) -> None:
        self.send(Message("poll", device, "-", 0), addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.port.close()


def run_device(cfg: dict, scenario: Callable[[App, SimHal, SerialBridge], Awaitable[None]],
               silence_ms: int | None = None) -> App:
    async def main() -> App:
        port = PtyPort()
        bridge = SerialBridge(port.path)
        hal = SimHal(serial=(port, port))
        app = App(cfg, KEY, hal)
        app.link.log = lambda text: None
        if silence_ms:
            app.link.silence_ms = silence_ms
        task = asyncio.create_task(app.run())
        try:
            await scenario(app, hal, bridge)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            bridge.close()
            port.close()
        return app
    return asyncio.run(main())


def test_point_to_point_announces_itself_until_the_bridge_answers() -> None:
    async def scenario(app: App, hal: SimHal, bridge: SerialBridge) -> None:
        first = await in_thread(bridge.next_up, "hello")
        second = await in_thread(bridge.next_up, "hello")  # ~1 s later: nobody answered
        assert second.seq == first.seq + 1 and second.boot == first.boot
        assert hal.digits == "CONN"
        bridge.poll("counter-04")
        await until(lambda: hal.led == "online", what="online on the first poll")
        hello = await in_thread(bridge.next_up, "hello")  # link_up's hello
        assert hello.seq > second.seq
        bridge.send(Message("show", "counter-04", "-", 1, ("0", "0", "C017")))
        await until(lambda: hal.digits == "C017", what="show")
        hal.press("recall")
        await asyncio.sleep(0.1)
        hal.release("recall")
        press = await in_thread(bridge.next_up, "press")
        assert press.fields == ("recall",)
        bridge.send(Message("ack", "counter-04", press.boot, press.seq, ("ok", "C017")))
        await until(lambda: not app.dev.pending.waiting, what="ack taken")

    run_device(serial_config(), scenario)


def test_silence_from_the_bridge_means_offline() -> None:
    async def scenario(app: App, hal: SimHal, bridge: SerialBridge) -> None:
        bridge.poll("counter-04")
        await until(lambda: hal.led == "online")
        await until(lambda: hal.digits == "OFFL", timeout=3, what="offline after silence")
        await in_thread(bridge.next_up, "hello")  # and it announces itself again

    run_device(serial_config(), scenario, silence_ms=500)


def test_noise_corrupt_and_foreign_frames_are_dropped_and_good_ones_still_read() -> None:
    rng = random.Random(7)

    async def scenario(app: App, hal: SimHal, bridge: SerialBridge) -> None:
        bridge.poll("counter-04")
        await until(lambda: hal.led == "online")
        good = encode_frame(0, encode(Message("show", "counter-04", "-", 5, ("0", "0", "A001")),
                                      KEY))
        flipped = bytearray(good)
        flipped[20] ^= 0x01  # one bit: the CRC catches it
        forged = encode_frame(0, encode(Message("show", "counter-04", "-", 6, ("0", "0", "X666")),
                                        b"\x02" * 32))  # good CRC, wrong key
        other = encode_frame(0, encode(Message("show", "counter-09", "-", 7, ("0", "0", "B002")),
                                       KEY))  # another device's
        noise = bytes(rng.randrange(256) for _ in range(300)).replace(b"\x03", b"")
        bridge.port.write(noise + bytes(flipped) + good[:30] + forged + other + good)
        await until(lambda: hal.digits == "A001", what="the good frame")
        assert app.link.frames.crc_errors >= 1
        assert app.link.rx_errors == 1  # the forged MAC
        assert app.dev.shown == 5 and app.dev.ignored >= 1

    run_device(serial_config(), scenario)


def test_a_bus_device_speaks_only_when_polled_one_message_a_poll() -> None:
    async def scenario(app: App, hal: SimHal, bridge: SerialBridge) -> None:
        await asyncio.sleep(1.5)
        assert bridge.up.empty()  # no announcing on a bus
        bridge.poll("counter-07", addr=9)  # another address: not for it
        await asyncio.sleep(0.2)
        assert hal.led == "offline"
        bridge.poll("counter-07", addr=7)
        addr, hello = await in_thread(bridge.next_frame, "hello")
        assert addr == 7 and hello.device == "counter-07"
        hal.press("next")
        await asyncio.sleep(0.1)
        hal.release("next")
        await asyncio.sleep(0.2)
        assert bridge.up.empty()  # the press waits for a poll
        bridge.poll("counter-07", addr=7)
        addr, press = await in_thread(bridge.next_frame)
        assert addr == 7 and press.kind == "press" and press.fields == ("next",)

    run_device(serial_config(device="counter-07", address=7), scenario)
