"""The logs never hold a citizen's data or a secret (issue 16): a real `suivant serve` at debug
level, JSON lines, through a whole scenario — tickets over HTTP, a staff sign-in with a
password, an SMS number, a push subscription whose push fails, appointments checked in by
their code and ANTS number, a citizen's question and its answer, a survey comment, a board
on a real Mosquitto
with accounts that says hello and then sends a line with a bad MAC, refused commands, the
broker lost — then
everything it wrote is searched for each secret and number the scenario used."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import paho.mqtt.client as paho
import pytest

from host_bridge.links.mosquitto_config import write_broker_config
from host_bridge.links.registry import DeviceRegistry
from mosquitto_broker import MosquittoBroker
from simulators.bridge_process import BridgeProcess
from support import ROOT

sys.path.append(str(ROOT / "tests" / "notifications"))
from sms_provider import FakeProvider, forms  # noqa: E402

pytestmark = pytest.mark.slow  # a bridge process, Mosquitto, an Argon2 sign-in: about 6 s

SITE = "mairie-villeneuve"
BRIDGE_USER, BRIDGE_PASSWORD = "suivant-bridge", "bridge-secret-logs-7"
PHONE = "+33698765432"
SMS_KEY, INBOUND_SECRET = "brevo-key-logs-5f2a9c", "inbound-secret-logs-8e1d4b"
STAFF_PASSWORD = "camille-guichet-logs-31"
PUSH_PATH = "fcm-endpoint-logs-d41d8cd98f00b204"
BOOT = "10a5f00d"
QUESTION = "Mon voisin Gaspard Lefebvre peut-il venir à ma place"  # what citizens type...
ANSWER = "Oui avec une procuration signée de Gaspard"  # ...what staff answer
COMMENT = "Agent Bertrand très aimable au guichet"  # ...and the survey's comments


def _http(base: str, method: str, path: str, body=None, token: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def _config(folder: Path, mqtt_port: int, sms_port: int) -> Path:
    text = (ROOT / "examples" / "mairie.toml").read_text(encoding="utf-8")
    text = text.replace("refuse_outside_hours = true", "refuse_outside_hours = false")
    (folder / "passeports-cni.ics").write_bytes((ROOT / "examples" / "passeports-cni.ics")
                                                .read_bytes())
    (folder / "brevo.key").write_text(SMS_KEY)
    (folder / "inbound.secret").write_text(INBOUND_SECRET)
    text += f"""
[limits]
unlimited_addresses = ["127.0.0.1"]

[mqtt]
url = "mqtt://127.0.0.1:{mqtt_port}"
username = "{BRIDGE_USER}"
password = "{BRIDGE_PASSWORD}"

