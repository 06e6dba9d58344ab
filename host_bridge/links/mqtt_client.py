"""The bridge's MQTT 3.1.1 client: one thread, one asyncio loop, whole bursts per read and write.

    client = MqttClient(settings, client_id, will=(topic, b"offline"),
                        subscriptions=[(topic_filter, 1)], on_connect=..., on_messages=...)
    client.start()                                  # connects, reconnects by itself
    client.publish(topic, payload, retain=True)     # from any thread; QoS 0
    client.stop(last=(topic, b"offline"))           # publishes `last`, then DISCONNECT

Why not paho (architecture.md, "The bridge's MQTT client"): paho reads a packet with three
recv calls, handles one packet per wake-up of its thread and wakes that thread once per
publish from another thread; in bench.mqtt_clients it cost ~0.16 ms of CPU per press (one
press in, an ack and two shows out), more than the whole budget. This client reads whatever
the socket holds and parses it in one pass (one callback per read, with every message of
it), and what other threads publish meanwhile leaves in one write: ~0.02 ms per press (11 µs
a message in, 2 µs one out). The packets are the firmware's own builders (suivant_fw.mqtt),
tested against Mosquitto on the boards' side.

What the bridge needs and gets:
- a persistent session (clean session false, fixed client id): the broker keeps the devices'
  QoS 1 messages while the bridge is away; subscriptions at QoS 1; every QoS 1 PUBLISH that
  arrives is acknowledged when parsed (as paho did);
- everything it publishes at QoS 0 (acks, shows, its own status: the protocol recovers what a
  broken connection loses, protocol.md §7.1), so there is nothing in flight to track. While
  disconnected a publish is dropped and counted; on every connect the bridge sends every
  show again;
- a last will, user name and password, TLS with the site's CA (asyncio's ssl);
- keepalive: a PINGREQ every half keepalive; a broker silent for 1.5 keepalives is dropped
  and reconnected (1 s doubling to 30 s, with jitter);
- bounds: a packet longer than MAX_PACKET is acknowledged if it is QoS 1 (or a persistent
  session would get it again at every connection) and skipped as it arrives, never kept (the
  broker's own limit is 1024 bytes in the generated config); a malformed packet ends the
  connection; unsent output above MAX_BACKLOG bytes (a broker that stopped reading) is
  dropped and counted rather than kept.
"""
from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
import threading
from collections.abc import Callable

from suivant_fw.mqtt import (DISCONNECT_PACKET, PINGREQ_PACKET, connect_packet, puback_packet,
                             publish_packet, subscribe_packet)

from ..site_config import MqttSettings

log = logging.getLogger(__name__)
_LINK = {"event": "link_error"}  # the line's field: journalctl | grep event=link_error
RECONNECT_MIN_S = 1.0
RECONNECT_MAX_S = 30.0
KEEPALIVE_S = 30
MAX_PACKET = 256 * 1024  # far above any line; a broker sending more is broken
MAX_BACKLOG = 8 * 1024 * 1024  # unsent bytes kept for a slow broker (~80,000 shows)
_REFUSALS = ("", "protocol version", "client id refused", "server unavailable",
             "bad user name or password", "not authorised")

Messages = list[tuple[str, bytes]]


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop  # uvicorn[standard] brings it: a faster loop, where it exists
        return uvloop.new_event_loop
    except ImportError:
        return asyncio.new_event_loop


