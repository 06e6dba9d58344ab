"""A device written from docs/protocol.md alone — paho and hmac, none of the firmware's code —
against the bridge through a real Mosquitto with `suivant broker-config`'s accounts and ACL.
Issue 10's findings 1-3 as a stranger's device meets them: every press is answered, refusals
included; a refused press resent after the state changed gets the same refusal; a late press
is refused `stale`; a lost ack is found after many other messages; a hello is answered."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from host_bridge.domain import commands as c
from host_bridge.links.mosquitto_config import write_broker_config
from host_bridge.site_config import MqttSettings
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker

BRIDGE_USER, BRIDGE_PASSWORD = "suivant-bridge", "bridge-secret-3"
BOOT = "5eed0001"


class Stranger:
    """protocol.md §1, §4 and §7, by hand."""

    def __init__(self, port: int, site: str, device: str, password: str, key: bytes):
        self.device, self.key = device, key
        self.base = f"suivant/{site}/d/{device}/"
        self.got: queue.Queue[list[str]] = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=device,
                                  clean_session=True, protocol=paho.MQTTv311)
        self.client.username_pw_set(device, password)
        self.client.will_set(self.base + "status", b"offline", qos=1, retain=True)
        subscribed = queue.Queue()
        self.client.on_subscribe = lambda *a: subscribed.put(True)
        self.client.on_message = lambda cl, u, m: self.got.put(self._check(m.payload))
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        self.client.subscribe([(self.base + "down", 1), (self.base + "show", 1)])
        subscribed.get(timeout=10)
        self.client.publish(self.base + "status", b"online", qos=1, retain=True)

    def mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()[:16]

    def line(self, kind: str, seq: int, *fields: str) -> bytes:
        text = "|".join(["SV1", kind, self.device, BOOT, str(seq), *fields]) + "|"
        return (text + self.mac(text)).encode()

    def _check(self, payload: bytes) -> list[str]:
        text = payload.decode()
        head, _, mac = text.rpartition("|")
        assert hmac.compare_digest(mac, self.mac(head + "|")), f"bad MAC on {text}"
        return text.split("|")[:-1]

    def send(self, kind: str, seq: int, *fields: str) -> None:
        self.client.publish(self.base + "up", self.line(kind, seq, *fields), qos=1)

    def next_message(self, kind: str, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            parts = self.got.get(timeout=max(0.01, deadline - time.monotonic()))
            if parts[1] == kind:
                return parts

    def ack(self, seq: int) -> tuple[str, str]:
        """The ack of `seq` (acks of other seqs, and shows, are skipped)."""
        deadline = time.monotonic() + 5
        while True:
            parts = self.next_message("ack", max(0.01, deadline - time.monotonic()))
            if parts[3:5] == [BOOT, str(seq)]:
                return parts[5], parts[6]

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def rig(settings, clock, tmp_path: Path) -> Iterator[LinkRig]:
    r = LinkRig(settings, clock, tmp_path)
    r.register("term-3", "counter", 3)
    r.register("disp-3", "display", 3)
    files = write_broker_config(tmp_path / "broker", settings.site.id, r._registry.all(),
                                BRIDGE_USER, BRIDGE_PASSWORD)
    broker = MosquittoBroker(
        extra="allow_anonymous false\nuse_username_as_clientid true\n"
              "password_file {folder}/passwd\nacl_file {folder}/acl\n",
        files={"passwd": files.passwd.read_text(), "acl": files.acl.read_text()})
    broker.start()
    r.broker = broker
    r.settings = dataclasses.replace(r.settings, mqtt=MqttSettings(
        host="127.0.0.1", port=broker.port, embedded=False, username=BRIDGE_USER,
        password=BRIDGE_PASSWORD, client_id=BRIDGE_USER))
    r.start_bridge()
    yield r
    r.stop()
    broker.stop()


def stranger(rig: LinkRig, device: str) -> Stranger:
    dev = rig.registry.get(device)
    return Stranger(rig.broker.port, rig.settings.site.id, dev.id, dev.broker_password, dev.key)


def test_a_stranger_s_presses_keep_their_first_answer_and_their_order(rig: LinkRig):
    term = stranger(rig, "term-3")
    try:
        term.send("hello", 1, "counter", "0.9.0", "0")
        assert term.next_message("show")[2] == "term-3"  # a hello is answered
        term.send("press", 2, "next")
        assert term.ack(2) == ("refused", "counter_closed")
        rig.run(c.OpenCounter(3))
        label = rig.issue("passeports-cni")
        term.send("press", 2, "next")  # its ack was "lost": the same press again
        assert term.ack(2) == ("refused", "counter_closed")  # not applied now
        term.send("press", 3, "finish")
        assert term.ack(3) == ("refused", "no_current_ticket")
        term.send("press", 4, "next")
        assert term.ack(4) == ("ok", label)
        term.send("press", 3, "finish")  # the old finish, resent late
        assert term.ack(3) == ("refused", "no_current_ticket")  # A001 is not served
        for seq in range(5, 60):  # many statuses share the seq counter...
            term.send("status", seq, "10", "40000", "-60", "0", "0")
        term.send("press", 4, "next")  # ...and the lost ack of seq 4 is still found
        assert term.ack(4) == ("ok", label)
        term.send("press", 61, "recall")  # seq 60 never went out: 61 is decided first
        term.send("press", 60, "absent")
        assert term.ack(61)[0] == "refused"  # too early to recall
        assert term.ack(60) == ("refused", "stale")
        assert rig.history().count("TicketCalled") == 1
        assert "TicketServed" not in rig.history() and "TicketAbsent" not in rig.history()
    finally:
        term.stop()


def test_a_stranger_s_refused_kind_is_answered_so_its_slot_is_freed(rig: LinkRig):
    disp = stranger(rig, "disp-3")
    try:
        disp.send("press", 1, "next")  # a display has no buttons
        assert disp.ack(1) == ("refused", "wrong_kind")
        assert rig.gateway.refusals["disp-3"]["wrong_kind"] == 1
    finally:
        disp.stop()