[notifications.sms]
provider = "brevo"
sender = "MAIRIE"
api_key_file = "brevo.key"
url = "http://127.0.0.1:{sms_port}/v3/transactionalSMS/send"
timeout_seconds = 1
retries = 1
inbound_secret_file = "inbound.secret"
"""
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _board(port: int, device, line_fields) -> paho.Client:
    """A counter board on the broker with its own account: online, a hello, then a line whose
    MAC is wrong."""
    base = f"suivant/{SITE}/d/{device.id}/"
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=device.id,
                         protocol=paho.MQTTv311)
    client.username_pw_set(device.id, device.broker_password)
    client.will_set(base + "status", b"offline", qos=1, retain=True)
    connected: queue.Queue = queue.Queue()
    client.on_connect = lambda *a: connected.put(True)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    connected.get(timeout=10)
    client.publish(base + "status", b"online", qos=1, retain=True)

    def line(seq: int, *fields: str, key: bytes = device.key) -> bytes:
        text = "|".join(["SV1", "hello", device.id, BOOT, str(seq), *fields]) + "|"
        return (text + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]).encode()
    client.publish(base + "up", line(1, *line_fields), qos=1)
    client.publish(base + "up", line(2, *line_fields, key=b"\x00" * 32), qos=1)  # bad MAC
    return client


def _until(check, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def _push_keys() -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return {"p256dh": b64(public), "auth": b64(os.urandom(16))}


def _staff_account(folder: Path) -> None:
    from argon2 import PasswordHasher

    from host_bridge.service.clock import SiteClock
    from host_bridge.staff import StaffDirectory, staff_path
    from host_bridge.staff.passwords import Passwords
    clock = SiteClock("Europe/Paris")
    staff = StaffDirectory(staff_path(str(folder / "queue.db")), clock, clock.tz,
                           passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024,
                                                              parallelism=1)))
    try:
        staff.create("test", "camille", "Camille Martin", "agent", [], STAFF_PASSWORD, via="test")
    finally:
        staff.close()


def test_a_whole_scenario_at_debug_level_logs_no_secret_and_no_number(tmp_path):
    registry = DeviceRegistry(str(tmp_path / "devices.db"), frozenset({1, 2, 3, 4}))
    term = registry.add("term-1", "counter", 1)
    files = write_broker_config(tmp_path / "broker", SITE, registry.all(), BRIDGE_USER,
                                BRIDGE_PASSWORD)
    registry.close()
    broker = MosquittoBroker(
        extra="allow_anonymous false\nuse_username_as_clientid true\n"
              "password_file {folder}/passwd\nacl_file {folder}/acl\n",
        files={"passwd": files.passwd.read_text(), "acl": files.acl.read_text()})
    broker.start()
    _staff_account(tmp_path)
    secrets = [BRIDGE_PASSWORD, SMS_KEY, INBOUND_SECRET, STAFF_PASSWORD, PUSH_PATH,
               term.key.hex(), term.broker_password, *forms(PHONE), "demo-agent", "demo-borne",
               "P7K2QX", "ZZ9ZZ9", "AB12CD34EF", "Durand Jeanne", "Martin Paul", "Jeanne",
               QUESTION, ANSWER, COMMENT, "Gaspard", "Bertrand"]
    with FakeProvider() as provider:
        config = _config(tmp_path, broker.port, int(provider.url.rsplit(":", 1)[1]))
        bridge = BridgeProcess(config, tmp_path / "queue.db",
                               extra=("--log-format", "json", "--log-level", "debug"))
        # the push leaves through a proxy that refuses: a failed push, logged, no outside call
        with mock.patch.dict(os.environ, {"https_proxy": "http://127.0.0.1:9",
                                          "HTTPS_PROXY": "http://127.0.0.1:9"}):
            bridge.start()
        board = None
        try:
            url = bridge.url
            tickets = []
            for service in ("accueil", "accueil", "etat-civil"):
                status, body = _http(url, "POST", "/api/tickets", {"service": service})
                assert status == 201, body
                tickets.append(body["ticket"]["id"])
            secrets += tickets
            assert _http(url, "POST", f"/api/tickets/{tickets[0]}/sms", {"phone": PHONE})[0] \
                in (200, 201)
            assert _http(url, "POST", f"/api/tickets/{tickets[1]}/push", {
                "endpoint": f"https://fcm.googleapis.com/fcm/send/{PUSH_PATH}",
                "keys": _push_keys()})[0] == 201
            status, signed = _http(url, "POST", "/api/staff/sign-in",
                                   {"login": "camille", "password": STAFF_PASSWORD})
            assert status == 200, signed
            session = signed["token"]
            secrets.append(session)
            assert _http(url, "POST", "/api/staff/sign-in",
                         {"login": "camille", "password": STAFF_PASSWORD + "x"})[0] == 401
            assert _http(url, "POST", "/api/counters/1/next", token=session)[0] == 409  # closed
            assert _http(url, "POST", "/api/counters/1/open", token=session)[0] == 200
            for _ in range(2):  # the SMS ticket, then the push one: both told
                assert _http(url, "POST", "/api/counters/1/next", token=session)[0] == 200
            assert _http(url, "POST", f"/api/tickets/{tickets[0]}/cancel")[0] == 409
            # issue 17: a question to the reception, its answer, a refused burst, the survey of
            # the ticket served (with a comment), a survey refused (not served)
            ask = f"/api/tickets/{tickets[2]}/questions"
            assert _http(url, "POST", ask + "/match", {"text": QUESTION})[0] == 200
            assert _http(url, "POST", ask, {"text": QUESTION})[0] == 201
            assert _http(url, "POST", ask, {"text": QUESTION + " ?"})[0] == 429
            desk = _http(url, "GET", "/api/questions", token=session)[1]["conversations"]
            secrets.append(desk[0]["id"])
            assert _http(url, "POST", f"/api/questions/{desk[0]['id']}/answer",
                         {"text": ANSWER, "faq_entry": None}, token=session)[0] == 200
            assert _http(url, "POST", "/api/counters/1/finish", token=session)[0] == 200
            assert _http(url, "POST", f"/api/tickets/{tickets[0]}/survey",
                         {"score": 2, "comment": COMMENT})[0] == 201
            assert _http(url, "POST", f"/api/tickets/{tickets[2]}/survey",
                         {"score": 4, "comment": COMMENT})[0] == 409
            assert _http(url, "GET", "/api/devices", token="demo-agent")[0] == 403
            # appointments (examples/passeports-cni.ics): a code, a wrong one, an ANTS number;
            # checked in or refused as late or missed, whatever the hour
            for key in ("P7K2QX", "ZZ9ZZ9", "AB12CD34EF"):
                assert _http(url, "POST", "/api/appointments/check-in", {"key": key},
                             token="demo-borne")[0] in (200, 201, 404, 409, 422)
            board = _board(broker.port, term, ("counter", "1.0.0", "0"))
            _until(lambda: (_http(url, "GET", "/api/devices", token="demo-superviseur")[1]
                            ["devices"][0]["bad_messages"]), "the bad line counted")
            provider.wait(2)  # the confirmation and the call reached the provider
            broker.stop()  # the bridge's link to it breaks: a link error
            _until(lambda: '"link_error"' in bridge.log_path.read_text(encoding="utf-8"),
                   "the lost broker logged")
        finally:
            if board is not None:
                board.loop_stop()
                board.disconnect()
            bridge.stop()
            broker.stop()
    log = bridge.log_path.read_text(encoding="utf-8", errors="replace")
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    events = {r.get("event") for r in records}
    # the scenario's events are there, as JSON lines: the search below reads a real log
    assert {"command_refused", "device_online", "bad_device_message", "link_error"} <= events, \
        events
    assert not [line for line in log.splitlines() if line.startswith("Traceback")]
    found = [s for s in secrets if s in log]
    assert not found, f"in the bridge's log: {found}"
    assert not re.search(r"\b0?6 ?98 ?76 ?54 ?32\b", log)
