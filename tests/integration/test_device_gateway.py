"""The devices' door to the queue (host_bridge.links.device_gateway), whatever the link: the real
queue service on SQLite, the real registry and codec, and a link that records what it is given.
The MQTT and serial links are tested with a real broker and real ptys in test_links_*.py.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_bridge.domain import commands as c
from host_bridge.domain import events as e
from host_bridge.links.device_gateway import DeviceGateway
from host_bridge.links.registry import Device, DeviceRegistry, RegistryError
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.store.sqlite_store import SqliteStore
from suivant_fw.message import Message, decode, encode

BOOT = "0badf00d"


class Recorder:
    """A link: what the gateway sends, decoded with the device's key."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Message]] = []
        self.lock = threading.Lock()

    def send(self, device: Device, channel: str, line: bytes) -> None:
        with self.lock:
            self.sent.append((device.id, channel, decode(line, device.key)))

    def take(self, device: str | None = None, kind: str | None = None) -> list[Message]:
        with self.lock:
            out = [m for d, _, m in self.sent
                   if (device is None or d == device) and (kind is None or m.kind == kind)]
            self.sent = [(d, ch, m) for d, ch, m in self.sent
                         if not ((device is None or d == device) and (kind is None or m.kind == kind))]
        return out

    def until(self, device: str, kind: str, line: str, timeout: float = 5.0) -> Message:
        """The first message of that kind to device whose line 1 (a show's third field, an
        ack's text) is `line`, waiting for it; the ones before it are dropped."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            for m in self.take(device, kind):
                seen.append(m)
                if m.fields[-1 if kind == "ack" else 2] == line:
                    return m
            time.sleep(0.005)
        raise AssertionError(f"no {kind} with {line!r} to {device} in {timeout} s: {seen}")

    def wait(self, device: str, kind: str, timeout: float = 5.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.take(device, kind)
            if got:
                return got
            time.sleep(0.005)
        raise AssertionError(f"nothing sent to {device} ({kind}) in {timeout} s: {self.sent}")


class Rig:
    def __init__(self, settings, clock, tmp_path: Path):
        self.store = SqliteStore(settings.db_path, "NORMAL")
        self.service = QueueService(settings.site, self.store, clock)
        counters = frozenset(k.number for k in settings.site.counters)
        self.registry = DeviceRegistry(str(tmp_path / "devices.db"), counters)
        self.gateway = DeviceGateway(self.service, self.registry)
        self.link = Recorder()
        self.gateway.attach("mqtt", self.link)
        self.devices = {
            "term-1": self.registry.add("term-1", "counter", 1),
            "disp-1": self.registry.add("disp-1", "display", 1),
            "hall": self.registry.add("hall", "hall"),
            "fb-1": self.registry.add("fb-1", "feedback", 1),
        }
        self.seq: dict[str, int] = {}

    def line(self, device: str, kind: str, *fields: str, boot: str = BOOT,
             seq: int | None = None, key: bytes | None = None) -> bytes:
        if seq is None:
            seq = self.seq[device] = self.seq.get(device, 0) + 1
        dev = self.devices[device]
        return encode(Message(kind, device, boot, seq, fields), key or dev.key)

    def send(self, device: str, kind: str, *fields: str, **kw) -> bytes:
        line = self.line(device, kind, *fields, **kw)
        self.gateway.handle_line(line, "mqtt")
        return line

    def issue(self, service: str = "accueil") -> None:
        self.service.execute(c.IssueTicket(service, new_ticket_id()), "public")

    def events(self) -> list[str]:
        return [type(s.event).__name__ for s in self.store.events_after(0, 10000)]


@pytest.fixture
def rig(settings, clock, tmp_path) -> Iterator[Rig]:
    r = Rig(settings, clock, tmp_path)
    r.gateway.start()
    r.link.take()  # the start-up shows
    yield r
    r.gateway.stop()
    r.registry.close()
    r.store.close()


def test_a_press_is_applied_acknowledged_and_shown_on_the_counters_displays(rig: Rig, clock):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.send("term-1", "press", "next")
    [ack] = rig.link.wait("term-1", "ack")
    assert (ack.boot, ack.seq, ack.fields) == (BOOT, 1, ("ok", "A001"))
    time.sleep(0.3)  # the display worker may send a first show before the call's own batch
    displays = rig.link.take("disp-1", "show")
    halls = rig.link.take("hall", "show")
    terms = rig.link.take("term-1", "show")
    assert ("0", "5", "A001") in [m.fields for m in displays]  # blinks 5 s: a new call
    assert ("0", "5", "A001>1") in [m.fields for m in halls]
    assert terms[-1].fields[2] == "A001"
    # versions are committed event numbers (a screen computed from a state already past its
    # batch may carry the batch's number: the known one-batch-early show, issue 12)
    last = rig.store.last_seq()
    assert all(0 < m[-1].seq <= last for m in (displays, halls, terms))


def test_the_same_press_twice_calls_one_ticket_and_gets_the_same_answer(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.issue()
    line = rig.send("term-1", "press", "next")
    rig.gateway.handle_line(line, "mqtt")  # QoS 1 redelivery, or a resend after a lost ack
    acks = rig.link.wait("term-1", "ack")
    deadline = time.monotonic() + 5  # the repeat may be answered in a batch of its own
    while len(acks) < 2 and time.monotonic() < deadline:
        acks += rig.link.take("term-1", "ack")
        time.sleep(0.01)
    time.sleep(0.2)
    acks += rig.link.take("term-1", "ack")  # and nothing more
    assert [a.fields for a in acks] == [("ok", "A001"), ("ok", "A001")]
    assert rig.events().count("TicketCalled") == 1


def test_a_resend_whose_answer_was_lost_in_a_crash_is_still_applied_once(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.issue()
    line = rig.line("term-1", "press", "next")
    # the crash: the seq was taken and the command applied, but its answer never recorded
    rig.registry.sequence("term-1", BOOT, 1)
    rig.service.execute(c.CallNext(1), "device:term-1", f"{BOOT}:1")
    rig.gateway.handle_line(line, "mqtt")
    [ack] = rig.link.wait("term-1", "ack")
    assert ack.fields == ("ok", "A001")
    assert rig.events().count("TicketCalled") == 1


def test_a_refused_press_is_acknowledged_as_refused_with_the_reason(rig: Rig):
    rig.send("term-1", "press", "next")  # the counter is closed at the start of the day
    [ack] = rig.link.wait("term-1", "ack")
    assert ack.fields == ("refused", "counter_closed")


def test_the_pause_key_opens_a_closed_counter_and_pauses_an_open_one(rig: Rig):
    rig.send("term-1", "press", "pause")
    assert rig.link.wait("term-1", "ack")[0].fields[0] == "ok"
    rig.link.until("term-1", "show", "----")
    rig.send("term-1", "press", "pause")
    rig.link.until("term-1", "show", "PAUS")
    rig.send("term-1", "press", "close")
    rig.link.until("term-1", "show", "CLOS")


def test_a_counter_terminal_beeps_when_its_queue_stops_being_empty(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.link.until("term-1", "show", "----")
    rig.issue()
    [show] = rig.link.wait("term-1", "show")
    assert show.fields[:2] == ("1", "0")
    rig.issue()  # someone was already waiting: no beep, and nothing new to show
    time.sleep(0.2)
    assert rig.link.take("term-1", "show") == []


@pytest.mark.parametrize("forge", ["bad_mac", "unknown_device", "garbage", "wrong_kind"])
def test_unauthenticated_or_malformed_lines_change_nothing_and_are_counted(rig: Rig, forge):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    before = rig.events()
    if forge == "bad_mac":
        line = rig.line("term-1", "press", "next", key=b"\x07" * 32)
    elif forge == "unknown_device":
        line = encode(Message("press", "term-9", BOOT, 1, ("next",)), b"\x07" * 32)
    elif forge == "garbage":
        line = b"SV1|press|term-1|\xff\x00"
    else:
        line = rig.line("disp-1", "press", "next")  # a display has no buttons
    rig.gateway.handle_line(line, "mqtt")
    time.sleep(0.1)
    assert rig.events() == before
    # an authenticated refusal is answered (signed), so the board frees its pending slot;
    # an unauthenticated line gets nothing
    expected = [("refused", "wrong_kind")] if forge == "wrong_kind" else []
    assert [a.fields for a in rig.link.take(kind="ack")] == expected
    assert sum(rig.gateway.rejected.values()) == 1


def test_a_press_of_a_retired_boot_gets_its_first_answer_and_is_never_applied_again(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.issue()
    old = rig.send("term-1", "press", "next", boot="11111111", seq=1)
    [first] = rig.link.wait("term-1", "ack")
    rig.send("term-1", "hello", "counter", "0.1.0", "0", boot="22222222", seq=1)  # a reboot
    rig.gateway.handle_line(old, "mqtt")  # the old press, captured and played again
    [again] = rig.link.wait("term-1", "ack")
    assert (again.boot, again.seq, again.fields) == (first.boot, first.seq, ("ok", "A001"))
    assert rig.gateway.rejected["old_boot"] == 1
    assert rig.events().count("TicketCalled") == 1


def test_an_undecided_press_of_a_retired_boot_is_refused_for_good(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.send("term-1", "hello", "counter", "0.1.0", "0", boot="11111111", seq=1)
    lost = rig.line("term-1", "press", "next", boot="11111111", seq=2)  # never arrived...
    rig.send("term-1", "hello", "counter", "0.1.0", "0", boot="22222222", seq=1)  # a reboot
    for _ in range(2):  # ...until now, twice: the same refusal each time
        rig.gateway.handle_line(lost, "mqtt")
        [ack] = rig.link.wait("term-1", "ack")
        assert (ack.boot, ack.seq, ack.fields) == ("11111111", 2, ("refused", "old_boot"))
    assert rig.events().count("TicketCalled") == 0


def test_a_vote_is_recorded_about_the_ticket_the_terminal_shows(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.send("term-1", "press", "next")
    rig.send("term-1", "press", "finish")
    rig.link.until("fb-1", "show", "A001")
    rig.send("fb-1", "vote", "4")
    [ack] = rig.link.wait("fb-1", "ack")
    assert ack.fields == ("ok", "-")
    [given] = [s.event for s in rig.store.events_after(0, 1000)
               if isinstance(s.event, e.FeedbackGiven)]
    assert (given.score, given.counter, given.label) == (4, 1, "A001")


def test_hello_gets_the_current_show_and_status_is_kept_as_health(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.service.execute(c.CallNext(1), "user:agent")
    rig.link.until("disp-1", "show", "A001")
    rig.send("disp-1", "hello", "display", "0.1.0", "0", boot="33333333", seq=1)  # a reboot
    [show] = rig.link.wait("disp-1", "show")
    assert show.fields == ("0", "0", "A001")  # no blink for a rebooted display
    rig.send("disp-1", "status", "120", "41000", "-61", "2", str(show.seq), boot="33333333",
             seq=2)
    health = rig.registry.health["disp-1"]
    assert (health.uptime_s, health.heap, health.rssi, health.link_errors, health.shown,
            health.firmware) == (120, 41000, -61, 2, show.seq, "0.1.0")
    # five fields: firmware older than alloc and largest (protocol.md §2): those stay unknown
    assert (health.heap_alloc, health.heap_largest) == (None, None)


def test_status_alloc_and_largest_free_block_are_kept_as_health(rig: Rig):
    rig.send("disp-1", "hello", "display", "0.1.0", "0", boot="44444444", seq=1)
    rig.link.wait("disp-1", "show")
    rig.send("disp-1", "status", "60", "90000", "-61", "0", "0", "38912", "31744",
             boot="44444444", seq=2)
    health = rig.registry.health["disp-1"]
    assert (health.heap, health.heap_alloc, health.heap_largest) == (90000, 38912, 31744)
    rig.send("disp-1", "status", "120", "90000", "-", "0", "0", "40112", "-",
             boot="44444444", seq=3)  # a board without an IDF heap
    assert (health.heap_alloc, health.heap_largest, health.rssi) == (40112, None, None)


def test_a_hello_claiming_another_role_is_refused(rig: Rig):
    rig.send("disp-1", "hello", "counter", "0.1.0", "0")
    assert rig.gateway.rejected["wrong_role"] == 1


def test_show_versions_only_grow_across_a_bridge_restart(settings, clock, tmp_path):
    first = Rig(settings, clock, tmp_path)
    first.service.execute(c.OpenCounter(1), "user:agent")
    first.issue()
    first.gateway.start()
    first.service.execute(c.CallNext(1), "user:agent")
    before = first.link.until("disp-1", "show", "A001")
    first.gateway.stop()
    first.registry.close()
    first.store.close()
    second = Rig.__new__(Rig)  # the same files, reopened
    second.store = SqliteStore(settings.db_path, "NORMAL")
    second.service = QueueService(settings.site, second.store, clock)
    second.registry = DeviceRegistry(str(tmp_path / "devices.db"))
    second.gateway = DeviceGateway(second.service, second.registry)
    second.link = Recorder()
    second.gateway.attach("mqtt", second.link)
    second.gateway.start()
    after = [m for d, _, m in second.link.sent if d == "disp-1"]
    assert after and after[0].seq >= before.seq and after[0].fields[2] == "A001"
    second.gateway.stop()
    second.registry.close()
    second.store.close()


# ---- the registry --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, field", [
    ({"device_id": "Term 1", "role": "counter", "counter": 1}, "id"),
    ({"device_id": "t1", "role": "printer", "counter": 1}, "role"),
    ({"device_id": "t1", "role": "counter"}, "counter"),
    ({"device_id": "t1", "role": "counter", "counter": 99}, "counter"),
    ({"device_id": "t1", "role": "hall", "counter": 1}, "counter"),
    ({"device_id": "t1", "role": "counter", "counter": 1, "link": "radio"}, "link"),
    ({"device_id": "t1", "role": "counter", "counter": 1, "link": "serial"}, "serial_port"),
    ({"device_id": "t1", "role": "counter", "counter": 1, "link": "serial",
      "serial_port": "/dev/ttyUSB0", "serial_address": 300}, "serial_address"),
])
def test_the_registry_refuses_a_device_it_could_not_serve(tmp_path, kwargs, field):
    registry = DeviceRegistry(str(tmp_path / "d.db"), frozenset({1, 2}))
    with pytest.raises(RegistryError) as err:
        registry.add(**kwargs)
    assert err.value.field == field
    assert registry.all() == []


def test_the_registry_keeps_devices_and_replay_state_across_restarts(tmp_path):
    path = str(tmp_path / "d.db")
    registry = DeviceRegistry(path)
    dev = registry.add("t1", "counter", 1)
    assert registry.sequence("t1", "aaaaaaaa", 5).verdict == "fresh"
    assert registry.sequence("t1", "bbbbbbbb", 1).verdict == "fresh"  # a reboot
    registry.close()
    again = DeviceRegistry(path)
    assert again.get("t1") == dev
    assert again.sequence("t1", "aaaaaaaa", 9).verdict == "retired"
    assert again.sequence("t1", "bbbbbbbb", 1).verdict == "old"
    assert again.sequence("t1", "bbbbbbbb", 2).verdict == "fresh"
    assert (Path(path).stat().st_mode & 0o777) == 0o600  # it holds the device keys


def test_a_device_registered_by_another_process_is_known_at_its_first_message(rig: Rig):
    other = DeviceRegistry(rig.registry.db.execute("PRAGMA database_list").fetchone()[2])
    dev = other.add("disp-2", "display", 2)  # `suivant device add` while the bridge runs
    other.close()
    rig.devices["disp-2"] = dev
    rig.send("disp-2", "hello", "display", "0.1.0", "0")
    [show] = rig.link.wait("disp-2", "show")
    assert show.fields[2] == "----" and rig.gateway.rejected["unknown_device"] == 0


def test_a_closed_counter_does_not_beep(rig: Rig):
    rig.issue()  # counter 1 is closed: its agent is not there to hear it
    time.sleep(0.2)
    assert all(m.fields[0] == "0" for m in rig.link.take("term-1", "show"))


def test_a_device_whose_status_shows_an_old_version_gets_the_current_show_again(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.service.execute(c.CallNext(1), "user:agent")
    rig.link.until("disp-1", "show", "A001")
    time.sleep(0.2)  # the display worker has sent everything
    rig.link.take()
    current = rig.gateway.board.sent["disp-1"].version
    # its status says it still shows an older version: that show was lost on the way
    rig.send("disp-1", "status", "60", "40000", "-70", "0", str(current - 1))
    [again] = rig.link.wait("disp-1", "show")
    assert again.seq == current and again.fields == ("0", "0", "A001")
    rig.send("disp-1", "status", "70", "40000", "-70", "0", str(current))
    time.sleep(0.1)
    assert rig.link.take("disp-1", "show") == []  # up to date: nothing sent


# -- issue 10, finding 1: a press keeps its first answer, refusals included --------------------

def test_a_refused_press_resent_after_the_state_changed_is_still_refused_and_not_applied(
        rig: Rig):
    rig.issue()
    line = rig.send("term-1", "press", "next")  # the counter is still closed
    [first] = rig.link.wait("term-1", "ack")
    assert first.fields == ("refused", "counter_closed")
    rig.service.execute(c.OpenCounter(1), "user:agent")  # the agent opens it meanwhile
    rig.gateway.handle_line(line, "mqtt")  # the same press again: its ack was lost
    [again] = rig.link.wait("term-1", "ack")
    assert again.fields == ("refused", "counter_closed")
    assert rig.events().count("TicketCalled") == 0


def test_a_late_finish_never_serves_the_ticket_its_board_called_after_it(rig: Rig):
    """The outside tester's case: `finish` first refused (nothing in service), resent late,
    after the board's next `next` called A001: it must not serve A001 10 ms after its call."""
    rig.service.execute(c.OpenCounter(1), "user:agent")
    finish = rig.send("term-1", "press", "finish", seq=1)
    assert rig.link.wait("term-1", "ack")[0].fields == ("refused", "no_current_ticket")
    rig.issue()
    rig.send("term-1", "press", "next", seq=2)
    assert rig.link.wait("term-1", "ack")[0].fields == ("ok", "A001")
    rig.gateway.handle_line(finish, "mqtt")
    [ack] = rig.link.wait("term-1", "ack")
    assert (ack.seq, ack.fields) == (1, ("refused", "no_current_ticket"))
    assert "TicketServed" not in rig.events()


