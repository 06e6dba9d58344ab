"""The firmware's MQTT link (suivant_fw.link_mqtt + mqtt.py) as the simulator runs it: the real
App of each role, on the simulator's HAL, against a real Mosquitto; the bridge's side is
played by paho-mqtt, an independent MQTT implementation.
"""
from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from mosquitto_broker import MosquittoBroker
from simulators.sim_hal import SimHal
from suivant_fw import config
from suivant_fw.app import App
from suivant_fw.message import Message, decode, encode

KEY_HEX = "0123456789abcdef" * 4
KEY = bytes.fromhex(KEY_HEX)
SITE = "mairie-test"


def device_config(role: str, port: int, device: str = "counter-03") -> dict:
    raw = {"schema": 1, "device": device, "role": role, "key": KEY_HEX, "site": SITE,
           "link": "mqtt", "wifi": {"ssid": "hall", "password": "password-1234"},
           "broker": {"host": "127.0.0.1", "port": port, "password": "x"},
           "timing": {"status_s": 10}}
    if role in ("counter", "display"):
        raw["counter"] = 3
    return config.validate(raw)


class Bridge:
    """The bridge's side of the topics, with paho: what devices publish lands in `up`."""

    def __init__(self, port: int, device: str = "counter-03") -> None:
        self.base = f"suivant/{SITE}/d/{device}/"
        self.device = device
        self.up: queue.Queue[Message] = queue.Queue()
        self.status: queue.Queue[str] = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bridge-test")
        self.subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe(
            [(self.base + "up", 1), (self.base + "status", 1)])
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.subscribed.wait(5), "the test bridge could not subscribe"

    def reconnect(self) -> None:
        """After a broker restart: connected and subscribed again (paho's own retry is slow)."""
        self.subscribed.clear()
        self.client.reconnect()
        assert self.subscribed.wait(5), "the test bridge could not subscribe again"

    def _on_message(self, client: paho.Client, userdata: object, m: paho.MQTTMessage) -> None:
        if m.topic.endswith("/status"):
            self.status.put(m.payload.decode())
        else:
            self.up.put(decode(m.payload, KEY))

    def next_up(self, kind: str | None = None, timeout: float = 5.0) -> Message:
        """The next message of that kind within `timeout` s in all (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.up.get(timeout=max(0.0, deadline - time.monotonic()))
            if kind is None or msg.kind == kind:
                return msg

    def send(self, topic: str, msg: Message, retain: bool = False) -> None:
        self.client.publish(self.base + topic, encode(msg, KEY), qos=1, retain=retain).wait_for_publish(5)

    def show(self, version: int, *fields: str, blink: str = "0", beep: str = "0") -> None:
        self.send("show", Message("show", self.device, "-", version, (beep, blink, *fields)),
                  retain=True)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


async def until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


async def in_thread(fn: Callable[..., object], *args: object) -> object:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def run_device(role: str, port: int, scenario: Callable[[App, SimHal], Awaitable[None]],
               device: str = "counter-03", keepalive_s: int = 30) -> App:
    """The device's App running (link task included) while `scenario` plays."""
    async def main() -> App:
        hal = SimHal()
        app = App(device_config(role, port, device), KEY, hal)
        app.link.keepalive_s = keepalive_s
        app.link.log = lambda text: None
        task = asyncio.create_task(app.run())
        try:
            await scenario(app, hal)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return app
    return asyncio.run(main())


@pytest.fixture
def broker() -> Iterator[MosquittoBroker]:
    with MosquittoBroker() as b:
        yield b


def test_press_goes_up_once_and_the_ack_settles_it(broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port)

    async def scenario(app: App, hal: SimHal) -> None:
        hello = await in_thread(bridge.next_up, "hello")
        assert hello.fields == ("counter", "0.1.0+dev", "0")
        assert await in_thread(bridge.status.get, True, 5) == "online"
        await until(lambda: hal.led == "online", what="led online")
        bridge.show(1, "C017")
        await until(lambda: hal.digits == "C017", what="the show on the digits")
        hal.press("next")
        await asyncio.sleep(0.1)
        hal.release("next")
        press = await in_thread(bridge.next_up, "press")
        assert press.fields == ("next",) and press.boot == hello.boot
        await until(lambda: hal.led == "waiting", what="waiting LED")
        bridge.send("down", Message("ack", "counter-03", press.boot, press.seq, ("ok", "C018")))
        await until(lambda: hal.led == "online", what="ack taken")
        await asyncio.sleep(1.0)  # longer than the first resend delay: nothing is resent
        assert [m.kind for m in _drain(bridge.up)] in ([], ["status"])

    try:
        run_device("counter", broker.port, scenario)
    finally:
        bridge.close()


def _drain(q: queue.Queue[Message]) -> list[Message]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


def test_retained_show_reaches_a_display_that_connects_later(broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port, device="display-03")
    bridge.show(7, "A012", blink="3")

    async def scenario(app: App, hal: SimHal) -> None:
        await until(lambda: app.dev.shown == 7, what="the retained show")
        hello = await in_thread(bridge.next_up, "hello")
        assert hello.fields[0] == "display"
        await until(lambda: hal.digits == "    ", what="blink off phase")
        await until(lambda: hal.digits == "A012", what="blink on phase")

    try:
        run_device("display", broker.port, scenario, device="display-03")
    finally:
        bridge.close()


