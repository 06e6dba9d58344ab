"""A lean MQTT 3.1.1 client for the benchmarks: one asyncio Protocol per connection, packets
built by the firmware's own builders (suivant_fw.mqtt) and parsed in bulk.

    conn = await Wire.open(host, port, client_id, on_message)   # on_message(topic, payload)
    await conn.subscribe([("suivant/bench/d/t1/down", 1)])
    conn.write(publish_packet(...))                             # pre-encoded, as a load does

It is here so that the load generator and the floor bridge cost as little CPU as Python
allows: the firmware's Session parses byte by byte (right on a board, ~20 µs a message here),
and paho's threads and callbacks cost more than the bridge being measured. QoS 1 publishes it
receives are acknowledged at once; PUBACKs it receives are counted and otherwise ignored (the
benchmarks never resend); a PINGREQ every half keepalive. No TLS, no reconnect: a dropped
connection is reported on stderr, and the press waiting on it fails the run.
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from ._common import ROOT

sys.path.insert(0, str(ROOT / "firmware"))

from suivant_fw.mqtt import (connect_packet, puback_packet, publish_packet,  # noqa: E402
                             subscribe_packet)

__all__ = ["Wire", "publish_packet"]

OnMessage = Callable[[str, bytes], None]
KEEPALIVE_S = 60


class Wire(asyncio.Protocol):
    def __init__(self, on_message: OnMessage | None):
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.connack = asyncio.get_running_loop().create_future()
        self.subacks: dict[int, asyncio.Future[None]] = {}
        self.pubacks = 0
        self.lost = asyncio.get_running_loop().create_future()
        self.pinger: asyncio.Task[None] | None = None
        self.closing = False
        self._pid = 0

    @classmethod
    async def open(cls, host: str, port: int, client_id: str,
                   on_message: OnMessage | None = None, clean: bool = True) -> Wire:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(lambda: cls(on_message), host, port)
        conn.transport.write(connect_packet(client_id, KEEPALIVE_S, clean=clean))
        await asyncio.wait_for(conn.connack, 30)
        conn.pinger = asyncio.get_running_loop().create_task(conn._ping())
        return conn

    async def _ping(self) -> None:
        """A PINGREQ every half keepalive: a display that only listens would otherwise be
        dropped by the broker after 1.5 keepalives."""
        while True:
            await asyncio.sleep(KEEPALIVE_S / 2)
            self.transport.write(b"\xc0\x00")

    def next_pid(self) -> int:
        self._pid = self._pid % 0xFFFF + 1
        return self._pid

    async def subscribe(self, topics: list[tuple[str, int]]) -> None:
        pid = self.next_pid()
        done = self.subacks[pid] = asyncio.get_running_loop().create_future()
        self.write(subscribe_packet(pid, topics))
        await asyncio.wait_for(done, 30)

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def close(self) -> None:
        self.closing = True
        if self.pinger is not None:
            self.pinger.cancel()
        if self.transport is not None:
            self.transport.write(b"\xe0\x00")
            self.transport.close()

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)
        if self.pinger is not None:
            self.pinger.cancel()
        if not self.closing:  # a benchmark's connection must not go: say so, loudly
            print(f"bench.mqtt_wire: a connection was lost ({exc or 'closed by the broker'})",
                  file=sys.stderr, flush=True)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        at, end = 0, len(buf)
        acks = []
        while end - at >= 2:
            first = buf[at]
            n, shift, i, b = 0, 0, at + 1, 0x80
            while b & 0x80 and i < end:  # Remaining Length
                b = buf[i]
                n |= (b & 0x7F) << shift
                shift += 7
                i += 1
            if b & 0x80 or i + n > end:
                break  # the packet is not all here yet
            kind = first >> 4
            if kind == 3:
                tlen = (buf[i] << 8) | buf[i + 1]
                topic = buf[i + 2:i + 2 + tlen].decode()
                start = i + 2 + tlen
                if first & 0x06:
                    acks.append(puback_packet((buf[start] << 8) | buf[start + 1]))
                    start += 2
                if self.on_message is not None:
                    self.on_message(topic, bytes(buf[start:i + n]))
            elif kind == 4:
                self.pubacks += 1
            elif kind == 2:
                if buf[i + 1]:
                    self.connack.set_exception(ConnectionError(f"CONNACK {buf[i + 1]}"))
                else:
                    self.connack.set_result(None)
            elif kind == 9:
                waiter = self.subacks.pop((buf[i] << 8) | buf[i + 1], None)
                if waiter is not None:
                    waiter.set_result(None)
            at = i + n
        del buf[:at]
        if acks:
            self.transport.write(b"".join(acks))
