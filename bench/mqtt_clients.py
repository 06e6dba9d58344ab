"""MQTT client libraries side by side: the client's CPU per message received and per message
published, through a real Mosquitto (issue 12: paho's thread is 42-48 % of the bridge's CPU
per press; is there a cheaper MQTT path in Python?).

    python -m bench.mqtt_clients                          # every client, 3 rounds, 4000 messages
    python -m bench.mqtt_clients --messages 2000 --rounds 2 --clients paho,raw
    python -m bench.mqtt_clients --uvloop                 # also raw and gmqtt on uvloop
    python -m bench.mqtt_clients --wait-quiet 300         # wait (up to 300 s) for an idle machine

Clients: paho (paho-mqtt 2.x, threaded loop_start, as the bridge used it before issue 12),
aiomqtt (asyncio, wraps paho without its thread), gmqtt (asyncio), amqtt (asyncio; the embedded
broker's package, its client here), raw (a hand-written asyncio Protocol: the firmware's packet
builders in suivant_fw.mqtt, a bulk parser over whatever one read returns, PUBACKs and publishes
written once per read / loop tick: what pure Python can do), suivant (the bridge's own client
since issue 12, host_bridge/links/mqtt_client.py, in its own thread on uvloop as the bridge
runs it; it publishes at QoS 0 only, so it has rows for recv, pub-q0, pub-q0r and press-q0). A
library that is not installed gets a "not installed" row: gmqtt and aiomqtt are in the [bench]
extra, which `make bench` installs.

Each (client, test) runs in its own child process, which connects, warms up one burst, then
measures its own process CPU (time.process_time: every thread, so paho's network thread too;
user/sys from getrusage) and wall time over N messages. Tests:

  recv         N QoS 1 publishes (90-byte payloads on suivant/bench/d/t<k>/up) that a separate
               lean sender process (raw socket, pre-encoded packets) sends in bursts of 200, the
               next burst once the client has received the last one; the client subscribes at
               QoS 1, so it also sends a PUBACK per message. Its handler reads topic and payload.
  pub-q1/-q1r  N publishes, QoS 1, not retained / retained, in bursts of 200, each burst waited
               for until every PUBACK is back
  pub-q0/-q0r  the same at QoS 0; completion: a QoS 1 publish after each burst, acked
  press-q1     per press what the bridge published before issue 12: an ack on `down` (QoS 1) and
               two shows on `show` (QoS 1, retained); 200 presses a burst, waited for
  press-q0s    the same with the two shows at QoS 0 (the ack stays QoS 1)
  press-q0     ack and both shows at QoS 0, as the bridge publishes them since issue 12;
               completion: the sentinel (QoS 1, or QoS 0 coming back to the bridge's client)

In process, no broker (the paths alone, per message):
  paho-path    paho's own read -> parse -> on_message -> PUBACK path: a paho client on one end
               of a socketpair fed pre-encoded bursts, loop_read() in one thread (no select
               thread, no broker, no GIL handoff)
  bridge-cb    host_bridge's MqttGateway._on_messages alone (topic split, length check), 200
               messages a call as its client hands them, with a gateway that does nothing
  raw-parse    the raw client's bulk parser alone (data_received on pre-encoded bursts)

Rounds interleave the clients (each test runs every client in turn, the order rotated each
round) so a change in machine load shows as spread across rounds rather than as a difference
between clients. The broker is Mosquitto on a free port (tests/mosquitto_broker.py), with its
per-packet log turned off (log_type all writes a line per packet: broker CPU, not the client's,
but it competes for the same 2 cores). The broker's CPU per message is printed too.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import importlib.util
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ._common import ROOT, load_line, machine_lines, wait_for_quiet

sys.path.insert(0, str(ROOT / "tests"))  # the tests' Mosquitto helper

from suivant_fw import mqtt as fw  # noqa: E402  the firmware's packet builders

CLIENTS = ["paho", "aiomqtt", "gmqtt", "amqtt", "raw", "suivant"]
UVLOOP_CLIENTS = ["gmqtt+uvloop", "raw+uvloop"]
PACKAGE = {"paho": "paho-mqtt", "aiomqtt": "aiomqtt", "gmqtt": "gmqtt", "amqtt": "amqtt",
           "raw": None, "suivant": None}
MODULE = {"paho": "paho.mqtt", "aiomqtt": "aiomqtt", "gmqtt": "gmqtt", "amqtt": "amqtt",
          "raw": None, "suivant": None}
# press-q0: ack and both shows at QoS 0, as the bridge sends them since issue 12
BROKER_TESTS = ["recv", "pub-q1", "pub-q1r", "pub-q0", "pub-q0r", "press-q1", "press-q0s",
                "press-q0"]
QOS0_TESTS = ("recv", "pub-q0", "pub-q0r", "press-q0")  # what the bridge's client does
LOCAL_TESTS = ["paho-path", "bridge-cb", "raw-parse"]
PREFIX = "suivant/bench/d/"
UP_FILTER = PREFIX + "+/up"
SENTINEL = "suivant/bench/sentinel"
DEVICES = 200
HOST = "127.0.0.1"


def payload(i: int) -> bytes:
    """~90 bytes, as a press or show line with its MAC."""
    line = f"P 1 c{i % DEVICES} s{i:06d} t1712345678 a4f09b3c2d1e5f60718293a4b5c6d7e8f9"
    return line.ljust(88, "x").encode() + b"\r\n"


def base_name(client: str) -> str:
    return client.split("+")[0]


def installed(client: str) -> bool:
    module = MODULE[base_name(client)]
    if module is None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def version(client: str) -> str:
    package = PACKAGE[base_name(client)]
    if client == "suivant":
        return "(host_bridge/links/mqtt_client.py, its thread and uvloop, as the bridge runs it)"
    if package is None:
        return "(this file + suivant_fw.mqtt)"
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# -- the lean sender (its own process) --------------------------------------------------------
def run_sender(port: int, burst: int) -> None:
    """Connects, then sends one burst of `burst` pre-encoded QoS 1 publishes per line read on
    stdin (all in one write) and reads their PUBACKs; prints 'ready' once connected."""
    sock = socket.create_connection((HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(fw.connect_packet(f"bench-sender-{os.getpid()}", 600))
    _read_exactly(sock, 4)  # CONNACK
    packets = b"".join(fw.publish_packet(f"{PREFIX}t{i}/up", payload(i), qos=1, pid=i + 1)
                       for i in range(burst))
    print("ready", flush=True)
    for _ in sys.stdin:
        sock.sendall(packets)
        _read_exactly(sock, 4 * burst)  # the PUBACKs
    sock.sendall(fw.DISCONNECT_PACKET)
    sock.close()


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


class Sender:
    """The sender process, from the receiving child."""

    def __init__(self, port: int, burst: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.mqtt_clients", "--sender",
                                      "--port", str(port), "--burst", str(burst)],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None and self.proc.stdin is not None
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the sender did not start")
        self.fd = self.proc.stdin.fileno()

    def go(self) -> None:
        os.write(self.fd, b"go\n")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


# -- what a test does: a list of bursts, each a list of (topic, payload, qos, retain) ---------
def publish_bursts(test: str, n: int, burst: int) -> list[list[tuple[str, bytes, int, bool]]]:
    msgs: list[tuple[str, bytes, int, bool]] = []
    if test.startswith("pub-"):
        qos = 1 if "q1" in test else 0
        retain = test.endswith("r")
        channel = "show" if retain else "down"
        msgs = [(f"{PREFIX}t{i % DEVICES}/{channel}", payload(i), qos, retain) for i in range(n)]
        per_burst = burst
    else:  # press-q1, press-q0s, press-q0: ack + two shows per press; `burst` presses a burst
        show_qos = 1 if test == "press-q1" else 0
        ack_qos = 0 if test == "press-q0" else 1
        for p in range(n // 3):
            d = p % DEVICES
            msgs += [(f"{PREFIX}t{d}/down", payload(p), ack_qos, False),
                     (f"{PREFIX}c{d}/show", payload(p + 1), show_qos, True),
                     (f"{PREFIX}h{d % 8}/show", payload(p + 2), show_qos, True)]
        per_burst = 3 * burst
    bursts = [msgs[i:i + per_burst] for i in range(0, len(msgs), per_burst)]
    for b in bursts:
        if not any(q for _, _, q, _ in b):  # QoS 0 only: a QoS 1 publish after it says when
            b.append((SENTINEL, b"s", 1, False))  # the broker has had them all
    return bursts


# -- measurement ------------------------------------------------------------------------------
class Meter:
    def __enter__(self) -> Meter:
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        self.user = r1.ru_utime - self.r0.ru_utime
        self.sys = r1.ru_stime - self.r0.ru_stime
        self.ctx = (r1.ru_nvcsw - self.r0.ru_nvcsw) + (r1.ru_nivcsw - self.r0.ru_nivcsw)

    def result(self, messages: int) -> dict[str, Any]:
        return {"n": messages, "cpu": self.cpu, "user": self.user, "sys": self.sys,
                "wall": self.wall, "ctx": self.ctx}


def measure_sync(warm: Callable[[], None], bursts: list[Callable[[], None]],
                 messages: int) -> dict[str, Any]:
    warm()
    with Meter() as m:
        for run in bursts:
            run()
    return m.result(messages)


async def measure_async(warm: Callable[[], Any], bursts: list[Callable[[], Any]],
                        messages: int) -> dict[str, Any]:
    await warm()
    with Meter() as m:
        for run in bursts:
            await run()
    return m.result(messages)


def receive_sync(port: int, n: int, burst: int, done: threading.Event,
                 state: dict[str, int]) -> dict[str, Any]:
    """recv for a threaded client: the sender's bursts, each waited for until the client's
    callback has counted it (state["got"]) and set `done`."""
    sender = Sender(port, burst)

    def one() -> None:
        done.clear()
        state["target"] += burst
        sender.go()
        if not done.wait(60):
            raise RuntimeError(f"received {state['got']} of {state['target']}")
    try:
        return measure_sync(one, [one] * (n // burst), burst * (n // burst))
    finally:
        sender.close()


async def publish_async(publish: Callable[..., Any],
                        bursts: list[list[tuple[str, bytes, int, bool]]]) -> dict[str, Any]:
    """pub-* and press-* for a client whose publish is a coroutine (qos=, retain=): each burst
    gathered, the first one a warm-up."""
    def runner(msgs: list[Any]) -> Callable[[], Any]:
        async def run() -> None:
            await asyncio.gather(*(publish(t, d, qos=q, retain=r) for t, d, q, r in msgs))
        return run
    return await measure_async(runner(bursts[0]), [runner(b) for b in bursts], counted(bursts))


def counted(bursts: list[list[Any]]) -> int:
    return sum(len([x for x in b if x[0] != SENTINEL]) for b in bursts)


def _no_delay(client: Any, userdata: Any, sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as mqtt_gateway does


# -- paho (threaded, as the bridge) -----------------------------------------------------------
def child_paho(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-paho-{os.getpid()}",
                         clean_session=True, protocol=paho.MQTTv311)
    client.on_socket_open = _no_delay  # type: ignore[assignment]
    ready = threading.Event()
    done = threading.Event()
    state = {"got": 0, "target": 0}

    def on_connect(c: Any, u: Any, f: Any, rc: Any, p: Any = None) -> None:
        ready.set()

    def on_subscribe(c: Any, u: Any, mid: Any, rcs: Any, p: Any = None) -> None:
        ready.set()

    def on_message(c: Any, u: Any, message: Any) -> None:
        message.topic, message.payload  # what any handler reads
        state["got"] += 1
        if state["got"] >= state["target"]:
            done.set()

    def on_publish(c: Any, u: Any, mid: Any, rc: Any, p: Any = None) -> None:
        state["got"] += 1
        if state["got"] >= state["target"]:
            done.set()

    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    client.on_message, client.on_publish = on_message, on_publish
    client.connect(HOST, port, 600)
    client.loop_start()
    try:
        if not ready.wait(10):
            raise RuntimeError("no CONNACK")
        if test == "recv":
            ready.clear()
            client.subscribe(UP_FILTER, 1)
            ready.wait(10)
            return receive_sync(port, n, burst, done, state)
        bursts = publish_bursts(test, n, burst)

        def runner(msgs: list[Any]) -> Callable[[], None]:
            def run() -> None:
                done.clear()
                state["target"] += len(msgs)
                for topic, data, qos, retain in msgs:
                    client.publish(topic, data, qos, retain)
                if not done.wait(60):
                    raise RuntimeError(f"completed {state['got']} of {state['target']}")
            return run
        return measure_sync(runner(bursts[0]), [runner(b) for b in bursts], counted(bursts))
    finally:
        client.disconnect()
        client.loop_stop()


# -- aiomqtt (paho without its thread, on asyncio) --------------------------------------------
async def child_aiomqtt(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    import aiomqtt

    async with aiomqtt.Client(HOST, port, identifier=f"bench-aiomqtt-{os.getpid()}",
                              clean_session=True, protocol=aiomqtt.ProtocolVersion.V311,
                              keepalive=600,
                              socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
                              ) as client:
        client.pending_calls_threshold = 10 ** 9  # else one logged warning per publish past 10
        if test == "recv":
            await client.subscribe(UP_FILTER, qos=1)
            sender = Sender(port, burst)

            async def one() -> None:
                sender.go()
                got = 0
                async for message in client.messages:
                    message.topic.value, message.payload
                    got += 1
                    if got == burst:
                        return
            try:
                return await measure_async(one, [one] * (n // burst), burst * (n // burst))
            finally:
                sender.close()
        return await publish_async(client.publish, publish_bursts(test, n, burst))


# -- gmqtt ------------------------------------------------------------------------------------
async def child_gmqtt(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    from gmqtt import Client
    from gmqtt.mqtt.constants import MQTTv311

    client = Client(f"bench-gmqtt-{os.getpid()}", clean_session=True)
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {"got": 0, "target": 0, "fut": None}

    def on_message(c: Any, topic: str, data: bytes, qos: int, properties: Any) -> int:
        state["got"] += 1
        if state["got"] >= state["target"] and not state["fut"].done():
            state["fut"].set_result(None)
        return 0

    def on_subscribe(c: Any, mid: Any, qos: Any, properties: Any) -> None:
        state["fut"].set_result(None)

    client.on_message, client.on_subscribe = on_message, on_subscribe
    await client.connect(HOST, port, keepalive=600, version=MQTTv311)
    try:
        if test == "recv":
            state["fut"] = loop.create_future()
            client.subscribe(UP_FILTER, qos=1)
            await asyncio.wait_for(state["fut"], 10)
            sender = Sender(port, burst)

            async def one() -> None:
                state["fut"] = loop.create_future()
                state["target"] += burst
                sender.go()
                await asyncio.wait_for(state["fut"], 60)
            try:
                return await measure_async(one, [one] * (n // burst), burst * (n // burst))
            finally:
                sender.close()
        bursts = publish_bursts(test, n, burst)
        storage = client._persistent_storage  # gmqtt keeps unacked QoS 1 there until PUBACK

        def runner(msgs: list[Any]) -> Callable[[], Any]:
            async def run() -> None:
                for t, d, q, r in msgs:
                    client.publish(t, d, qos=q, retain=r)
                await asyncio.wait_for(storage.wait_empty(), 60)
            return run
        return await measure_async(runner(bursts[0]), [runner(b) for b in bursts],
                                   counted(bursts))
    finally:
        await client.disconnect()


# -- amqtt (its client) -----------------------------------------------------------------------
async def child_amqtt(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    from amqtt.client import MQTTClient

    client = MQTTClient(client_id=f"bench-amqtt-{os.getpid()}",
                        config={"keep_alive": 600, "auto_reconnect": False, "plugins": {}})
    await client.connect(f"mqtt://{HOST}:{port}/", cleansession=True)
    try:
        if test == "recv":
            await client.subscribe([(UP_FILTER, 1)])
            sender = Sender(port, burst)

            async def one() -> None:
                sender.go()
                for _ in range(burst):
                    message = await client.deliver_message(60)
                    assert message is not None
                    message.topic, message.data
            try:
                return await measure_async(one, [one] * (n // burst), burst * (n // burst))
            finally:
                sender.close()
        return await publish_async(client.publish, publish_bursts(test, n, burst))
    finally:
        await client.disconnect()


# -- raw: a hand-written asyncio client, the firmware's packet builders, a bulk parser --------
class RawClient(asyncio.Protocol):
    """MQTT 3.1.1, QoS 0/1, over an asyncio transport. data_received parses every whole
    packet in what one read returned and answers their PUBACKs in one write; publish() queues
    the packet and writes everything queued once per loop tick. Unacked QoS 1 packets are kept
    by packet id (what a resend after reconnect needs)."""

    def __init__(self, on_message: Callable[[str, bytes, int], None]) -> None:
        self.on_message = on_message
        self.rest = b""
        self.out: list[bytes] = []
        self.unacked: dict[int, bytes] = {}
        self.pid = 0
        self.flush_pending = False
        self.loop = asyncio.get_event_loop()
        self.waiter: asyncio.Future[Any] | None = None  # CONNACK, SUBACK, or unacked drained
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        if self.rest:
            data = self.rest + data
        size = len(data)
        at = 0
        acks = []
        while size - at >= 2:
            head = data[at]
            length = data[at + 1]
            start = at + 2
            if length & 0x80:  # a longer Remaining Length: up to 3 more bytes
                length &= 0x7F
                shift = 7
                while True:
                    if start >= size:
                        length = -1  # incomplete: wait for more bytes
                        break
                    b = data[start]
                    start += 1
                    length |= (b & 0x7F) << shift
                    if not b & 0x80:
                        break
                    shift += 7
                    if shift > 21:
                        raise ValueError("bad remaining length")
                if length < 0:
                    break
            end = start + length
            if end > size:
                break
            kind = head >> 4
            if kind == 3:  # PUBLISH
                t_end = start + 2 + ((data[start] << 8) | data[start + 1])
                topic = data[start + 2:t_end].decode()
                if head & 0x06:
                    acks.append(fw.puback_packet((data[t_end] << 8) | data[t_end + 1]))
                    t_end += 2
                self.on_message(topic, data[t_end:end], head & 1)
            elif kind == 4:  # PUBACK
                self.unacked.pop((data[start] << 8) | data[start + 1], None)
                if not self.unacked and self.waiter is not None and not self.waiter.done():
                    self.waiter.set_result(None)
            elif kind in (2, 9):  # CONNACK, SUBACK
                if self.waiter is not None and not self.waiter.done():
                    self.waiter.set_result(data[start:end])
            at = end
        self.rest = data[at:]
        if acks:
            self.transport.write(b"".join(acks))

    def publish(self, topic: str, data: bytes, qos: int = 0, retain: bool = False) -> None:
        pid = 0
        if qos:
            pid = self.pid = self.pid % 0xFFFF + 1
        packet = fw.publish_packet(topic, data, qos, retain, pid)
        if qos:
            self.unacked[pid] = packet
        self.out.append(packet)
        if not self.flush_pending:
            self.flush_pending = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_pending = False
        self.transport.write(b"".join(self.out))
        self.out.clear()

    async def request(self, packet: bytes) -> Any:
        self.waiter = self.loop.create_future()
        self.transport.write(packet)
        return await asyncio.wait_for(self.waiter, 10)

    async def drained(self) -> None:
        if self.unacked:
            self.waiter = self.loop.create_future()
            await asyncio.wait_for(self.waiter, 60)


async def child_raw(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {"got": 0, "target": 0, "fut": None}

    def on_message(topic: str, data: bytes, retain: int) -> None:
        state["got"] += 1
        if state["got"] >= state["target"] and not state["fut"].done():
            state["fut"].set_result(None)

    transport, client = await loop.create_connection(lambda: RawClient(on_message), HOST, port)
    await client.request(fw.connect_packet(f"bench-raw-{os.getpid()}", 600))
    try:
        if test == "recv":
            await client.request(fw.subscribe_packet(1, [(UP_FILTER, 1)]))
            sender = Sender(port, burst)

            async def one() -> None:
                state["fut"] = loop.create_future()
                state["target"] += burst
                sender.go()
                await asyncio.wait_for(state["fut"], 60)
            try:
                return await measure_async(one, [one] * (n // burst), burst * (n // burst))
            finally:
                sender.close()
        bursts = publish_bursts(test, n, burst)

        def runner(msgs: list[Any]) -> Callable[[], Any]:
            async def run() -> None:
                for t, d, q, r in msgs:
                    client.publish(t, d, q, r)
                await client.drained()
            return run
        return await measure_async(runner(bursts[0]), [runner(b) for b in bursts],
                                   counted(bursts))
    finally:
        transport.write(fw.DISCONNECT_PACKET)
        transport.close()


# -- the bridge's own client (host_bridge/links/mqtt_client.py), threaded as the bridge runs it -
def child_suivant(test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    """It publishes at QoS 0 only: the QoS 1 tests do not apply. A burst of publishes is done
    when the sentinel, published last on the same connection, comes back to it."""
    if test not in QOS0_TESTS:
        return {"error": "n/a: publishes at QoS 0 only"}
    from host_bridge.links.mqtt_client import MqttClient
    from host_bridge.site_config import MqttSettings

    done = threading.Event()
    state = {"got": 0, "target": 0}

    def on_messages(messages: list[tuple[str, bytes]]) -> None:
        for topic, data in messages:
            if test == "recv":
                state["got"] += 1
                if state["got"] >= state["target"]:
                    done.set()
            elif topic == SENTINEL:
                done.set()
    subscriptions = [(UP_FILTER, 1)] if test == "recv" else [(SENTINEL, 0)]
    client = MqttClient(MqttSettings(host=HOST, port=port, embedded=False),
                        f"bench-suivant-{os.getpid()}", will=(PREFIX + "gone", b"x"),
                        subscriptions=subscriptions, on_connect=lambda: None,
                        on_messages=on_messages)
    client.start()
    try:
        if not client.connected.wait(10):
            raise RuntimeError("no CONNACK")
        time.sleep(0.3)  # its SUBACK
        if test == "recv":
            return receive_sync(port, n, burst, done, state)
        bursts = publish_bursts(test, n, burst)

        def runner(msgs: list[Any]) -> Callable[[], None]:
            def run() -> None:
                done.clear()
                for topic, data, qos, retain in msgs:
                    client.publish(topic, data, retain)
                if not done.wait(60):
                    raise RuntimeError("the sentinel did not come back")
            return run
        return measure_sync(runner(bursts[0]), [runner(b) for b in bursts], counted(bursts))
    finally:
        client.stop()


# -- the paths alone, in process --------------------------------------------------------------
def burst_bytes(burst: int) -> bytes:
    return b"".join(fw.publish_packet(f"{PREFIX}t{i}/up", payload(i), qos=1, pid=i + 1)
                    for i in range(burst))


def local_paho_path(n: int, burst: int) -> dict[str, Any]:
    import paho.mqtt.client as paho

    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-local",
                         protocol=paho.MQTTv311)
    client._sock = ours  # connected, as far as its reader and writer go
    client._state = paho._ConnectionState.MQTT_CS_CONNECTED
    got = [0]

    def on_message(c: Any, u: Any, message: Any) -> None:
        message.topic, message.payload
        got[0] += 1
    client.on_message = on_message
    data = burst_bytes(burst)

    def one() -> None:
        target = got[0] + burst
        theirs.sendall(data)
        while got[0] < target:
            client.loop_read()
        _read_exactly(theirs, 4 * burst)  # the PUBACKs paho wrote
    return measure_sync(one, [one] * (n // burst), burst * (n // burst))


def local_bridge_cb(n: int, burst: int) -> dict[str, Any]:
    import types

    from host_bridge.links.mqtt_gateway import MqttGateway

    gateway = types.SimpleNamespace(handle_line=lambda line, link, device: None,
                                    reject=lambda *a: None, presence=lambda *a: None)
    stub = types.SimpleNamespace(prefix=PREFIX, gateway=gateway)
    messages = [(f"{PREFIX}t{i % DEVICES}/up", payload(i)) for i in range(n)]
    callback = MqttGateway._on_messages

    def run() -> None:
        for i in range(0, n, burst):  # a read's worth at a time, as the client hands them
            callback(stub, messages[i:i + burst])  # type: ignore[arg-type]
    return measure_sync(lambda: None, [run], n)


def local_raw_parse(n: int, burst: int) -> dict[str, Any]:
    got = [0]

    def on_message(topic: str, data: bytes, retain: int) -> None:
        got[0] += 1

    class Sink:
        def write(self, data: bytes) -> None:
            pass
    asyncio.set_event_loop(asyncio.new_event_loop())
    client = RawClient(on_message)
    client.connection_made(Sink())
    data = burst_bytes(burst)
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]  # as reads return it

    def one() -> None:
        for chunk in chunks:
            client.data_received(chunk)
    result = measure_sync(one, [one] * (n // burst), burst * (n // burst))
    assert got[0] == burst * (n // burst + 1), got
    return result


# -- child entry ------------------------------------------------------------------------------
def run_child(client: str, test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    if test == "paho-path":
        return local_paho_path(n, burst)
    if test == "bridge-cb":
        return local_bridge_cb(n, burst)
    if test == "raw-parse":
        return local_raw_parse(n, burst)
    name = base_name(client)
    if name == "paho":
        return child_paho(test, port, n, burst)
    if name == "suivant":
        return child_suivant(test, port, n, burst)
    coroutine = {"aiomqtt": child_aiomqtt, "gmqtt": child_gmqtt, "amqtt": child_amqtt,
                 "raw": child_raw}[name](test, port, n, burst)
    if client.endswith("+uvloop"):
        import uvloop
        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


# -- the parent: broker, rounds, table --------------------------------------------------------
def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spawn(client: str, test: str, port: int, n: int, burst: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.mqtt_clients", "--child", client, test, "--port",
           str(port), "--messages", str(n), "--burst", str(burst)]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "timed out (300 s)"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[-1]
        return {"error": tail[:160]}
    return json.loads(lines[-1])


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:7.1f}" for v in values)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=4000, help="messages per measurement")
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--tests", default=",".join(BROKER_TESTS + LOCAL_TESTS))
    ap.add_argument("--uvloop", action="store_true", help="also gmqtt and raw on uvloop")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                    help="wait up to S seconds for the machine to be idle first")
    ap.add_argument("--broker-inflight", type=int, metavar="N",
                    help="Mosquitto's max_inflight_messages (default: Mosquitto's own, 20, "
                         "as the sites run it); 0 = unlimited")
    ap.add_argument("--port", type=int)
    ap.add_argument("--child", nargs=2, metavar=("CLIENT", "TEST"), help=argparse.SUPPRESS)
    ap.add_argument("--sender", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.sender:
        return run_sender(args.port, args.burst)
    if args.child:
        result = run_child(args.child[0], args.child[1], args.port, args.messages, args.burst)
        print(json.dumps(result), flush=True)
        return

    clients = [c for c in args.clients.split(",") if c]
    if args.uvloop:
        clients += [c for c in UVLOOP_CLIENTS if c not in clients]
    tests = [t for t in args.tests.split(",") if t]
    with tempfile.TemporaryDirectory() as tmp:
        for line in machine_lines(tmp, "-"):
            if not line.startswith(("database:", "load:")):
                print(line)
    print(load_line())
    if args.wait_quiet > 0:
        print(wait_for_quiet(args.wait_quiet))
    from mosquitto_broker import BINARY, MosquittoBroker
    mosq = subprocess.run([BINARY or "mosquitto", "-h"], capture_output=True, text=True).stdout
    inflight = ("20 (Mosquitto's default)" if args.broker_inflight is None
                else str(args.broker_inflight) + (" (unlimited)" if args.broker_inflight == 0 else ""))
    print(f"broker:   {mosq.splitlines()[0] if mosq else 'mosquitto ?'}, on loopback; "
          f"max_inflight_messages {inflight}")
    for c in clients:
        print(f"client:   {c:13s} {version(c)}")
    print(f"sizes:    {args.messages} messages a measurement, bursts of {args.burst}, "
          f"{len(payload(0))}-byte payloads, {args.rounds} rounds, clients interleaved")
    print()

    available = [c for c in clients if installed(c)]
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    broker = MosquittoBroker()
    conf = broker.config.read_text().replace("log_type all\n", "log_type error\nlog_type warning\n")
    if args.broker_inflight is not None:
        conf += f"max_inflight_messages {args.broker_inflight}\n"
    broker.config.write_text(conf)
    with broker:
        assert broker.process is not None
        for r in range(args.rounds):
            for k, test in enumerate(tests):
                if test in LOCAL_TESTS:
                    order = [{"paho-path": "paho", "bridge-cb": "paho", "raw-parse": "raw"}[test]]
                else:
                    shift = (r + k) % max(1, len(available))
                    order = available[shift:] + available[:shift]
                for client in order:
                    b0 = proc_cpu(broker.process.pid)
                    res = spawn(client, test, broker.port, args.messages, args.burst)
                    res["broker"] = proc_cpu(broker.process.pid) - b0
                    results.setdefault((client, test), []).append(res)
            loads = load_line().split(":", 1)[1].split(" before")[0].strip()
            print(f"round {r + 1}/{args.rounds} done; load {loads}", flush=True)
    shutil.rmtree(broker.folder, ignore_errors=True)

    print()
    print("µs per message (CPU = this client's whole process, every thread; per round, then the median)")
    head = (f"{'test':10s} {'client':13s} {'CPU per round':>{8 * args.rounds}s}  {'median':>7s} "
            f"{'user':>6s} {'sys':>6s} {'wall':>7s} {'ctx/msg':>7s} {'broker':>7s}")
    print(head)
    print("-" * len(head))
    for test in tests:
        row_clients = ([{"paho-path": "paho", "bridge-cb": "paho", "raw-parse": "raw"}[test]]
                       if test in LOCAL_TESTS else clients)
        for client in row_clients:
            if client not in available:
                print(f"{test:10s} {client:13s} not installed")
                continue
            runs = results.get((client, test), [])
            errors = [x["error"] for x in runs if "error" in x]
            good = [x for x in runs if "error" not in x]
            if not good:
                print(f"{test:10s} {client:13s} failed: {errors[0] if errors else '?'}")
                continue
            per = [x["cpu"] / x["n"] * 1e6 for x in good]
            med = statistics.median
            line = (f"{test:10s} {client:13s} {fmt(per):>{8 * args.rounds}s}  {med(per):7.1f} "
                    f"{med(x['user'] / x['n'] * 1e6 for x in good):6.1f} "
                    f"{med(x['sys'] / x['n'] * 1e6 for x in good):6.1f} "
                    f"{med(x['wall'] / x['n'] * 1e6 for x in good):7.1f} "
                    f"{med(x['ctx'] / x['n'] for x in good):7.2f} ")
            line += (f"{med(x['broker'] / x['n'] * 1e6 for x in good):7.1f}"
                     if test not in LOCAL_TESTS else f"{'-':>7s}")
            if errors:
                line += f"  ({len(errors)} failed: {errors[0]})"
            print(line)
    print()
    print("recv: per message received (and its PUBACK sent); pub-*: per message published and "
          "completed; press-*: per message (3 a press: ack + 2 shows). broker: Mosquitto's CPU "
          "per message in the same run (clock ticks: coarse). ctx/msg: context switches of the "
          "client process per message.")
    print(load_line().replace("before the run", "after the run"))


if __name__ == "__main__":
    main()