def test_a_press_that_arrives_after_a_later_press_of_its_boot_is_refused_as_stale(rig: Rig):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.issue()
    late = rig.line("term-1", "press", "absent", seq=1)  # lost on the way...
    rig.send("term-1", "press", "next", seq=2)
    assert rig.link.wait("term-1", "ack")[0].fields == ("ok", "A001")
    for _ in range(2):  # ...then arrives, twice: the same refusal, A001 keeps its turn
        rig.gateway.handle_line(late, "mqtt")
        [ack] = rig.link.wait("term-1", "ack")
        assert (ack.seq, ack.fields) == (1, ("refused", "stale"))
    assert "TicketAbsent" not in rig.events()


def test_a_lost_ack_is_found_after_many_other_messages_of_the_boot(rig: Rig):
    """Finding 3: hello and status share the seq counter; the answer is kept, not windowed."""
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    press = rig.send("term-1", "press", "next", seq=1)
    [first] = rig.link.wait("term-1", "ack")
    for seq in range(2, 80):
        rig.send("term-1", "status", "10", "40000", "-60", "0", "0", seq=seq)
    rig.gateway.handle_line(press, "mqtt")
    [again] = rig.link.wait("term-1", "ack")
    assert again.fields == first.fields == ("ok", "A001")
    assert rig.events().count("TicketCalled") == 1