def test_broker_restart_and_wifi_loss_show_offline_then_it_reconnects_and_resubscribes(
        broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port)

    async def scenario(app: App, hal: SimHal) -> None:
        first = await in_thread(bridge.next_up, "hello")
        bridge.show(1, "C017")
        await until(lambda: hal.digits == "C017", what="first show")
        hal.network_up = False  # and the Wi-Fi goes too, until the bridge is back
        await in_thread(broker.restart)
        await until(lambda: hal.digits in ("OFFL", "CONN"), what="offline code")
        await in_thread(bridge.reconnect)
        await until(lambda: app.link.failures >= 2, what="failed attempts without Wi-Fi")
        assert hal.digits in ("OFFL", "CONN") and app.link.connections == 1
        hal.network_up = True
        second = await in_thread(bridge.next_up, "hello", 40)
        assert second.boot == first.boot and second.seq > first.seq
        assert second.fields[2] == "1"  # it says which show it displays
        await until(lambda: hal.digits == "C017", what="last show kept across the outage")
        bridge.show(2, "C018")  # reaches it: the device subscribed again
        await until(lambda: hal.digits == "C018", what="show after the restart")
        assert app.link.connections == 2 and app.dev.errors == 1

    try:
        run_device("counter", broker.port, scenario)
    finally:
        bridge.close()


def test_last_will_marks_a_vanished_device_offline(broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port)

    async def scenario(app: App, hal: SimHal) -> None:
        assert await in_thread(bridge.status.get, True, 5) == "online"
        # the scenario ends here: the device's task is cancelled and its socket closed
        # without a DISCONNECT, as when a board loses power

    try:
        run_device("counter", broker.port, scenario)
        assert bridge.status.get(timeout=5) == "offline"
    finally:
        bridge.close()


def test_a_silent_broker_is_found_dead_by_the_keepalive(broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port)
    assert broker.process is not None
    pid = broker.process.pid

    async def scenario(app: App, hal: SimHal) -> None:
        await in_thread(bridge.next_up, "hello")
        await until(lambda: hal.led == "online", what="online")
        os.kill(pid, signal.SIGSTOP)  # TCP stays up, nothing answers: only pings can tell
        try:
            await until(lambda: hal.led == "offline", timeout=6, what="keepalive timeout")
            assert app.link.last_error is not None
        finally:
            os.kill(pid, signal.SIGCONT)
        await until(lambda: hal.led == "online", timeout=40, what="back online")

    try:
        run_device("counter", broker.port, scenario, keepalive_s=2)
    finally:
        bridge.close()


def test_a_show_with_a_bad_mac_changes_nothing(broker: MosquittoBroker) -> None:
    bridge = Bridge(broker.port)

    async def scenario(app: App, hal: SimHal) -> None:
        await in_thread(bridge.next_up, "hello")
        bridge.show(1, "C017")
        await until(lambda: hal.digits == "C017")
        forged = encode(Message("show", "counter-03", "-", 2, ("0", "0", "X666")), b"\x01" * 32)
        bridge.client.publish(bridge.base + "show", forged, qos=1, retain=True)
        bridge.client.publish(bridge.base + "down", b"garbage|not a line", qos=1)
        await until(lambda: app.link.rx_errors == 2, what="both refused")
        assert hal.digits == "C017" and app.dev.shown == 1

    try:
        run_device("counter", broker.port, scenario)
    finally:
        bridge.close()


def test_wrong_broker_password_is_refused_and_retried(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "counter-03", "right"],
                   check=True, capture_output=True)
    with MosquittoBroker(extra="allow_anonymous false\npassword_file {folder}/passwd\n",
                         files={"passwd": passwd.read_text()}) as auth_broker:
        async def scenario(app: App, hal: SimHal) -> None:
            await until(lambda: app.link.failures >= 2, timeout=10, what="two refusals")
            assert app.link.last_error.code in ("bad_credentials", "not_authorised")
            assert app.link.connections == 0 and hal.digits in ("CONN", "OFFL")

        run_device("counter", auth_broker.port, scenario)


def test_the_watchdog_is_fed_only_while_the_link_task_lives_and_beats(broker: MosquittoBroker
                                                                      ) -> None:
    """Issue 11, bug 4: the main loop fed the watchdog whatever became of the link task, so a
    board whose link had died stayed up, talking to nobody. Now a dead or stalled link lets
    the watchdog reset the board."""
    async def scenario(app: App, hal: SimHal) -> None:
        await until(lambda: app.dev.link == 2, what="online")
        fed = hal.fed
        await asyncio.sleep(0.1)
        assert hal.fed > fed  # a live link: fed
        now = hal.now()
        assert app.link_alive(now)
        assert not app.link_alive(now + 90_000)  # no beat for 90 s: a stalled link task
        app._link_task.cancel()  # the link task ends
        await asyncio.sleep(0.05)
        fed = hal.fed
        await asyncio.sleep(0.1)
        assert hal.fed == fed and not app.link_alive(hal.now())
    run_device("counter", broker.port, scenario)
