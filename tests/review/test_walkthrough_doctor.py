"""Walkthrough of operations.md §15-18 on Debian 12 (W1): `suivant doctor` run as §15 step 6
writes it (no --url) while the bridge runs on another port than its unit's. Doctor found the
bridge's process on the database ("yet a bridge (pid N) serves this database"), then connected
to the broker with the bridge's own account: Mosquitto closed the bridge's connection ("Client
suivant-bridge already connected, closing old connection"), and the bridge logged a link error.
§18 says doctor never connects while the bridge is connected. Fails while that bug is there."""
from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time

from host_bridge.doctor import link_checks
from host_bridge.doctor.bridge_view import BridgeView
from mosquitto_broker import MosquittoBroker
from suivant_fw.mqtt import connect_packet
from support import example_settings

# a process named as the bridge is (`suivant serve`), holding the database's lock as it does
_SERVING = """
import sys, time
from host_bridge.store.bridge_lock import BridgeLock
BridgeLock(sys.argv[1]).acquire()
print("ready", flush=True)
time.sleep(60)
"""


def test_doctor_does_not_push_a_running_bridge_off_the_broker_when_its_url_is_wrong(tmp_path):
    base = example_settings(tmp_path)
    with MosquittoBroker() as broker:
        mqtt = dataclasses.replace(base.mqtt, host="127.0.0.1", port=broker.port,
                                   embedded=False, username="suivant-bridge",
                                   password="not-checked-here")
        settings = dataclasses.replace(base, mqtt=mqtt)
        client_id = mqtt.client_id or f"suivant-bridge-{settings.site.id}"
        bridge = subprocess.Popen([sys.executable, "-c", _SERVING, settings.db_path, "serve"],
                                  stdout=subprocess.PIPE, text=True)
        link = socket.create_connection(("127.0.0.1", broker.port), timeout=2)
        try:
            assert bridge.stdout.readline().strip() == "ready"
            assert link_checks.serving_pid(settings.db_path) == bridge.pid
            # the bridge's own MQTT connection, as it connects (clean session false)
            link.sendall(connect_packet(client_id, 30, mqtt.username, mqtt.password, None,
                                        clean=False))
            assert link.recv(4) == b"\x20\x02\x00\x00"
            # doctor without the bridge's address: GET /api/health was refused
            view = BridgeView("http://127.0.0.1:8080", error="Connection refused")
            findings = link_checks.broker(settings, view)
            link.settimeout(0.3)
            try:
                closed = link.recv(1) == b""
            except socket.timeout:
                closed = False
        finally:
            link.close()
            bridge.kill()
            bridge.wait()
        time.sleep(0.05)  # the broker's log line
        assert not closed, ("doctor pushed the running bridge off the broker:\n"
                            + broker.log_text()[-600:] + f"\nfindings: {findings}")
        assert "closing old connection" not in broker.log_text()