def test_the_first_answer_survives_a_bridge_restart(rig: Rig, settings, clock, tmp_path):
    rig.issue()
    press = rig.send("term-1", "press", "next")
    assert rig.link.wait("term-1", "ack")[0].fields == ("refused", "counter_closed")
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.store.close()
    store = SqliteStore(settings.db_path, "NORMAL")  # the bridge again, from its files
    service = QueueService(settings.site, store, clock)
    gateway = DeviceGateway(service, rig.registry)
    link = Recorder()
    gateway.attach("mqtt", link)
    gateway.start()
    try:
        gateway.handle_line(press, "mqtt")
        [ack] = link.wait("term-1", "ack")
        assert ack.fields == ("refused", "counter_closed")
        assert service.read(lambda s: s.current_ticket(1)) is None
    finally:
        gateway.stop()
        store.close()


def test_a_stale_refusal_does_not_lower_the_boot_s_mark(rig: Rig):
    """Found by the order-and-faults run: seq 11 refused as stale (14 was decided) put the
    mark back to 11, so seq 12, arriving next, was applied after 14."""
    rig.service.execute(c.OpenCounter(1), "user:agent")
    for _ in range(3):
        rig.issue()
    late = [rig.line("term-1", "press", "next", seq=n) for n in (11, 12)]
    rig.send("term-1", "press", "next", seq=14)
    assert rig.link.wait("term-1", "ack")[0].fields == ("ok", "A001")
    for line in late:
        rig.gateway.handle_line(line, "mqtt")
        assert rig.link.wait("term-1", "ack")[0].fields == ("refused", "stale")
    assert rig.events().count("TicketCalled") == 1


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_a_payload_ending_with_a_line_ending_is_taken_as_the_line(rig: Rig, ending):
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.issue()
    rig.gateway.handle_line(rig.line("term-1", "press", "next") + ending, "mqtt", "term-1")
    assert rig.link.wait("term-1", "ack")[0].fields == ("ok", "A001")
    rig.gateway.handle_line(rig.line("term-1", "press", "next") + b"\r\n\r\n", "mqtt", "term-1")
    time.sleep(0.1)
    assert rig.gateway.rejected["bad_char"] == 1  # one line ending, not two


