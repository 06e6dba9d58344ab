"""`suivant broker-config` against a real Mosquitto started with the files it writes: a wrong
password is refused, a device publishing or reading under another device's name gets nothing
through, a bad MAC that the broker lets through is refused by the bridge, and the virtual boards
work end to end with their own accounts. Also how the files are written again by the device
commands (only where broker-config wrote them, keeping the folder's group) and how Mosquitto
is signalled (only a Mosquitto). The generated mosquitto.conf's own rules (client ids, packet
size) and the reload are tested in test_device_isolation.py.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from host_bridge.domain import commands as c
from host_bridge.links.mosquitto_config import (password_line, reload_mosquitto, write_accounts,
                                                 write_broker_config)
from host_bridge.links.registry import BrokerFiles, DeviceRegistry
from host_bridge.site_config import MqttSettings
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker
from suivant_fw.message import Message, encode
from support import EXAMPLE

BRIDGE_USER, BRIDGE_PASSWORD = "suivant-bridge", "bridge-secret-1"


def client(port: int, user: str, password: str, name: str | None = None) -> tuple[paho.Client, int]:
    """A connected paho client and the CONNACK's reason (0 = accepted)."""
    done: queue.Queue[int] = queue.Queue()
    cl = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=name or user)
    cl.username_pw_set(user, password)
    cl.on_connect = lambda c_, u, f, reason, p=None: done.put(reason.value)
    cl.connect("127.0.0.1", port)
    cl.loop_start()
    try:
        reason = done.get(timeout=5)
    except queue.Empty:
        reason = -1
    return cl, reason


class Collector:
    def __init__(self, cl: paho.Client, topic: str):
        self.got: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        cl.on_message = lambda c_, u, m: self.got.append((m.topic, m.payload))
        cl.on_subscribe = lambda *a: self.subscribed.set()
        cl.subscribe(topic, qos=1)
        assert self.subscribed.wait(5)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[DeviceRegistry]:
    reg = DeviceRegistry(str(tmp_path / "devices.db"))
    yield reg
    reg.close()


@pytest.fixture
def acl_broker(tmp_path: Path, registry: DeviceRegistry) -> Iterator[MosquittoBroker]:
    for device_id, role, counter in (("term-3", "counter", 3), ("disp-3", "display", 3),
                                     ("hall", "hall", None), ("term-1", "counter", 1)):
        registry.add(device_id, role, counter)
    files = write_broker_config(tmp_path / "broker", "mairie-villeneuve", registry.all(),
                                BRIDGE_USER, BRIDGE_PASSWORD)
    extra = ("allow_anonymous false\npassword_file {folder}/passwd\nacl_file {folder}/acl\n")
    with MosquittoBroker(extra=extra, files={"passwd": files.passwd.read_text(),
                                             "acl": files.acl.read_text()}) as broker:
        yield broker


def test_passwords_are_written_as_mosquitto_passwd_writes_them(tmp_path: Path):
    ours = password_line("dev1", "secret", salt=b"0123456789ab")
    assert ours.startswith("dev1:$7$101$MDEyMzQ1Njc4OWFi$")
    with pytest.raises(ValueError):
        password_line("a:b", "x")


def test_the_right_password_gets_in_a_wrong_one_does_not(acl_broker: MosquittoBroker, registry: DeviceRegistry):
    dev = registry.get("term-3")
    good, reason = client(acl_broker.port, dev.id, dev.broker_password)
    good.disconnect()
    assert reason == 0
    bad, reason = client(acl_broker.port, dev.id, "not-its-password")
    bad.loop_stop()
    assert reason in (5, 135)  # CONNACK "not authorised" (3.1.1 code 5; paho 2 says 135)
    anonymous, reason = client(acl_broker.port, "", "")
    anonymous.loop_stop()
    assert reason != 0


def test_a_device_cannot_speak_or_listen_for_another(acl_broker: MosquittoBroker,
                                                    registry: DeviceRegistry):
    site = "suivant/mairie-villeneuve/d"
    bridge, _ = client(acl_broker.port, BRIDGE_USER, BRIDGE_PASSWORD, "bridge")
    seen = Collector(bridge, f"{site}/+/up")
    term3, term1 = registry.get("term-3"), registry.get("term-1")
    rogue, reason = client(acl_broker.port, term1.id, term1.broker_password)
    assert reason == 0
    spy = Collector(rogue, f"{site}/term-3/#")  # allowed to subscribe; delivers nothing
    rogue.publish(f"{site}/term-3/up", b"pretending to be term-3", qos=1).wait_for_publish(5)
    rogue.publish(f"{site}/term-1/up", b"its own topic", qos=1).wait_for_publish(5)
    bridge.publish(f"{site}/term-3/show", b"for term-3 only", qos=1, retain=True).wait_for_publish(5)
    time.sleep(0.5)
    for cl in (bridge, rogue):
        cl.loop_stop()
        cl.disconnect()
    assert seen.got == [(f"{site}/term-1/up", b"its own topic")]
    assert spy.got == []
    del term3


