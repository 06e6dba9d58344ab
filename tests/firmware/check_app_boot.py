"""Boots the whole firmware of a role — config.json, App, its link task, the simulator's HAL —
against an in-memory peer that plays broker and bridge (or the serial bus master), and checks
the device goes online, shows what it is sent, and gets a press or vote acknowledged. Runs on
CPython and on MicroPython (no socket there: the peer is a stream in memory).

    python3 tests/firmware/check_app_boot.py firmware/config.example.counter.json [...]
    micropython ... (tests/firmware/test_app_boot.py; bench/firmware_memory.py measures RAM
                     after `await boot(path)`, the app left running as on a board)

`--esp32`: the board's own HAL (suivant_fw.hal_esp32, drivers included) on the stand-in
`machine` and `network` modules of simulators/board_stubs/, instead of the simulator's.

Prints `app boot <config>: ok <details>` per config, or `FAIL ...`; exits 1 on any failure.

This module imports nothing of the firmware, nor asyncio, at its top level (only in its
functions): the memory bench loads it first and counts only what the boot adds.
"""
import sys

NONCE = "0badf00d"
SHOW = ("0", "2", "A012")  # beep, blink seconds, line 1
HALL_SHOW = ("0", "2", "A012>3", "B007>1")


def _codec():
    from suivant_fw import message
    return message


class _Peer:
    """What the board's link reads and writes: read(n), write(data), drain(), close()."""

    def __init__(self, key, device):
        self.key = key
        self.device = device
        self.inbox = []  # chunks for the board to read
        self.up = []  # decoded messages from the board
        self.version = 0

    async def read(self, n):
        import asyncio
        while not self.inbox:
            self.idle()
            await asyncio.sleep(0.01)
        chunk = self.inbox.pop(0)
        if len(chunk) > n:
            self.inbox.insert(0, chunk[n:])
            chunk = chunk[:n]
        return chunk

    async def drain(self):
        pass

    def close(self):
        pass

    def idle(self):
        pass

    def show_fields(self, role):
        return HALL_SHOW if role == "hall" else SHOW

    def answer(self, msg):
        """The bridge's answers to a device message (encoded lines)."""
        Message, encode = _codec().Message, _codec().encode
        self.up.append(msg)
        out = []
        if msg.kind == "hello":
            self.version += 1
            out.append(("show", encode(Message("show", self.device, "-", self.version,
                                               self.show_fields(msg.fields[0])), self.key)))
        elif msg.kind in ("press", "vote"):
            out.append(("down", encode(Message("ack", self.device, msg.boot, msg.seq,
                                               ("ok", "A013")), self.key)))
        return out


class FakeBroker(_Peer):
    """A broker that accepts the board, and the bridge behind it, just enough for a boot."""

    def __init__(self, key, device, base):
        super().__init__(key, device)
        self.base = base
        self._buf = b""
        self._pid = 0

    def write(self, data):
        self._buf += data
        while len(self._buf) >= 2:
            length, shift, i = 0, 0, 1
            while self._buf[i] & 0x80:
                length |= (self._buf[i] & 0x7F) << shift
                shift += 7
                i += 1
            length |= self._buf[i] << shift
            end = i + 1 + length
            if len(self._buf) < end:
                return
            head, body = self._buf[0], self._buf[i + 1:end]
            self._buf = self._buf[end:]
            self._packet(head, body)

    def _packet(self, head, body):
        from suivant_fw.mqtt import puback_packet, publish_packet
        kind = head >> 4
        if kind == 1:  # CONNECT
            self.inbox.append(b"\x20\x02\x00\x00")
        elif kind == 8:  # SUBSCRIBE: grant QoS 1 to each filter
            n = 0
            at = 2
            while at < len(body):
                at += 2 + ((body[at] << 8) | body[at + 1]) + 1
                n += 1
            self.inbox.append(bytes((0x90, 2 + n)) + body[:2] + b"\x01" * n)
        elif kind == 12:  # PINGREQ
            self.inbox.append(b"\xd0\x00")
        elif kind == 3:  # PUBLISH
            tlen = (body[0] << 8) | body[1]
            topic = str(body[2:2 + tlen], "utf-8")
            at = 2 + tlen
            if (head >> 1) & 3:
                self.inbox.append(puback_packet((body[at] << 8) | body[at + 1]))
                at += 2
            if topic == self.base + "up":
                for sub, line in self.answer(_codec().decode(body[at:], self.key)):
                    self._pid = self._pid % 0xFFFF + 1
                    self.inbox.append(publish_packet(self.base + sub, line, 1, sub == "show",
                                                     self._pid))


