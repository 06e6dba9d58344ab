"""The physical floor for a press: a bridge that does the least any bridge must do, in Python.

    python -m bench.floor_bridge --port BROKER_PORT --site floor --dir FOLDER

It subscribes to `suivant/<site>/d/+/up` at QoS 1 through the lean client (bench.mqtt_wire),
and for whatever arrived in one read: appends the lines to a file, fdatasync, then for each
press publishes an ack on its terminal's `down` and a show on the display of the same counter
(`t17` -> `d17`), both QoS 1, the show retained — the same messages, sizes and durability as
Suivant's, with none of its work: no MAC checked or made (a fixed tag of the same length), no
decision, no queue, no registry. A burst is one read, one fsync, one write. What Suivant
spends above this is the bridge's own cost.

It prints "ready" once subscribed, and its CPU seconds on stdin's EOF or SIGTERM.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from .mqtt_wire import Wire, publish_packet

TAG = b"0123456789abcdef"  # a MAC field's length, not a MAC


class Floor:
    def __init__(self, site: str, log_path: str):
        self.prefix = f"suivant/{site}/d/"
        self.log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.pending: list[tuple[str, bytes]] = []
        self.served: dict[str, int] = {}  # counter -> tickets called so far
        self.conn: Wire | None = None

    def on_message(self, topic: str, payload: bytes) -> None:
        if not self.pending:  # first of this read: flushed once the read is handled
            asyncio.get_running_loop().call_soon(self.flush)
        self.pending.append((topic, payload))

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        os.write(self.log, b"\n".join(p for _, p in batch) + b"\n")
        os.fdatasync(self.log)
        out = []
        conn = self.conn
        for topic, payload in batch:
            parts = payload.split(b"|")
            if len(parts) < 7 or parts[1] != b"press":
                continue
            device = parts[2].decode()
            counter = device[1:]
            n = self.served[counter] = self.served.get(counter, 0) + 1
            label = b"A%03d" % (n % 1000)
            ack = b"SV1|ack|%s|%s|%s|ok|%s|%s" % (parts[2], parts[3], parts[4], label, TAG)
            show = b"SV1|show|d%s|-|%d|0|5|%s|%s" % (counter.encode(), n, label, TAG)
            out.append(publish_packet(f"{self.prefix}{device}/down", ack, 1, False,
                                      conn.next_pid()))
            out.append(publish_packet(f"{self.prefix}d{counter}/show", show, 1, True,
                                      conn.next_pid()))
        if out:
            conn.write(b"".join(out))


async def serve(port: int, site: str, folder: str) -> None:
    floor = Floor(site, os.path.join(folder, "floor.log"))
    floor.conn = await Wire.open("127.0.0.1", port, f"floor-{site}", floor.on_message)
    await floor.conn.subscribe([(floor.prefix + "+/up", 1)])
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() or stop.set())
    await stop.wait()
    floor.conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.floor_bridge",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True, help="the broker's port on 127.0.0.1")
    p.add_argument("--site", default="floor", help="the site id in the topics")
    p.add_argument("--dir", required=True, help="where the durable log goes")
    args = p.parse_args(argv)
    asyncio.run(serve(args.port, args.site, args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