class MqttClient:
    def __init__(self, settings: MqttSettings, client_id: str, *,
                 will: tuple[str, bytes], subscriptions: list[tuple[str, int]],
                 on_connect: Callable[[], None], on_messages: Callable[[Messages], None],
                 keepalive_s: int = KEEPALIVE_S):
        self.settings = settings
        self.client_id = client_id
        self.will = will
        self.subscriptions = subscriptions
        self.on_connect = on_connect
        self.on_messages = on_messages
        self.keepalive_s = keepalive_s
        self.connected = threading.Event()
        self.dropped = 0  # publishes lost: not connected, or a broker that stopped reading
        self.oversize = 0  # packets over MAX_PACKET received: acknowledged, skipped
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._last: tuple[str, bytes] | None = None
        self._protocol: _Connection | None = None
        self._out: list[bytes] = []
        self._out_lock = threading.Lock()
        self._killed = False

    # -- from any thread ---------------------------------------------------------------------
    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="mqtt",
                                        daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self, last: tuple[str, bytes] | None = None, timeout: float = 5.0) -> None:
        """Publish `last` (retained) if connected, say DISCONNECT, and end the thread."""
        if self._loop is None or self._thread is None:
            return
        self._last = last
        try:
            self._loop.call_soon_threadsafe(self._stopping.set)  # type: ignore[union-attr]
        except RuntimeError:  # its loop already ended
            pass
        self._thread.join(timeout)
        self._thread = None

    def kill(self) -> None:
        """End the connection without DISCONNECT (the broker publishes the will): a crash."""
        self._killed = True
        self.stop()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        packet = publish_packet(topic, payload, 0, retain)
        with self._out_lock:
            if self._protocol is None:
                self.dropped += 1
                return
            self._out.append(packet)
            first = len(self._out) == 1
        if first:  # one wake-up of the loop for everything published until it runs
            loop = self._loop
            if loop is not None:
                try:
                    loop.call_soon_threadsafe(self._flush)
                except RuntimeError:  # the loop is closed: stopping
                    pass

    # -- in the client's thread --------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            self._loop = runner.get_loop()
            self._stopping = asyncio.Event()
            ready.set()
            runner.run(self._main())

    def _flush(self) -> None:
        with self._out_lock:
            out, self._out = self._out, []
            conn = self._protocol
        if conn is None or not out:
            return
        transport = conn.transport
        if transport.get_write_buffer_size() > MAX_BACKLOG:
            self.dropped += len(out)
            return
        transport.write(b"".join(out))

    async def _main(self) -> None:
        delay = RECONNECT_MIN_S
        while not self._stopping.is_set():
            try:
                conn = await self._connect()
            except (OSError, asyncio.TimeoutError, ConnectionError, ssl.SSLError) as e:
                log.warning("MQTT broker %s:%s: %s; again in %.0f s", self.settings.host,
                            self.settings.port, e or type(e).__name__, delay, extra=_LINK)
            else:
                delay = RECONNECT_MIN_S
                await self._serve(conn)
                if self._stopping.is_set():
                    return
            try:  # ±25 % so that bridges and boards do not come back in step
                await asyncio.wait_for(self._stopping.wait(), delay * random.uniform(0.75, 1.25))
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _connect(self) -> _Connection:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file) if s.tls else None
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(loop.create_connection(
            lambda: _Connection(self), s.host, s.port, ssl=context), 15)
        conn.transport.write(connect_packet(self.client_id, self.keepalive_s, s.username,
                                            s.password, self.will, clean=False))
        try:
            await asyncio.wait_for(conn.connack, 15)
        except BaseException:
            conn.transport.abort()
            raise
        return conn

    async def _serve(self, conn: _Connection) -> None:
        conn.transport.write(subscribe_packet(1, self.subscriptions))
        with self._out_lock:
            self._protocol = conn
        self.connected.set()
        log.info("MQTT connected to %s:%s", self.settings.host, self.settings.port)
        try:
            self.on_connect()
        except Exception:
            log.exception("MQTT: what follows a connection failed")
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            while True:
                done, _ = await asyncio.wait([conn.lost, stopping],
                                             timeout=self.keepalive_s / 2,
                                             return_when=asyncio.FIRST_COMPLETED)
                if conn.lost in done:
                    log.warning("MQTT connection lost (%s); reconnecting", conn.lost.result(),
                                extra=_LINK)
                    return
                if stopping in done:
                    self._goodbye(conn)
                    return
                loop_time = asyncio.get_running_loop().time()
                if loop_time - conn.heard_at > 1.5 * self.keepalive_s:
                    log.warning("MQTT broker silent for %.0f s; reconnecting",
                                loop_time - conn.heard_at, extra=_LINK)
                    conn.transport.abort()
                    return
                conn.transport.write(PINGREQ_PACKET)
        finally:
            stopping.cancel()
            with self._out_lock:
                self._protocol = None
                self.dropped += len(self._out)
                self._out = []
            self.connected.clear()

    def _goodbye(self, conn: _Connection) -> None:
        self._flush()
        if self._killed:
            conn.transport.abort()
            return
        if self._last is not None:
            conn.transport.write(publish_packet(self._last[0], self._last[1], 0, True))
        conn.transport.write(DISCONNECT_PACKET)
        conn.transport.close()


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection to the broker: packets parsed in bulk."""

    def __init__(self, client: MqttClient):
        self.client = client
        loop = asyncio.get_running_loop()
        self.connack: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[str] = loop.create_future()
        self.heard_at = loop.time()
        self.buf = bytearray()
        self.skip = 0  # bytes still to drop of a packet over MAX_PACKET
        self.transport: asyncio.Transport = None  # type: ignore[assignment]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:  # a show must not wait for the broker's delayed ACK of an ack
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(str(exc) if exc else "closed by the broker")
        if not self.connack.done():
            self.connack.set_exception(ConnectionError("closed before CONNACK"))

    def data_received(self, data: bytes) -> None:
        self.heard_at = asyncio.get_running_loop().time()
        if self.skip:  # the rest of a packet too long to keep: dropped as it comes
            dropped = min(self.skip, len(data))
            self.skip -= dropped
            data = data[dropped:]
        buf = self.buf
        buf += data
        at, end = 0, len(buf)
        acks: list[bytes] = []
        messages: Messages = []
        while end - at >= 2:
            n, shift, i, b = 0, 0, at + 1, 0x80
            while b & 0x80 and i < end and shift <= 21:  # Remaining Length
                b = buf[i]
                n |= (b & 0x7F) << shift
                shift += 7
                i += 1
            if b & 0x80 and shift > 21:
                self._broken("a malformed packet length")
                return
            if b & 0x80:
                break  # the rest of its length is still on its way
            first = buf[at]
            kind = first >> 4
            if n > MAX_PACKET:  # acknowledged (or the broker resends it forever) and skipped
                head = 2 + ((buf[i] << 8) | buf[i + 1] if end - i >= 2 else 0) + 2
                if end - i < head:
                    break  # its topic and packet id are still on their way
                if kind == 3 and first & 0x06:
                    acks.append(puback_packet((buf[i + head - 2] << 8) | buf[i + head - 1]))
                self.client.oversize += 1
                log.warning("MQTT: skipped a packet of %d bytes (more than %d)", n, MAX_PACKET)
                self.skip = max(0, i + n - end)
                at = min(i + n, end)
                continue
            if i + n > end:
                break  # the rest of the packet is still on its way
            if kind == 3:  # PUBLISH
                tlen = (buf[i] << 8) | buf[i + 1] if n >= 2 else n
                start = i + 2 + tlen
                qos1 = first & 0x06
                if start + (2 if qos1 else 0) > i + n:
                    self._broken("a malformed PUBLISH")
                    return
                topic = buf[i + 2:start].decode("utf-8", "replace")
                if qos1:  # QoS 1 (we subscribe at 1: never 2)
                    acks.append(puback_packet((buf[start] << 8) | buf[start + 1]))
                    start += 2
                messages.append((topic, bytes(buf[start:i + n])))
            elif kind == 2:  # CONNACK
                code = buf[i + 1] if n >= 2 else 255
                if self.connack.done():
                    pass
                elif code:
                    reason = _REFUSALS[code] if code < len(_REFUSALS) else f"code {code}"
                    self.connack.set_exception(ConnectionError(f"broker refused: {reason}"))
                else:
                    self.connack.set_result(None)
            elif kind == 9:  # SUBACK: a refused filter is a broken ACL or config
                if any(code == 0x80 for code in buf[i + 2:i + n]):
                    log.error("MQTT broker refused a subscription of the bridge: it will not "
                              "hear some devices (check its ACL)")
            # PUBACK (4), PINGRESP (13), UNSUBACK (11): nothing to do
            at = i + n
        del buf[:at]
        if acks:
            self.transport.write(b"".join(acks))
        if messages:
            try:
                self.client.on_messages(messages)
            except Exception:  # a bug must not kill the connection: the other devices go on
                log.exception("MQTT messages could not be handled")

    def _broken(self, what: str) -> None:
        log.error("MQTT broker sent %s; reconnecting", what, extra=_LINK)
        self.buf.clear()
        self.transport.abort()
