"""A TCP proxy between boards and their MQTT broker that damages the traffic on purpose: it drops,
duplicates and delays whole MQTT PUBLISH packets (a delayed one overtakes nothing: the ones
after it do — reordering), both ways.

    proxy = FaultProxy(("127.0.0.1", broker_port), Faults(drop=0.02, duplicate=0.02,
                       delay=0.05, delay_ms=(50, 400)), seed=1)
    port = await proxy.start()        # in an asyncio loop: boards connect to this port
    proxy.counts                      # what it did: {"drop": n, "duplicate": n, "delay": n}
    proxy.faults = Faults()           # change or stop the damage while it runs

    python -m simulators.fault_proxy --broker 127.0.0.1:1883 --listen 1884 --drop 0.05
                                      # real boards pointed at :1884 get a bad network

Only PUBLISH packets are touched: connecting, subscribing and pinging go through, so a board
stays connected and the damage is to messages. A dropped QoS 1 message is recovered by the
protocol above MQTT (a press is resent until acked; a display whose status reports an old
show version gets it again); a duplicate must be applied once; a reordered show must not
replace a newer one.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
from dataclasses import dataclass
from typing import Any

from host_bridge.arg_types import share

_PUBLISH = 3


@dataclass(frozen=True)
class Faults:
    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    delay_ms: tuple[int, int] = (50, 400)


def split_packets(buffer: bytearray) -> list[bytes]:
    """Complete MQTT packets at the front of buffer (removed from it)."""
    out = []
    while len(buffer) >= 2:
        length, shift, i = 0, 0, 1
        while True:
            if i >= len(buffer) or i > 4:
                return out  # the length is not all there yet
            b = buffer[i]
            length |= (b & 0x7F) << shift
            shift += 7
            i += 1
            if not b & 0x80:
                break
        end = i + length
        if len(buffer) < end:
            return out
        out.append(bytes(buffer[:end]))
        del buffer[:end]
    return out


class FaultProxy:
    """`faults` damage both ways, unless `down` is given: then `faults` is for what the
    boards send (presses, status) and `down` for what they receive (acks, shows)."""

    def __init__(self, upstream: tuple[str, int], faults: Faults = Faults(), seed: int = 0,
                 host: str = "127.0.0.1", down: Faults | None = None):
        self.upstream, self.faults, self.host = upstream, faults, host
        self.down = down
        self.rng = random.Random(seed)
        self.counts = {"drop": 0, "duplicate": 0, "delay": 0, "packets": 0}
        self._server: asyncio.base_events.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._client, self.host, port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            await self._relay(reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            self._clients.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        pumps = [asyncio.create_task(self._pump(reader, up_writer, False)),
                 asyncio.create_task(self._pump(up_reader, writer, True))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            for w in (writer, up_writer):
                w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    down: bool) -> None:
        buffer = bytearray()
        while True:
            data = await reader.read(4096)
            if not data:
                return
            buffer += data
            for packet in split_packets(buffer):
                self._forward(packet, writer, down)

    def _forward(self, packet: bytes, writer: Any, down: bool = False) -> None:
        faults = self.down if down and self.down is not None else self.faults
        rng = self.rng
        if packet[0] >> 4 != _PUBLISH:
            writer.write(packet)
            return
        self.counts["packets"] += 1
        if rng.random() < faults.drop:
            self.counts["drop"] += 1
            return
        copies = 2 if rng.random() < faults.duplicate else 1
        if copies == 2:
            self.counts["duplicate"] += 1
        if rng.random() < faults.delay:
            self.counts["delay"] += 1
            wait = rng.uniform(*faults.delay_ms) / 1000
            asyncio.get_running_loop().call_later(wait, _write, writer, packet * copies)
            return
        writer.write(packet * copies)


def _write(writer: Any, data: bytes) -> None:
    if not writer.is_closing():
        writer.write(data)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


async def _serve(proxy: FaultProxy, port: int) -> None:
    listening = await proxy.start(port)
    print(f"fault proxy: {proxy.host}:{listening} -> {proxy.upstream[0]}:{proxy.upstream[1]}; "
          f"drop {proxy.faults.drop:g}, duplicate {proxy.faults.duplicate:g}, "
          f"delay {proxy.faults.delay:g} ({proxy.faults.delay_ms[0]}-{proxy.faults.delay_ms[1]}"
          " ms). Ctrl-C stops it.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await proxy.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.fault_proxy",
                                description="Put a bad network between MQTT boards and their "
                                            "broker: PUBLISH packets dropped, duplicated, delayed.")
    p.add_argument("--broker", type=_address, required=True, help="the real broker, HOST:PORT")
    p.add_argument("--listen", type=int, default=0, help="the port boards connect to "
                                                         "(default: a free one, printed)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument("--drop", type=share, default=0.0)
    p.add_argument("--duplicate", type=share, default=0.0)
    p.add_argument("--delay", type=share, default=0.0, help="share delayed (so overtaken)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    proxy = FaultProxy(args.broker, Faults(args.drop, args.duplicate, args.delay), args.seed,
                       args.host)
    try:
        asyncio.run(_serve(proxy, args.listen))
    except OSError as exc:
        print(f"python -m simulators.fault_proxy: cannot listen on {args.host}:{args.listen}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"fault proxy: {proxy.counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
