"""Checks suivant_fw.mqtt (packets and the session) against vectors/mqtt.json; runs on CPython
and on MicroPython.

    python3 tests/firmware/check_mqtt_vectors.py [path/to/mqtt.json]
    micropython tests/firmware/check_mqtt_vectors.py [path/to/mqtt.json]

Hex in the vectors may hold spaces (for reading); a chunk "78:597" is byte 0x78 597 times.
Prints `mqtt vectors: N passed, M failed`; exits 1 on any failure (plumbing: vector_check.py).
"""
import vector_check
from vector_check import Failed, load
from vector_check import expect as _expect

VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/mqtt.json")

from binascii import hexlify, unhexlify

from suivant_fw import mqtt

SECTIONS = ("encode", "feed", "keepalive")
_EVENTS = {mqtt.CONNACK: "connack", mqtt.MESSAGE: "message", mqtt.SUBACK: "suback",
           mqtt.PUBACK: "puback", mqtt.PINGRESP: "pingresp"}


def _bytes(text):
    text = text.replace(" ", "")
    if ":" in text:
        byte, n = text.split(":")
        return unhexlify(byte) * int(n)
    return unhexlify(text)


def _hex(data):
    return str(hexlify(data), "ascii")


def check_encode(case):
    a = case["args"]
    call = case["call"]
    if call == "connect":
        will = a.get("will")
        got = mqtt.connect_packet(a["client_id"], a["keepalive_s"], a.get("user"),
                                  a.get("password"), None if will is None else tuple(will))
    elif call == "publish":
        payload = a["payload"].encode() * a.get("repeat", 1)
        got = mqtt.publish_packet(a["topic"], payload, a.get("qos", 0), a.get("retain", False),
                                  a.get("pid", 0))
    elif call == "subscribe":
        got = mqtt.subscribe_packet(a["pid"], [tuple(t) for t in a["topics"]])
    elif call == "puback":
        got = mqtt.puback_packet(a["pid"])
    else:
        raise Failed("unknown call " + call)
    if "hex" in case:
        want = _bytes(case["hex"])
        _expect(got == want, "got %s, expected %s" % (_hex(got), _hex(want)))
    else:
        prefix = _bytes(case["hex_prefix"])
        _expect(got[:len(prefix)] == prefix, "starts %s, expected %s" % (_hex(got[:8]),
                                                                         _hex(prefix)))


def _event(ev):
    name = _EVENTS[ev[0]]
    if name == "message":
        return [name, ev[1], str(ev[2], "utf-8"), ev[3]]
    if name == "suback":
        return [name, ev[1], _hex(ev[2])]
    return [name] + list(ev[1:])


def check_feed(case):
    s = mqtt.Session("dev")
    chunks = [_bytes(c) for c in case["chunks"]]
    split = case.get("split")
    if split:
        data = b"".join(chunks)
        chunks = [data[i:i + split] for i in range(0, len(data), split)]
    events = []
    try:
        for chunk in chunks:
            for ev in s.feed(chunk, 0):
                events.append(_event(ev))
    except mqtt.MqttError as e:
        _expect("error" in case, "unexpected MqttError %s" % e.code)
        _expect(e.code == case["error"], "error %s, expected %s" % (e.code, case["error"]))
        return
    _expect("error" not in case, "expected MqttError %s, got %r" % (case.get("error"), events))
    _expect(events == case["events"], "events %r, expected %r" % (events, case["events"]))
    out = _hex(s.take_output())
    _expect(out == case.get("output", ""), "output %s, expected %s" % (out,
                                                                         case.get("output", "")))
    _expect(s.oversize == case.get("oversize", 0), "oversize %d" % s.oversize)


def check_keepalive(case):
    s = mqtt.Session("dev", case["keepalive_s"])
    for i, step in enumerate(case["steps"]):
        what, now = step[0], step[1]
        if what == "connect":
            s.connect(now)
        elif what == "feed":
            s.feed(_bytes(step[2]), now)
        elif what == "publish":
            s.publish(now, "t", b"x")
        elif what == "poll":
            try:
                got = _hex(s.poll(now))
            except mqtt.MqttError as e:
                got = "error:" + e.code
            _expect(got == step[2], "step %d: poll(%d) gave %r, expected %r"
                    % (i, now, got, step[2]))
        else:
            raise Failed("unknown step " + what)


CHECKS = {"encode": check_encode, "feed": check_feed, "keepalive": check_keepalive}


def cases(vectors):
    return vector_check.cases(vectors, SECTIONS)


def check(section, case):
    CHECKS[section](case)


def run(vectors):
    return vector_check.run(cases(vectors), check)


if __name__ == "__main__":
    vector_check.main("mqtt", run, load, None, VECTORS_PATH)
