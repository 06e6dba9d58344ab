"""The MQTT link task (docs/protocol.md §7): the device's messages over a broker, for ever.

    link = MqttLink(dev, key, cfg, hal)       # cfg: the validated config.json
    asyncio.create_task(link.run())          # never returns; retries with backoff

One connection at a time: Wi-Fi up (hal.net_up), TCP (or TLS) to the broker, CONNECT with a
last will (`status` = offline, retained), SUBSCRIBE to `down` and `show`, publish `status` =
online (retained), then `dev.link_up`: hello and the pending presses go out. While it lasts,
a reader task feeds what the broker sends to the MQTT session (mqtt.py) and the device, and
this task writes the device's outbox to `up` (QoS 1) and pings. Any failure — Wi-Fi (lost
while connected too), DNS, TCP, TLS, a refused CONNACK, a silent broker (no PINGRESP), an EOF
— ends the connection: `dev.link_down`, a jittered backoff (1 s doubling to 30 s; reset once
subscribed), and again. The same code runs on the board and in the simulator: only `hal`
differs (open_connection is asyncio's on both). Two HAL methods are optional (the board's has
them, hal_esp32.py): `net_ok()`, False once Wi-Fi is lost (the connection is dropped at once),
and `link_result(error)`, told None when a connection comes up and each failure otherwise (the
board counts them for DNS and shows a code for a TLS setup that cannot work: C8-C10).

Lines that fail the codec (bad MAC, malformed) are counted in `rx_errors`, never applied.
"""
import asyncio

from suivant_fw import ProtocolError
from suivant_fw.backoff import Backoff
from suivant_fw.message import decode, encode
from suivant_fw.mqtt import CONNACK, MAX_PACKET, MESSAGE, SUBACK, MqttError, Session

try:
    from micropython import const
except ImportError:  # CPython: the simulator runs this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

LOOP_MS = const(20)  # how often the outbox is written and the keepalive checked
CONNECT_S = const(15)  # TCP (and TLS) connection timeout
WRITE_S = const(10)  # a write the broker does not take within this ends the connection
CLOSE_S = const(2)
KEEPALIVE_S = const(30)
_READ = const(256)


def topic_base(site, device):
    """`suivant/<site>/d/<device>/`: up, down, show and status are under it."""
    return "suivant/" + site + "/d/" + device + "/"


class MqttLink:
    def __init__(self, dev, key, cfg, hal, keepalive_s=KEEPALIVE_S, log=print):
        broker = cfg["broker"]
        self.dev = dev
        self.key = key
        self.hal = hal
        self.log = log
        self.host = broker["host"]
        self.port = broker["port"]
        self.tls = broker["tls"]
        self.user = broker["user"]
        self.password = broker["password"]
        self.keepalive_s = keepalive_s
        self.base = topic_base(cfg["site"], cfg["device"])
        self.backoff = Backoff(1000, 30000, rand=hal.rand)
        self.connections = 0  # sessions that reached `online`
        self.failures = 0
        self.rx_errors = 0  # lines refused by the codec (bad MAC, malformed)
        self.last_error = None
        self._dead = None  # set by the reader task: why the connection ended
        self._suback = 0
        self.beat = hal.now()  # the link task's last sign of life (App feeds the watchdog on it)
        self._packet = bytearray(MAX_PACKET)  # every connection's session reads into this one
        self.session = None  # the current connection's
        self._net_ok = getattr(hal, "net_ok", None)  # optional HAL methods (module docstring)
        self._result = getattr(hal, "link_result", None)

    async def run(self):
        """For ever: any failure — a refused TLS setting, a bug included — ends in backoff and
        a new attempt, never in a dead link task behind a board that looks alive."""
        dev = self.dev
        while True:
            self.beat = self.hal.now()
            dev.connecting(self.beat)
            try:
                await self._connection()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - every failure ends in a retry
                self.failures += 1
                self.last_error = e
                self.log("mqtt: " + (e.code if isinstance(e, MqttError) else repr(e)))
                if self._result is not None:
                    self._result(e)
            dev.link_down(self.hal.now())
            self.beat = self.hal.now()
            await asyncio.sleep(self.backoff.next_delay() / 1000)

    async def _connection(self):
        hal = self.hal
        await hal.net_up()
        reader, writer = await asyncio.wait_for(
            hal.open_connection(self.host, self.port, self.tls), CONNECT_S)
        self._dead = None
        self._suback = 0
        session = self.session = Session(
            self.dev.device, self.keepalive_s, self.user, self.password.encode("utf-8"),
            (self.base + "status", b"offline"), self._packet)
        reading = asyncio.create_task(self._read(reader, session))
        try:
            writer.write(session.connect(hal.now()))
            await asyncio.wait_for(writer.drain(), WRITE_S)
            await self._serve(session, writer)
        finally:
            reading.cancel()
            await _close(writer)

    async def _serve(self, session, writer):
        dev, hal, base = self.dev, self.hal, self.base
        subscribed = 0
        online = False
        net_ok = self._net_ok
        while True:
            if self._dead is not None:
                raise self._dead
            if net_ok is not None and not net_ok():
                raise OSError("wifi: lost")
            now = hal.now()
            out = session.poll(now)
            if session.connected and not subscribed:
                subscribed, packet = session.subscribe(now, ((base + "down", 1),
                                                             (base + "show", 1)))
                out += packet
            if not online and subscribed and self._suback == subscribed:
                out += session.publish(now, base + "status", b"online", 1, True)[1]
                online = True
                self.connections += 1
                self.backoff.reset()
                if self._result is not None:
                    self._result(None)
                dev.link_up(now)
            if online:
                for msg in dev.take_outbox():
                    out += session.publish(now, base + "up", encode(msg, self.key), 1)[1]
            out += session.take_output()
            if out:
                writer.write(out)
                await asyncio.wait_for(writer.drain(), WRITE_S)  # a stuck socket: reconnect
            self.beat = now
            await asyncio.sleep(LOOP_MS / 1000)

    async def _read(self, reader, session):
        try:
            while True:
                data = await reader.read(_READ)
                if not data:
                    raise MqttError("closed")
                for ev in session.feed(data, self.hal.now()):
                    if ev[0] == MESSAGE:
                        self._message(ev[1], ev[2])
                    elif ev[0] == SUBACK:
                        if b"\x80" in ev[2]:
                            raise MqttError("not_authorised")
                        self._suback = ev[1]
                    elif ev[0] == CONNACK:
                        pass  # session.connected: _serve subscribes
        except Exception as e:  # noqa: BLE001 - _serve re-raises it in the link task
            self._dead = e

    def _message(self, topic, payload):
        if topic != self.base + "down" and topic != self.base + "show":
            self.rx_errors += 1
            return
        try:
            msg = decode(payload, self.key)
        except ProtocolError as e:
            self.rx_errors += 1
            self.log("mqtt: refused " + e.code)
            return
        self.dev.receive(msg, self.hal.now())


async def _close(writer):
    """Close the socket for real: on MicroPython writer.close() alone does nothing, and each
    failed attempt kept a descriptor, a broker connection and (TLS) its memory."""
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), CLOSE_S)
    except Exception:  # noqa: BLE001 - closing a broken socket may fail: it is gone either way
        pass