def test_boards_work_end_to_end_with_their_own_accounts_and_a_forged_mac_is_refused(
        settings, clock, tmp_path: Path, acl_broker: MosquittoBroker, registry: DeviceRegistry):
    import dataclasses
    registry.close()
    rig = LinkRig(settings, clock, tmp_path, acl_broker)
    rig.settings = dataclasses.replace(rig.settings, mqtt=MqttSettings(
        host="127.0.0.1", port=acl_broker.port, embedded=False, username=BRIDGE_USER,
        password=BRIDGE_PASSWORD, client_id="suivant-bridge-test"))
    try:
        rig.start_bridge()
        boards = [rig.board_for(rig.registry.get(d)) for d in ("term-3", "disp-3")]
        rig.farm.wait(lambda: all(b.dev.link == 2 for b in boards), what="boards online")
        rig.run(c.OpenCounter(3))
        label = rig.issue("passeports-cni")
        rig.farm.press("term-3", "next")
        rig.farm.wait(lambda: boards[1].dev.line1 == label, what="display shows it")
        # term-3's own account may publish on term-3's topic: the broker lets a forged line
        # through, the bridge refuses it
        dev = rig.registry.get("term-3")
        forger, _ = client(acl_broker.port, dev.id, dev.broker_password, "forger")
        forged = encode(Message("press", "term-3", "deadbeef", 1, ("next",)), b"\x09" * 32)
        forger.publish("suivant/mairie-villeneuve/d/term-3/up", forged, qos=1).wait_for_publish(5)
        time.sleep(0.3)
        forger.loop_stop()
        forger.disconnect()
        assert rig.gateway.rejected["bad_mac"] == 1
        assert rig.history().count("TicketCalled") == 1
    finally:
        rig.stop()


def test_broker_config_command_writes_the_files_or_says_what_is_missing(tmp_path: Path):
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text())
    run = lambda *a: subprocess.run([sys.executable, "-m", "host_bridge.cli", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    done = run("broker-config", "--config", str(site), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "[mqtt] username and password" in done.stderr
    assert not (tmp_path / "out").exists()
    site.write_text(EXAMPLE.read_text() + '\n[mqtt]\nurl = "mqtt://127.0.0.1:1883"\n'
                    'username = "suivant-bridge"\npassword = "pw"\n')
    added = run("device", "add", "--config", str(site), "term-2", "--role", "counter",
                "--counter", "2")
    assert added.returncode == 0 and "key:" in added.stdout and "broker password:" in added.stdout
    refused = run("device", "add", "--config", str(site), "term-9", "--role", "counter")
    assert refused.returncode == 2 and "give its number" in refused.stderr
    # --no-reload: no Mosquitto of this machine's is signalled (the default pid file is
    # Debian's, the system broker's)
    done = run("broker-config", "--config", str(site), "--out", str(tmp_path / "out"),
               "--no-reload")
    assert done.returncode == 0, done.stderr
    acl = (tmp_path / "out" / "acl").read_text()
    assert "user term-2\ntopic write suivant/mairie-villeneuve/d/term-2/up" in acl
    assert (tmp_path / "out" / "passwd").read_text().count("\n") == 2  # bridge + term-2
    conf = (tmp_path / "out" / "mosquitto.conf").read_text()
    assert "\nuse_username_as_clientid true\n" in conf and "\nmax_packet_size 1024\n" in conf
    # from now on the device commands keep the accounts up to date
    added = run("device", "add", "--config", str(site), "term-4", "--role", "counter",
                "--counter", "4")
    assert added.returncode == 0, added.stderr
    assert f"broker accounts rewritten in {tmp_path / 'out'}" in added.stdout
    assert "reload Mosquitto now" in added.stdout
    assert (tmp_path / "out" / "passwd").read_text().count("\n") == 3
    refused = run("device", "add", "--config", str(site), "suivant-bridge", "--role", "hall")
    assert refused.returncode == 2 and "the bridge's broker user name" in refused.stderr


def test_the_device_commands_rewrite_only_a_folder_broker_config_wrote(tmp_path: Path):
    # the folder's name is in the registry, which the bridge's user can write; the commands
    # may run as root: a folder without broker-config's mosquitto.conf is left alone
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text() + '\n[mqtt]\nurl = "mqtt://127.0.0.1:1883"\n'
                    'username = "suivant-bridge"\npassword = "pw"\n')
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    (elsewhere / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    registry = DeviceRegistry(str(tmp_path / "devices.db"))
    registry.set_broker_files(BrokerFiles(str(elsewhere), None))
    registry.close()
    added = subprocess.run([sys.executable, "-m", "host_bridge.cli", "device", "add", "--config",
                            str(site), "term-2", "--role", "counter", "--counter", "2"],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert "holds no mosquitto.conf written by broker-config" in added.stderr
    assert (elsewhere / "passwd").read_text() == "root:x:0:0::/root:/bin/sh\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["passwd"]


def test_files_written_again_keep_the_folders_group_and_mode(tmp_path: Path,
                                                             registry: DeviceRegistry):
    folder = tmp_path / "broker"
    write_broker_config(folder, "mairie-villeneuve", [], BRIDGE_USER, BRIDGE_PASSWORD)
    group = 1 if os.geteuid() == 0 else os.getgid()  # root can give it any group
    os.chown(folder, -1, group)  # chown root:mosquitto, as operations.md says
    registry.add("term-3", "counter", 3)
    write_accounts(folder, "mairie-villeneuve", registry.all(), BRIDGE_USER, BRIDGE_PASSWORD)
    for name in ("passwd", "acl"):
        st = (folder / name).stat()
        assert (st.st_gid, st.st_mode & 0o777) == (group, 0o640), name
    assert sorted(p.name for p in folder.iterdir()) == ["acl", "mosquitto.conf", "passwd"]


def test_a_pid_file_naming_another_process_than_mosquitto_is_not_signalled(tmp_path: Path):
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test: SIGHUP would end it
    assert "is not Mosquitto" in reload_mosquitto(str(pid_file))
    assert "no Mosquitto pid" in reload_mosquitto(str(tmp_path / "none.pid"))
