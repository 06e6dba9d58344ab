"""The bridge's own MQTT client (host_bridge/links/mqtt_client.py) against a real Mosquitto:
what the bridge relies on it for, one behaviour per test. The gateway on top of it is tested
in test_links_mqtt.py and the exactly-once runs; here the client alone.
"""
from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest

from host_bridge.links import mqtt_client
from host_bridge.links.mqtt_client import MqttClient
from host_bridge.site_config import MqttSettings
from mosquitto_broker import MosquittoBroker
from pki import make_pki
from support import free_port

UP = "suivant/t/d/+/up"


class Probe:
    """An MqttClient whose callbacks land in queues."""

    def __init__(self, port: int, client_id: str = "bridge-under-test", keepalive_s: int = 30,
                 **settings: object):
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.batches: list[int] = []
        self.connects = 0
        self.client = MqttClient(
            MqttSettings(host="127.0.0.1", port=port, embedded=False, **settings),  # type: ignore[arg-type]
            client_id, will=("suivant/t/bridge/status", b"gone"), subscriptions=[(UP, 1)],
            on_connect=self._connected, on_messages=self._messages, keepalive_s=keepalive_s)

    def _connected(self) -> None:
        self.connects += 1

    def _messages(self, messages: list[tuple[str, bytes]]) -> None:
        self.batches.append(len(messages))
        for m in messages:
            self.messages.put(m)

    def take(self, n: int, timeout: float = 10) -> list[tuple[str, bytes]]:
        return [self.messages.get(timeout=timeout) for _ in range(n)]


