"""Boards and queue joined over a real Mosquitto: virtual boards (the firmware's App on the
simulator's HAL) press and show; the bridge's gateway applies presses exactly once and keeps
the displays right through duplicates, lost acks, a bridge stop, a broker restart and a
display reboot. The bridge's side here is built as `suivant serve` builds it (link_rig.py).
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest

from host_bridge.domain import commands as c
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker, any_broker
from suivant_fw.message import Message, encode

SERVICE = "passeports-cni"  # counter 3 serves it first


@pytest.fixture
def broker() -> Iterator[MosquittoBroker]:
    with any_broker() as b:  # Mosquitto; the embedded broker where it is not installed
        yield b


@pytest.fixture
def rig(settings, clock, tmp_path, broker) -> Iterator[LinkRig]:
    r = LinkRig(settings, clock, tmp_path, broker)
    for device_id, role, counter in (("term-3", "counter", 3), ("disp-3", "display", 3),
                                     ("hall", "hall", None), ("term-1", "counter", 1)):
        r.register(device_id, role, counter)
    r.start_bridge()
    for device_id in ("term-3", "disp-3", "hall", "term-1"):
        r.board_for(r.registry.get(device_id))
    r.farm.wait(lambda: all(b.dev.link == 2 for b in r.farm.boards.values()), what="online")
    yield r
    r.stop()


def test_a_press_on_terminal_3_calls_the_ticket_onto_its_display_and_the_hall(rig: LinkRig):
    rig.run(c.OpenCounter(3))
    label = rig.issue(SERVICE)
    rig.farm.press("term-3", "next")
    farm = rig.farm
    farm.wait(lambda: farm.boards["disp-3"].dev.line1 == label, what="display shows it")
    farm.wait(lambda: farm.boards["hall"].hal.lines[:1] in ((f"{label}>3",), ("",)),
              what="hall shows it")
    farm.wait(lambda: farm.boards["term-3"].hal.digits == label, what="terminal shows it")
    disp = farm.boards["disp-3"]
    assert farm.call(lambda: disp.dev.view.blink_until > disp.hal.now())  # a new call blinks
    assert not farm.call(lambda: farm.boards["term-3"].dev.pending.waiting)
    assert rig.history().count("TicketCalled") == 1


def test_recall_blinks_again_and_absent_and_pause_clear_the_counter(rig: LinkRig, clock):
    rig.run(c.OpenCounter(3))
    first, second = rig.issue(SERVICE), rig.issue(SERVICE)
    farm = rig.farm
    disp = farm.boards["disp-3"]
    farm.press("term-3", "next")
    farm.wait(lambda: disp.dev.line1 == first)
    shown = farm.call(lambda: disp.dev.shown)
    clock.advance(30)  # past the recall delay
    farm.wait(lambda: not disp.dev.view.blink_until > disp.hal.now(), timeout=10,
              what="the first blink over")
    farm.press("term-3", "recall")
    farm.wait(lambda: disp.dev.shown > shown, what="the recall's show")
    assert farm.call(lambda: disp.dev.view.blink_until > disp.hal.now())
    farm.press("term-3", "absent")
    farm.wait(lambda: disp.dev.line1 == "----", what="absent: nobody at the counter")
    farm.press("term-3", "next")
    farm.wait(lambda: disp.dev.line1 == second)
    farm.press("term-3", "pause")  # the shipped terminal has no « Terminer »: Pause finishes
    farm.wait(lambda: disp.dev.line1 == "----", what="finished")
    farm.wait(lambda: farm.boards["term-3"].hal.digits == "PAUS", what="terminal paused")
    history = rig.history()
    assert [h for h in history if h.startswith("Ticket") and h != "TicketIssued"] == [
        "TicketCalled", "TicketRecalled", "TicketAbsent", "TicketCalled", "TicketServed"]


class DropFirstAck:
    """Between the gateway and the MQTT link: the first ack to a device is lost."""

    def __init__(self, link):
        self.link, self.dropped = link, 0

    def send(self, device, channel, line):
        if channel == "down" and not self.dropped:
            self.dropped += 1
            return
        self.link.send(device, channel, line)


def test_a_lost_ack_is_resent_and_the_press_applied_once(rig: LinkRig):
    rig.run(c.OpenCounter(3))
    rig.issue(SERVICE)
    rig.issue(SERVICE)
    dropper = DropFirstAck(rig.mqtt)
    rig.gateway.attach("mqtt", dropper)
    term = rig.farm.boards["term-3"]
    rig.farm.press("term-3", "next")
    rig.farm.wait(lambda: dropper.dropped == 1 and not term.dev.pending.waiting, timeout=10,
                  what="the resend's ack")
    assert term.dev.pending.resends >= 1
    assert rig.history().count("TicketCalled") == 1


def test_the_same_press_delivered_twice_by_the_broker_calls_one_ticket(rig: LinkRig, broker):
    rig.run(c.OpenCounter(3))
    rig.issue(SERVICE)
    rig.issue(SERVICE)
    dev = rig.registry.get("term-3")
    line = encode(Message("press", "term-3", "abcdef01", 1, ("next",)), dev.key)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="replayer")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        for _ in range(2):  # what a QoS 1 redelivery looks like to the bridge
            client.publish(f"suivant/{rig.settings.site.id}/d/term-3/up", line, qos=1).wait_for_publish(5)
        time.sleep(0.5)
    finally:
        client.loop_stop()
        client.disconnect()
    assert rig.history().count("TicketCalled") == 1


def test_presses_made_while_the_bridge_is_down_are_applied_once_when_it_returns(rig: LinkRig):
    rig.run(c.OpenCounter(3))
    rig.run(c.OpenCounter(1))
    for _ in range(3):
        rig.issue(SERVICE)
        rig.issue("accueil")
    rig.stop_bridge()
    term3, term1 = rig.farm.boards["term-3"], rig.farm.boards["term-1"]
    rig.farm.press("term-3", "next")
    rig.farm.press("term-1", "next")
    time.sleep(2.0)  # both resend a few times into the broker, nobody answers
    assert rig.farm.call(lambda: term3.dev.pending.waiting and term1.dev.pending.waiting)
    assert rig.farm.call(lambda: term3.hal.led) == "waiting"  # visible on the terminal
    rig.start_bridge()
    rig.farm.wait(lambda: not term3.dev.pending.waiting and not term1.dev.pending.waiting,
                  timeout=20, what="both acknowledged")
    assert rig.history().count("TicketCalled") == 2
    label = rig.service.read(lambda state: state.current_ticket(3).label)
    rig.farm.wait(lambda: rig.farm.boards["disp-3"].dev.line1 == label, timeout=10,
                  what="the display right after the bridge's restart")


def test_displays_are_right_again_after_a_broker_restart(rig: LinkRig, broker, clock):
    rig.run(c.OpenCounter(3))
    label = rig.issue(SERVICE)
    rig.farm.press("term-3", "next")
    disp = rig.farm.boards["disp-3"]
    rig.farm.wait(lambda: disp.dev.line1 == label)
    broker.restart()  # no persistence: retained shows and sessions are gone
    rig.farm.wait(lambda: rig.mqtt.connects >= 2, timeout=40, what="bridge reconnected")
    rig.farm.wait(lambda: disp.dev.link == 2, timeout=40, what="display reconnected")
    second = rig.issue(SERVICE)
    clock.advance(5)  # past the double-press guard
    rig.farm.press("term-3", "next")
    rig.farm.wait(lambda: disp.dev.line1 == second, timeout=20, what="display after restart")


def test_a_rebooted_display_shows_the_current_ticket_at_once(rig: LinkRig):
    rig.run(c.OpenCounter(3))
    label = rig.issue(SERVICE)
    rig.farm.press("term-3", "next")
    rig.farm.wait(lambda: rig.farm.boards["disp-3"].dev.line1 == label)
    rig.farm.remove("disp-3")  # power cut
    board = rig.board_for(rig.registry.get("disp-3"))  # power back: a new boot, shown = 0
    rig.farm.wait(lambda: board.dev.line1 == label, timeout=10, what="the retained show")
    rig.farm.wait(lambda: rig.registry.health["disp-3"].online, what="presence online")


def test_a_vanished_board_is_marked_offline_by_its_last_will(rig: LinkRig):
    rig.farm.wait(lambda: rig.registry.health["term-1"].online, what="online")
    rig.farm.remove("term-1")
    rig.farm.wait(lambda: not rig.registry.health["term-1"].online, what="offline")


def test_bad_input_on_mqtt_changes_nothing_and_the_others_are_still_served(rig: LinkRig, broker):
    rig.run(c.OpenCounter(3))
    label = rig.issue(SERVICE)
    rig.issue(SERVICE)
    before = rig.history()
    dev = rig.registry.get("term-3")
    good = encode(Message("press", "term-3", "abcdef02", 1, ("next",)), dev.key)
    site = rig.settings.site.id
    bad = [("term-3", b""), ("term-3", b"\x00\xff" * 100), ("term-3", b"SV1|press|term-3"),
           ("term-3", b"x" * 600),  # longer than any line, within the broker's packet limit
           ("term-3", encode(Message("press", "term-3", "abcdef03", 1, ("next",)),
                             b"\x01" * 32)),  # a forged MAC
           ("nobody", encode(Message("press", "nobody", "abcdef03", 1, ("next",)),
                             b"\x01" * 32)),  # not registered
           ("disp-3", encode(Message("press", "disp-3", "abcdef03", 1, ("next",)),
                             rig.registry.get("disp-3").key)),  # a display has no buttons
           ("disp-3", good)]  # term-3's good line on another device's topic
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="attacker")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        for device, payload in bad:
            client.publish(f"suivant/{site}/d/{device}/up", payload, qos=1).wait_for_publish(5)
        time.sleep(0.5)
        assert rig.history() == before
        assert rig.gateway.rejected == {
            "bad_magic": 1, "bad_char": 1, "bad_arity": 1, "too_long": 1, "bad_mac": 1,
            "unknown_device": 1, "wrong_kind": 1, "not_its_topic": 1}
        rig.farm.press("term-3", "next")  # the gateway still serves the real terminal
        rig.farm.wait(lambda: rig.farm.boards["disp-3"].dev.line1 == label)
    finally:
        client.loop_stop()
        client.disconnect()