def test_a_message_of_a_known_boot_is_classified_while_the_registry_commits(tmp_path):
    """Issue 12: flush() held the registry's lock during its own transaction, so the MQTT
    thread's next message (sequence()) waited for the commit. Now only the SQL waits."""
    import threading

    from host_bridge.links.registry import FRESH, DeviceRegistry
    registry = DeviceRegistry(str(tmp_path / "devices.db"))
    try:
        registry.add("term-1", "counter", 1)
        assert registry.sequence("term-1", "0a1b2c3d", 1).verdict == FRESH  # its boot, on disk
        assert registry.sequence("term-1", "0a1b2c3d", 2).verdict == FRESH  # to flush
        in_commit, release = threading.Event(), threading.Event()
        executemany = registry.db.executemany

        def slow_commit(sql, rows):  # the transaction held open until the test says
            in_commit.set()
            release.wait(10)
            return executemany(sql, rows)
        registry.db.executemany = slow_commit  # type: ignore[method-assign]
        flushing = threading.Thread(target=registry.flush)
        flushing.start()
        assert in_commit.wait(5)
        verdicts = []
        classify = threading.Thread(
            target=lambda: verdicts.append(registry.sequence("term-1", "0a1b2c3d", 3).verdict))
        classify.start()
        classify.join(5)
        done_during_commit = not classify.is_alive()
        release.set()
        flushing.join(5)
        classify.join(5)
        assert done_during_commit and verdicts == [FRESH]
    finally:
        registry.close()


def test_after_a_failed_refresh_the_next_one_draws_every_counter_again(rig: Rig, monkeypatch):
    """Issue 12: a refresh reads only the counters its events touched; one that failed must
    not leave its counters' displays behind until their next event."""
    rig.service.execute(c.OpenCounter(1), "user:agent")
    rig.service.execute(c.OpenCounter(2), "user:agent")
    rig.issue()
    rig.issue()
    time.sleep(0.3)
    rig.link.take()
    board = rig.gateway.board
    changes = board.changes
    failed = threading.Event()

    def fails_once(*args, **kwargs):
        if not failed.is_set():
            failed.set()
            raise RuntimeError("a bug in drawing")
        return changes(*args, **kwargs)
    monkeypatch.setattr(board, "changes", fails_once)
    rig.service.execute(c.CallNext(1), "user:agent")  # its refresh fails: disp-1 not drawn
    assert failed.wait(5)
    time.sleep(0.3)
    assert not rig.link.take("disp-1", "show")
    rig.service.execute(c.CallNext(2), "user:agent")  # counter 2 only: disp-1 drawn all the same
    assert rig.link.until("disp-1", "show", "A001").fields[2] == "A001"
