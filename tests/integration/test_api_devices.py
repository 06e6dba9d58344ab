"""GET /api/devices: the registry and the devices' health, for supervisors and admins only, and
never a key or a broker password."""
from __future__ import annotations

from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from suivant_fw.message import Message, encode
from support import ADMIN, AGENT, SUPERVISOR


def test_supervisors_see_devices_and_their_health_without_secrets(settings, clock):
    bridge = build(settings, clock)
    try:
        dev = bridge.registry.add("term-2", "counter", 2)
        bridge.registry.add("hall", "hall")
        bridge.gateway.handle_line(encode(Message("status", "term-2", "0badf00d", 1,
                                                  ("30", "41000", "-67", "1", "0", "38912",
                                                   "31744")), dev.key), "mqtt")
        with TestClient(bridge.app) as client:
            assert client.get("/api/devices").status_code == 401
            assert client.get("/api/devices", headers=AGENT).status_code == 403
            for who in (SUPERVISOR, ADMIN):
                r = client.get("/api/devices", headers=who)
                assert r.status_code == 200
            body = r.json()
        term = next(d for d in body["devices"] if d["id"] == "term-2")
        assert (term["role"], term["counter"], term["link"], term["rssi"], term["free_heap"],
                term["uptime_s"], term["link_errors"]) == ("counter", 2, "mqtt", -67, 41000, 30, 1)
        assert (term["heap_alloc"], term["heap_largest_block"]) == (38912, 31744)
        assert term["last_seen"] is not None and term["online"] is True  # it spoke
        text = r.text
        assert dev.key.hex() not in text and dev.broker_password not in text
        assert [d["id"] for d in body["devices"]] == ["hall", "term-2"]
    finally:
        bridge.close()


def test_malformed_and_wrong_topic_lines_are_counted_against_the_topic_s_device(settings, clock):
    """Issue 10: 0 of 26 spoofed lines were counted. A line on term-2's topic that names
    hall, and garbage on it, count against term-2; unknown senders only by reason."""
    bridge = build(settings, clock)
    try:
        dev = bridge.registry.add("term-2", "counter", 2)
        hall = bridge.registry.add("hall", "hall")
        spoof = encode(Message("status", "hall", "0badf00d", 1, ("1", "1", "-", "0", "0")),
                       hall.key)
        for _ in range(13):
            bridge.gateway.handle_line(spoof, "mqtt", "term-2")
            bridge.gateway.handle_line(b"SV1|press|term-2|\xff", "mqtt", "term-2")
        bridge.gateway.handle_line(b"garbage", "mqtt", "nobody")
        with TestClient(bridge.app) as client:
            body = client.get("/api/devices", headers=SUPERVISOR).json()
        term = next(d for d in body["devices"] if d["id"] == "term-2")
        assert term["refused"] == {"not_its_topic": 13, "bad_char": 13}
        assert term["bad_messages"] == 26
        assert body["links"]["refused"] == {"not_its_topic": 13, "bad_char": 13,
                                            "bad_magic": 1}
        assert dev.key.hex() not in str(body)
    finally:
        bridge.close()


def test_each_board_s_place_in_the_latest_firmware_rollout(settings, clock):
    """Issue 11: the rollout and each of its boards, as the boards report (protocol.md §9)."""
    bridge = build(settings, clock)
    try:
        dev = bridge.registry.add("term-2", "counter", 2)
        bridge.registry.add("hall", "hall")
        store = bridge.update_store
        with TestClient(bridge.app) as client:
            assert client.get("/api/devices", headers=SUPERVISOR).json()["rollout"] is None
            build_n = store.add_build("counter", "mqtt", "0.2.0+x",
                                      [("suivant_fw/app.mpy", b"x")]).build
            rid = store.start_rollout([("term-2", build_n, 0)], 5, 300)
            from host_bridge.ota.rollout import Updates
            updates = Updates(store, bridge.registry, lambda d, m: None)
            bridge.gateway.updates = updates
            bridge.gateway.handle_line(encode(Message(
                "report", "term-2", "0badf00d", 1, ("0", str(build_n), "loading", "40%")),
                dev.key), "mqtt")
            body = client.get("/api/devices", headers=SUPERVISOR).json()
        rollout = body["rollout"]
        assert (rollout["id"], rollout["state"], rollout["boards"], rollout["by_state"]) == \
            (rid, "running", 1, {"loading": 1})
        term = next(d for d in body["devices"] if d["id"] == "term-2")
        assert (term["update"]["build"], term["update"]["state"], term["update"]["detail"],
                term["update"]["running"]) == (build_n, "loading", "40%", 0)
        assert next(d for d in body["devices"] if d["id"] == "hall")["update"] is None
    finally:
        bridge.close()