def device(port: int, name: str = "device") -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=name)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def retained(port: int, topic: str) -> bytes | None:
    got: queue.Queue[bytes] = queue.Queue()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: got.put(m.payload)
    client.on_connect = lambda c, *a: c.subscribe(topic, 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        return got.get(timeout=3)
    except queue.Empty:
        return None
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.fixture
def broker() -> Iterator[MosquittoBroker]:
    with MosquittoBroker() as b:
        yield b


def test_qos1_messages_arrive_a_read_at_a_time_once_and_those_sent_while_away_on_return(broker):
    probe = Probe(broker.port)
    probe.client.start()
    assert probe.client.connected.wait(10)
    time.sleep(0.3)  # its SUBACK
    dev = device(broker.port)
    for i in range(200):
        dev.publish(f"suivant/t/d/term-{i % 7}/up", b"press %d" % i, qos=1)
    got = probe.take(200)
    assert [p for _, p in got] == [b"press %d" % i for i in range(200)]  # in order
    assert got[5][0] == "suivant/t/d/term-5/up"
    assert len(probe.batches) < 200  # whole reads handed over together, not one by one
    probe.client.stop()
    # the bridge is away: the broker keeps its QoS 1 messages (persistent session)...
    for i in range(3):
        dev.publish("suivant/t/d/term-1/up", b"while away %d" % i, qos=1).wait_for_publish(5)
    again = Probe(broker.port)
    again.client.start()
    assert [p for _, p in again.take(3)] == [b"while away %d" % i for i in range(3)]
    time.sleep(1.0)
    assert again.messages.empty()  # ...and what was acknowledged before is not sent again
    again.client.stop()
    dev.loop_stop()


def test_what_it_publishes_goes_out_in_order_and_stop_leaves_its_last_word_retained(broker):
    probe = Probe(broker.port)
    probe.client.start()
    assert probe.client.connected.wait(10)
    got: queue.Queue[bytes] = queue.Queue()
    dev = device(broker.port)
    dev.on_message = lambda c, u, m: got.put(m.payload)
    dev.subscribe("suivant/t/d/disp-1/show", 1)
    time.sleep(0.5)
    for i in range(500):  # from another thread than the client's, as the press worker does
        probe.client.publish("suivant/t/d/disp-1/show", b"show %d" % i, retain=True)
    assert [got.get(timeout=10) for _ in range(500)] == [b"show %d" % i for i in range(500)]
    probe.client.stop(last=("suivant/t/bridge/status", b"offline"))
    assert retained(broker.port, "suivant/t/bridge/status") == b"offline"
    assert retained(broker.port, "suivant/t/d/disp-1/show") == b"show 499"
    dev.loop_stop()


def test_a_crash_leaves_its_will_and_publishing_while_away_is_dropped_and_counted(broker):
    probe = Probe(broker.port)
    probe.client.start()
    assert probe.client.connected.wait(10)
    probe.client.kill()  # no DISCONNECT: the broker publishes the will
    assert retained(broker.port, "suivant/t/bridge/status") == b"gone"
    probe.client.publish("suivant/t/d/disp-1/show", b"nobody hears this")
    assert probe.client.dropped == 1


def test_a_broker_restart_is_followed_by_a_reconnect_and_on_connect_again(broker, monkeypatch):
    monkeypatch.setattr(mqtt_client, "RECONNECT_MIN_S", 0.2)
    probe = Probe(broker.port)
    probe.client.start()
    assert probe.client.connected.wait(10)
    broker.restart()
    deadline = time.monotonic() + 20
    while probe.connects < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert probe.connects == 2 and probe.client.connected.is_set()
    time.sleep(0.3)
    dev = device(broker.port)
    dev.publish("suivant/t/d/term-1/up", b"after the restart", qos=1)
    assert probe.take(1) == [("suivant/t/d/term-1/up", b"after the restart")]
    probe.client.stop()
    dev.loop_stop()


def test_a_frozen_broker_is_given_up_after_one_and_a_half_keepalives(broker, monkeypatch):
    monkeypatch.setattr(mqtt_client, "RECONNECT_MIN_S", 0.2)
    probe = Probe(broker.port, keepalive_s=2)
    probe.client.start()
    assert probe.client.connected.wait(10)
    os.kill(broker.process.pid, signal.SIGSTOP)  # TCP stays up; nothing answers
    try:
        t0 = time.monotonic()
        while probe.client.connected.is_set() and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        gave_up = time.monotonic() - t0
        assert not probe.client.connected.is_set()
        assert 2.5 <= gave_up <= 5.5, gave_up  # 1.5 keepalives, checked every half keepalive
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    assert probe.client.connected.wait(15)  # back once the broker answers
    probe.client.stop()


def test_a_refused_account_is_retried_and_never_connected(monkeypatch):
    monkeypatch.setattr(mqtt_client, "RECONNECT_MIN_S", 0.2)
    with MosquittoBroker(extra="allow_anonymous false\n") as broker:
        probe = Probe(broker.port, username="nobody", password="wrong")
        probe.client.start()
        assert not probe.client.connected.wait(2)
        t0 = time.monotonic()
        probe.client.stop()
        assert time.monotonic() - t0 < 2  # stopping does not wait for the backoff
    assert probe.connects == 0


def test_an_oversized_message_is_acknowledged_and_skipped_without_being_kept(broker):
    probe = Probe(broker.port)
    probe.client.start()
    assert probe.client.connected.wait(10)
    time.sleep(0.3)
    dev = device(broker.port)
    big = b"x" * (mqtt_client.MAX_PACKET + 10_000)
    dev.publish("suivant/t/d/term-1/up", big, qos=1)
    dev.publish("suivant/t/d/term-1/up", b"the next one", qos=1)
    assert probe.take(1) == [("suivant/t/d/term-1/up", b"the next one")]
    assert probe.client.oversize == 1
    assert probe.connects == 1  # the connection went on
    probe.client.stop()
    again = Probe(broker.port)  # acknowledged: the session does not hold it any more
    again.client.start()
    assert again.client.connected.wait(10)
    time.sleep(1.0)
    assert again.messages.empty() and again.client.oversize == 0
    again.client.stop()
    dev.loop_stop()


def test_tls_with_the_site_ca_connects_and_a_certificate_it_cannot_verify_never_does(
        tmp_path, monkeypatch):
    monkeypatch.setattr(mqtt_client, "RECONNECT_MIN_S", 0.2)
    pki = make_pki(tmp_path / "pki")
    port = free_port()
    files = {p.name: p.read_text() for p in pki.iterdir() if p.suffix in (".pem", ".key")}
    extra = (f"allow_anonymous true\nlistener {port} 127.0.0.1\ncafile {{folder}}/ca.pem\n"
             "certfile {folder}/broker.pem\nkeyfile {folder}/broker.key\n")
    with MosquittoBroker(extra=extra, files=files) as broker:
        right = Probe(port, tls=True, ca_file=str(pki / "ca.pem"))
        right.client.start()
        assert right.client.connected.wait(10)
        time.sleep(0.3)
        dev = device(broker.port)  # on the plain listener, as in test_unix_board's rig
        dev.publish("suivant/t/d/term-1/up", b"over TLS", qos=1)
        assert right.take(1) == [("suivant/t/d/term-1/up", b"over TLS")]
        right.client.stop()
        wrong = Probe(port, client_id="other", tls=True, ca_file=str(pki / "other-ca.pem"))
        wrong.client.start()
        assert not wrong.client.connected.wait(3)
        wrong.client.stop()
        dev.loop_stop()
    assert threading.active_count() < 50  # every client thread ended
