"""suivant_fw.mqtt, the boards' MQTT 3.1.1 session: byte-exact vectors under CPython and
MicroPython (source and .mpy), and hypothesis properties of the parser. Against a real broker:
test_link_mqtt.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import check_mqtt_vectors
import pytest
from checker_runs import FORMS, run_checker, vector_counts
from hypothesis import given, settings
from hypothesis import strategies as st
from suivant_fw import mqtt

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_mqtt_vectors.py"
VECTORS_FILE = HERE / "vectors" / "mqtt.json"
VECTORS = check_mqtt_vectors.load(str(VECTORS_FILE))


@pytest.mark.parametrize("section, case", list(check_mqtt_vectors.cases(VECTORS)),
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_mqtt_vector(section: str, case: dict) -> None:
    check_mqtt_vectors.check(section, case)


def test_checker_passes_under_cpython() -> None:
    done = subprocess.run([sys.executable, str(CHECKER)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    passed, failed = vector_counts("mqtt", done.stdout)
    assert passed == sum(len(VECTORS[s]) for s in check_mqtt_vectors.SECTIONS) and failed == 0


def test_checker_fails_on_a_wrong_vector(tmp_path: Path) -> None:
    vectors = json.loads(VECTORS_FILE.read_text())
    vectors["encode"][3]["hex"] = "3004000161 79"  # payload 'y' where the packet has 'x'
    vectors["keepalive"][1]["steps"][3][2] = ""  # the ping is due at 5000 ms
    path = tmp_path / "mqtt.json"
    path.write_text(json.dumps(vectors))
    done = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert vector_counts("mqtt", done.stdout)[1] == 2, done.stdout


@pytest.mark.parametrize("form", FORMS)
def test_checker_passes_under_micropython(form: str, tmp_path: Path) -> None:
    result = run_checker(CHECKER, form, tmp_path, "mqtt.json")
    assert result.returncode == 0, result.output
    passed, failed = vector_counts("mqtt", result.stdout)
    assert passed > 0 and failed == 0, result.output


# ---- properties ----------------------------------------------------------------------------

def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


topics = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), min_size=1,
                 max_size=60)


@settings(max_examples=300, deadline=None)
@given(topic=topics, payload=st.binary(max_size=440), qos=st.sampled_from([0, 1]),
       retain=st.booleans(), pid=st.integers(1, 0xFFFF),
       cuts=st.lists(st.integers(0, 600), max_size=8))
def test_a_publish_parses_back_whatever_the_chunking(topic: str, payload: bytes, qos: int,
                                                     retain: bool, pid: int,
                                                     cuts: list[int]) -> None:
    packet = mqtt.publish_packet(topic, payload, qos, retain, pid)
    s = mqtt.Session("dev")
    events = [ev for chunk in _chunks(packet + b"\xd0\x00", cuts) for ev in s.feed(chunk, 0)]
    assert events == [(mqtt.MESSAGE, topic, payload, int(retain)), (mqtt.PINGRESP,)]
    assert s.take_output() == (mqtt.puback_packet(pid) if qos else b"")


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=700), cuts=st.lists(st.integers(0, 700), max_size=6))
def test_random_bytes_give_events_or_mqtt_error_never_a_crash(data: bytes,
                                                              cuts: list[int]) -> None:
    s = mqtt.Session("dev")
    try:
        for chunk in _chunks(data, cuts):
            for ev in s.feed(chunk, 0):
                assert ev[0] in (mqtt.CONNACK, mqtt.MESSAGE, mqtt.SUBACK, mqtt.PUBACK,
                                 mqtt.PINGRESP)
    except mqtt.MqttError as e:
        assert e.code in ("bad_packet", "bad_length", "bad_credentials", "not_authorised",
                          "bad_protocol", "id_rejected", "unavailable", "refused")
    assert len(s._buf) == mqtt.MAX_PACKET  # the receive buffer never grows


@settings(max_examples=200, deadline=None)
@given(size=st.integers(mqtt.MAX_PACKET + 1, 5000))
def test_an_oversize_packet_is_skipped_without_buffering(size: int) -> None:
    body = b"\x00\x01t" + b"x" * (size - 3)
    packet = mqtt.publish_packet("t", b"x" * (size - 3))
    assert len(packet) > size  # header + body
    s = mqtt.Session("dev")
    assert s.feed(packet + b"\x40\x02\x00\x09", 0) == [(mqtt.PUBACK, 9)]
    assert s.oversize == 1 and len(body) == size


@pytest.mark.parametrize("keepalive", [0, 65536])
def test_keepalive_out_of_range_is_refused(keepalive: int) -> None:
    with pytest.raises(ValueError):
        mqtt.Session("dev", keepalive)