class FakeBusMaster(_Peer):
    """The bridge at the other end of a serial line: polls, shows, acks."""

    def __init__(self, key, device, address):
        from suivant_fw.frame import FrameReader
        super().__init__(key, device)
        self.address = address
        self.frames = FrameReader()

    def idle(self):
        from suivant_fw.frame import encode_frame
        m = _codec()
        self.inbox.append(encode_frame(self.address, m.encode(m.Message("poll", self.device,
                                                                        "-", 0), self.key)))

    def write(self, data):
        from suivant_fw.frame import encode_frame
        for addr, line in self.frames.feed(data):
            for _, out in self.answer(_codec().decode(line, self.key)):
                self.inbox.append(encode_frame(self.address, out))


async def _until(condition, what, timeout_ms=5000):
    import asyncio
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise AssertionError("timed out: " + what)
        await asyncio.sleep(0.01)
        waited += 10


def _hal(peer, cfg, esp32):
    """The simulator's HAL, or the board's on stand-in machine/network modules; the link's
    network is the peer either way."""
    if esp32:
        from suivant_fw.hal_esp32 import Hal as Base
    else:
        from simulators.sim_hal import SimHal as Base

    class Hal(Base):  # type: ignore[valid-type,misc]
        async def net_up(self):
            pass

        async def open_connection(self, host, port, tls):
            return peer, peer

        def open_serial(self, serial):
            return peer, peer

        def boot_nonce(self):
            return NONCE

        def rand(self):
            return 0.5

    if not esp32:
        return Hal()
    hal = Hal(cfg)
    if hal._tm is not None:  # the webassembly port's sleep_us(10) takes 1 ms, not 10 us: the
        hal._tm._sleep = lambda us: None  # TM1637's bit timing would stall the loop 100 ms
    return hal


async def boot(path, esp32=False, quiet=True):
    """Boot the role of config `path` and run it through its first minutes; -> (app, peer).
    The app keeps running (its tasks stay scheduled) as on a board after boot."""
    import asyncio

    from suivant_fw import boot as fw_boot
    from suivant_fw.app import App
    from suivant_fw.device import ONLINE
    cfg, key = fw_boot.load_config(path)
    if cfg["link"] == "serial":
        peer = FakeBusMaster(key, cfg["device"], cfg["serial"]["address"])
    else:
        peer = FakeBroker(key, cfg["device"],
                          "suivant/" + cfg["site"] + "/d/" + cfg["device"] + "/")
    hal = _hal(peer, cfg, esp32)
    app = App(cfg, key, hal)
    if quiet:
        app.link.log = lambda text: None
    asyncio.create_task(app.run())
    dev = app.dev
    await _until(lambda: dev.link == ONLINE, "online")
    await _until(lambda: dev.shown == 1, "the first show")
    if esp32:
        pass  # no screen to read: test_board_drivers.py checks what the drivers send
    elif cfg["role"] == "hall":
        await _until(lambda: hal.lines[1:] == ("B007>1",), "the show's lines")
    elif cfg["role"] != "feedback":
        await _until(lambda: hal.digits == "A012", "the show's digits")
    if dev.button_names:
        await _press_first(hal, dev, esp32)
        await _until(lambda: not dev.pending.waiting and dev.pending.acked == 1, "the ack")
        assert peer.up[-1].kind in ("press", "vote"), peer.up
    assert peer.up[0].kind == "hello" and peer.up[0].boot == NONCE, peer.up
    return app, peer


async def _press_first(hal, dev, esp32):
    """Press and release the device's first button for 100 ms."""
    import asyncio
    if esp32:  # the stand-in Pin of dev.button_names[0] (Hal.attach keeps that order)
        pin = hal._buttons[0]
        pin(0)  # active low
        await asyncio.sleep(0.1)
        pin(1)
    else:
        hal.press(dev.button_names[0])
        await asyncio.sleep(0.1)
        hal.release(dev.button_names[0])


async def main(paths, esp32):
    failed = 0
    for path in paths:
        try:
            app, peer = await boot(path, esp32)
            print("app boot %s: ok (%s, %d messages up)" % (path, app.dev.role, len(peer.up)))
        except Exception as e:  # noqa: BLE001 - report each config
            failed += 1
            print("FAIL app boot %s: %s: %s" % (path, type(e).__name__, e))
    return failed


if __name__ == "__main__":
    import asyncio
    ARGV = [a for a in (getattr(sys, "argv", None) or [])[1:] if a != "--esp32"]
    ESP32 = "--esp32" in (getattr(sys, "argv", None) or [])

    async def _run():
        if await main(ARGV, ESP32) or not ARGV:
            sys.exit(1)
    asyncio.run(_run())
