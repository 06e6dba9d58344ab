"""The devices' pure logic (suivant_fw.device, suivant_fw.roles): scripted scenarios under CPython
and MicroPython (source and .mpy), and hypothesis properties over random event sequences.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import check_device_vectors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from checker_runs import FORMS, run_checker, vector_counts
from micropython_wasm import FIRMWARE
from suivant_fw import config
from suivant_fw.buttons import LONG, PRESS, RELEASE, SHORT
from suivant_fw.device import OUTBOX, Device
from suivant_fw.message import Message, validate
from suivant_fw.pending import CAPACITY
from suivant_fw.roles import for_config

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_device_vectors.py"
VECTORS_FILE = HERE / "vectors" / "device.json"
VECTORS = check_device_vectors.load(str(VECTORS_FILE))
BOOT = "0badf00d"
ROLES = ("counter", "display", "hall", "feedback")


# ---- the vectors, under CPython and MicroPython --------------------------------------------

@pytest.mark.parametrize("section, case", list(check_device_vectors.cases(VECTORS)),
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_device_follows_the_scripted_scenario(section: str, case: dict) -> None:
    check_device_vectors.check(section, case)


def test_scenarios_cover_what_the_roles_need() -> None:
    names = " / ".join(c["name"] for s in check_device_vectors.SECTIONS for c in VECTORS[s])
    for needed in ("link up sends hello", "waiting LED", "resend on missing ack", "stale show",
                   "busy when 4", "link down shows oFFL", "long press closes", "beeps once",
                   "status every", "blinking", "newest first", "first vote closes",
                   "minimum interval"):
        assert needed in names, f"no device scenario about {needed!r}"
    assert all(VECTORS[s] for s in check_device_vectors.SECTIONS), "a role without scenario"


def test_checker_passes_under_cpython() -> None:
    done = subprocess.run([sys.executable, str(CHECKER)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    passed, failed = vector_counts("device", done.stdout)
    assert passed == sum(len(VECTORS[s]) for s in check_device_vectors.SECTIONS) > 0
    assert failed == 0


def test_checker_fails_on_a_wrong_vector(tmp_path: Path) -> None:
    vectors = json.loads(VECTORS_FILE.read_text())
    vectors["counter"][0]["steps"][0]["view"]["glyphs"] = "CONN"  # at boot it is oFFL
    hello = vectors["counter"][1]["steps"][1]["out"][0]
    hello[1] = 2  # the hello is the first message of the boot: seq 1
    path = tmp_path / "device.json"
    path.write_text(json.dumps(vectors))
    done = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert vector_counts("device", done.stdout)[1] == 2, done.stdout
    assert done.stdout.count("FAIL ") == 2


@pytest.mark.parametrize("form", FORMS)
def test_checker_passes_under_micropython(form: str, tmp_path: Path) -> None:
    result = run_checker(CHECKER, form, tmp_path, "device.json")
    assert result.returncode == 0, result.output
    passed, failed = vector_counts("device", result.stdout)
    assert passed == sum(len(VECTORS[s]) for s in check_device_vectors.SECTIONS)
    assert failed == 0, result.output


# ---- built from the shipped example configs ------------------------------------------------

EXAMPLES = sorted(FIRMWARE.glob("config.example.*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_a_device_is_built_from_each_example_config(path: Path) -> None:
    cfg = config.validate(json.loads(path.read_text()))
    dev = for_config(cfg, BOOT, lambda: 0.5)
    assert dev.role == cfg["role"] and dev.device == cfg["device"]
    assert sorted(dev.button_names) == sorted(cfg["pins"].get("buttons", {}))
    assert dev.status_ms == 1000 * cfg["timing"]["status_s"]
    dev.link_up(0)
    (hello,) = dev.take_outbox()
    assert hello == Message("hello", cfg["device"], BOOT, 1, (cfg["role"], "0.1.0+dev", "0"))


def test_the_counter_long_press_is_pause_for_the_buttons_driver() -> None:
    dev = for_config({"device": "term-03", "role": "counter"}, BOOT, lambda: 0.5)
    assert [dev.button_names[i] for i in dev.long_press] == ["pause"]


# ---- properties over random event sequences ------------------------------------------------

EVENTS = (PRESS, RELEASE, SHORT, LONG)
step = st.one_of(
    st.tuples(st.just("link"), st.sampled_from(["link_up", "link_down", "connecting", "tick"])),
    st.tuples(st.just("button"), st.integers(0, 4), st.sampled_from(EVENTS)),
    st.tuples(st.just("ack"), st.integers(1, 12), st.sampled_from(["ok", "refused", "error"]),
              st.booleans()),
    st.tuples(st.just("show"), st.integers(0, 20), st.booleans(), st.integers(0, 3),
              st.lists(st.sampled_from(["C017", "----", "A004>2", "x"]), min_size=1,
                       max_size=8)),
    st.tuples(st.just("take"),),
)


def _apply(dev: Device, item: tuple, now: int) -> None:
    kind = item[0]
    if kind == "link":
        getattr(dev, item[1])(now)
    elif kind == "button":
        events = bytearray(len(dev.button_names))
        if events:
            events[item[1] % len(events)] = item[2]
        dev.buttons(events, now)
    elif kind == "ack":
        _, seq, result, other_boot = item
        msg = Message("ack", dev.device, "deadbeef" if other_boot else BOOT, seq,
                      (result, "C017"))
        validate(msg)
        dev.receive(msg, now)
    elif kind == "show":
        _, version, beep, blink, lines = item
        msg = Message("show", dev.device, "-", version, ["1" if beep else "0", str(blink)] + lines)
        validate(msg)
        dev.receive(msg, now)


@settings(max_examples=300, deadline=None)
@given(role=st.sampled_from(ROLES),
       steps=st.lists(st.tuples(st.integers(0, 3000), step), max_size=80))
def test_random_events_never_raise_and_keep_the_invariants(role: str, steps: list) -> None:
    dev = for_config({"device": "dev-1", "role": role, "timing": {"status_s": 10}}, BOOT,
                     lambda: 0.5)
    now = 0
    shown = 0
    seen: set[int] = set()  # every press/vote the device accepted (it entered PendingPresses)
    for dt, item in steps:
        now += dt
        _apply(dev, item, now)
        out = dev.take_outbox() if item[0] == "take" else ()
        assert len(out) <= OUTBOX and len(dev._outbox) <= OUTBOX
        for msg in out:
            validate(msg)  # every message the device sends encodes
            assert msg.device == "dev-1" and msg.boot == BOOT
        assert dev.shown >= shown, "the shown version went back"
        shown = dev.shown
        pending = {m.seq for m in dev.pending.messages()}
        assert len(pending) <= CAPACITY
        seen |= pending
        assert len(seen) == len(pending) + dev.pending.acked, \
            "an accepted press is neither pending nor acknowledged"
        glyphs = dev.view.glyphs
        assert glyphs is None or len(glyphs) == 4
        assert dev.view.led in ("off", "online", "waiting", "offline")


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 2000), st.one_of(
    step, st.tuples(st.just("button"), st.integers(0, 4), st.just(PRESS)))), min_size=10,
                                  max_size=80))
def test_every_counter_press_is_accepted_or_shown_busy(steps: list) -> None:
    dev = for_config({"device": "term-03", "role": "counter"}, BOOT, lambda: 0.5)
    pause = dev.long_press[0]
    wanted = 0
    now = 0
    for dt, item in steps:
        now += dt
        if item[0] == "button":
            i, event = item[1] % len(dev.button_names), item[2]
            wanted += (event in (SHORT, LONG)) if i == pause else (event == PRESS)
        _apply(dev, item, now)
    accepted = len(dev.pending) + dev.pending.acked
    assert accepted + dev.busy == wanted, "a press neither accepted nor refused as busy"
