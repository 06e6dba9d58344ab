"""The device's config.json (firmware/suivant_fw/config.py, firmware/CONFIG.md).

Evidence: the frozen vectors (the same file real MicroPython checks, from source and from
.mpy), the shipped example configs, the generated default pin maps against hardware/*/pins.json,
and hypothesis properties: any JSON value gives a config or a ConfigError, never another
exception, and no secret ever shows in an error or in redacted().
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import check_config_vectors
from checker_runs import FORMS, run_checker, vector_counts
from micropython_wasm import REPO
from suivant_fw import ProtocolError, config
from suivant_fw.config import ConfigError, redacted, validate
from suivant_fw.message import Message, encode

sys.path.insert(0, str(REPO / "hardware"))
import gen_pins_default  # noqa: E402  (hardware/ is no package)

HERE = Path(__file__).resolve().parent
VECTORS_FILE = HERE / "vectors" / "config.json"
VECTORS = check_config_vectors.load(str(VECTORS_FILE))
ALL_CASES = list(check_config_vectors.cases(VECTORS))
CHECKER = HERE / "check_config_vectors.py"
EXAMPLES = sorted((REPO / "firmware").glob("config.example.*.json"))
ROLES = ("counter", "display", "hall", "feedback")  # docs/protocol.md §2
CODES = {f"C{n}" for n in range(8)}  # firmware/CONFIG.md
TOP_KEYS = ("schema", "device", "role", "key", "site", "link", "wifi", "broker", "serial",
            "counter", "pins", "timing", "display")  # firmware/CONFIG.md


# --- the frozen vectors, in process and by the script on both interpreters --------------------

@pytest.mark.parametrize(("section", "case"), ALL_CASES,
                         ids=[s + "/" + c["name"] for s, c in ALL_CASES])
def test_config_matches_the_frozen_vector(section, case):
    check_config_vectors.check(VECTORS, section, case)


def test_vectors_cover_every_error_code_and_every_top_level_key():
    invalid = VECTORS["invalid"]
    assert {c["code"] for c in invalid} == CODES
    blamed = {c["key"].split(".")[0] for c in invalid}
    assert set(TOP_KEYS) <= blamed
    assert {c["base"] for c in VECTORS["valid"]} == set(VECTORS["bases"])
    assert len(ALL_CASES) >= 150


def _passed(stdout: str) -> int:
    passed, failed = vector_counts("config", stdout)
    assert failed == 0
    return passed


def test_checker_script_passes_under_cpython():
    done = subprocess.run([sys.executable, str(CHECKER)], capture_output=True, text=True,
                          timeout=60, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _passed(done.stdout) == len(ALL_CASES) > 0


def test_checker_script_fails_on_a_wrong_vector(tmp_path):
    broken = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    broken["invalid"][0]["code"] = "C7"
    broken["valid"][0]["normalised"]["broker"]["port"] = 1884
    path = tmp_path / "config.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    done = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True,
                          text=True, timeout=60, cwd="/")
    assert done.returncode == 1
    assert f"FAIL invalid/{broken['invalid'][0]['name']}" in done.stdout
    assert f"FAIL valid/{broken['valid'][0]['name']}" in done.stdout
    assert f"config vectors: {len(ALL_CASES) - 2} passed, 2 failed" in done.stdout


@pytest.mark.parametrize("form", FORMS)
def test_checker_script_passes_under_micropython(form, tmp_path):
    result = run_checker(CHECKER, form, tmp_path, "config.json")
    assert result.returncode == 0, result.output
    assert _passed(result.stdout) == len(ALL_CASES) > 0, result.output


# --- example configs ----------------------------------------------------------------------------

def test_there_is_an_example_for_every_role_and_both_links():
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    assert {c["role"] for c in loaded} == set(ROLES)
    assert {c["link"] for c in loaded} == {"mqtt", "serial"}
    for path in EXAMPLES:
        role = path.name.split(".")[2]
        assert role in ROLES and json.loads(path.read_text())["role"] == role, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_config_validates_and_its_secrets_look_fake(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    cfg = config.load(str(path))
    assert cfg == validate(raw) and cfg["role"] == raw["role"]
    for section in ("wifi", "broker"):
        if section in raw:
            assert "example" in raw[section]["password"], "an example password says so"
    assert raw["key"] == raw["key"][:32] * 2, "an example key repeats an obvious pattern"


# --- the default pin maps: generated from hardware/*/pins.json -----------------------------------

def test_generated_pins_default_is_up_to_date():
    generated = gen_pins_default.TARGET.read_text(encoding="utf-8")
    assert generated == gen_pins_default.render(), (
        "firmware/suivant_fw/pins_default.py differs from hardware/*/pins.json: run "
        f"`{gen_pins_default.COMMAND}`")


@pytest.mark.parametrize("role", ROLES)
def test_default_pin_map_is_the_shipped_pins_json(role):
    from suivant_fw.pins_default import PINS
    shipped = json.loads((REPO / "hardware" / role / "pins.json").read_text(encoding="utf-8"))
    assert PINS[role] == shipped
    assert validate_with_default_pins(role) == shipped


def validate_with_default_pins(role):
    raw = {"schema": 1, "device": "d", "role": role, "key": "ab" * 32, "site": "s",
           "link": "serial"}
    if role in ("counter", "display"):
        raw["counter"] = 1
    return validate(raw)["pins"]


def test_generator_notices_an_edited_pins_json(tmp_path):
    hardware = tmp_path / "hardware"
    shutil.copytree(REPO / "hardware", hardware, ignore=shutil.ignore_patterns("*.py"))
    pins = json.loads((hardware / "counter" / "pins.json").read_text())
    pins["buzzer"]["pin"] = 13
    (hardware / "counter" / "pins.json").write_text(json.dumps(pins))
    text = gen_pins_default.render(hardware)
    assert text != gen_pins_default.render()
    assert '"buzzer": {"driver": "piezo_pwm", "pin": 13},' in text
    namespace: dict = {}
    exec(compile(text, "pins_default.py", "exec"), namespace)
    assert namespace["PINS"]["counter"] == pins


def test_generator_check_mode_passes_on_the_repository():
    done = subprocess.run([sys.executable, str(REPO / "hardware" / "gen_pins_default.py"),
                           "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_generator_refuses_values_python_and_json_spell_differently():
    with pytest.raises(ValueError, match="counter.led.on"):
        gen_pins_default._literal({"on": True}, "counter.led")


# --- load() ---------------------------------------------------------------------------------------

def test_load_reports_a_missing_file_and_bad_json_as_c0(tmp_path):
    with pytest.raises(ConfigError) as missing:
        config.load(str(tmp_path / "config.json"))
    assert (missing.value.code, missing.value.key) == ("C0", "")
    bad = tmp_path / "bad.json"
    bad.write_text('{"wifi": {"password": "hunter2-secret",}}')
    with pytest.raises(ConfigError) as broken:
        config.load(str(bad))
    assert broken.value.code == "C0" and "hunter2" not in str(broken.value)
    assert broken.value.__cause__ is None and broken.value.__suppress_context__


def test_error_text_is_code_key_reason():
    with pytest.raises(ConfigError) as e:
        validate({"schema": 2})
    assert str(e.value) == "C1 schema: this firmware reads schema 1"
    assert isinstance(e.value, ValueError)
    with pytest.raises(ConfigError) as e:
        validate([])
    assert str(e.value) == "C0: config.json holds one JSON object {...}"


def test_key_bytes_gives_the_32_byte_key():
    cfg = validate(json.loads(EXAMPLES[0].read_text()))
    assert config.key_bytes(cfg) == bytes.fromhex(cfg["key"]) and len(config.key_bytes(cfg)) == 32


# --- properties -------------------------------------------------------------------------------

KNOWN_NAMES = sorted({*TOP_KEYS, "ssid", "password", "host", "port", "user", "tls", "uart",
                      "baud", "address", "rs485", "buttons", "led", "buzzer", "board", "driver",
                      "clk", "dio", "din", "cs", "chain", "lines", "modules_per_line", "layout",
                      "next", "vote_1", "green", "red", "pin", "tx", "rx", "de", "debounce_ms",
                      "long_press_ms", "status_s", "brightness", "ntp"})
SCALARS = (st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
           | st.text(max_size=70) | st.sampled_from(["mqtt", "serial", *ROLES, "tm1637", "dual",
                                                     "max7219_matrix", "per_button", "fc16"])
           | st.integers(-2, 70))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(KNOWN_NAMES) | st.text(max_size=8), inner, max_size=6), max_leaves=20)
BASES = [check_config_vectors.config_of(VECTORS, c) for c in VECTORS["valid"]]


def _paths(value, prefix=()):
    """Every key path of a nested dict."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))


@st.composite
def mutated_configs(draw, bases=tuple(BASES), keep=()):
    """A valid config with a few keys deleted, replaced by any JSON, or added."""
    raw = json.loads(json.dumps(draw(st.sampled_from(bases))))
    if draw(st.booleans()):  # mutate inside the pin map too
        from suivant_fw.pins_default import PINS
        raw["pins"] = json.loads(json.dumps(PINS[raw["role"]]))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(raw) if p not in keep]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = raw
        for name in path[:-1]:
            parent = parent[name]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(JSON)
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(KNOWN_NAMES))] = draw(JSON)
    return raw


def _validate_or_error(raw):
    try:
        return validate(raw), None
    except ConfigError as e:
        return None, e


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, mutated_configs()))
def test_any_json_gives_a_config_or_a_config_error(raw):
    before = json.dumps(raw, sort_keys=True)
    cfg, error = _validate_or_error(raw)  # anything else escapes and fails the test
    assert json.dumps(raw, sort_keys=True) == before, "validate changed its argument"
    if error is not None:
        assert error.code in CODES and isinstance(error.key, str) and error.reason
        assert str(error).startswith(error.code + (" " + error.key if error.key else "") + ": ")
    else:
        assert validate(json.loads(json.dumps(cfg))) == cfg  # normalised is a fixed point
        assert set(cfg) <= set(TOP_KEYS)


SECRET_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@st.composite
def configs_with_secrets(draw):
    """An MQTT config whose passwords and key are random and distinctive (sometimes too long:
    refused, and still not shown), then mutated anywhere but there."""
    wifi = "Wq" + draw(st.text(SECRET_CHARS, min_size=8, max_size=70))
    broker = "Bz" + draw(st.text(SECRET_CHARS, min_size=6, max_size=140))
    key = draw(st.text("0123456789abcdefABCDEF", min_size=63, max_size=65))
    base = json.loads(json.dumps(VECTORS["bases"]["counter_mqtt"]))
    base["wifi"]["password"], base["broker"]["password"], base["key"] = wifi, broker, key
    keep = {("wifi", "password"), ("broker", "password"), ("key",)}
    raw = draw(mutated_configs(bases=(base,), keep=keep)) if draw(st.booleans()) else base
    elsewhere = json.loads(json.dumps(raw))  # the config but its three secrets
    for path in keep:
        parent = elsewhere
        for name in path[:-1]:
            parent = parent.get(name) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    text = json.dumps(elsewhere, ensure_ascii=False).lower()
    assume(all(secret.lower() not in text for secret in (wifi, broker, key)))  # not by chance
    return raw, (wifi, broker, key)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(configs_with_secrets())
def test_secrets_never_show_in_errors_or_redacted_output(case):
    raw, secrets = case
    cfg, error = _validate_or_error(raw)
    shown = [json.dumps(redacted(raw), ensure_ascii=False), repr(redacted(raw))]
    if error is not None:
        shown += [str(error), error.reason, error.key, repr(error)]
    else:
        shown += [json.dumps(redacted(cfg), ensure_ascii=False), repr(redacted(cfg))]
    for text in shown:
        for secret in secrets:
            assert secret not in text and secret.lower() not in text


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=26)
       | st.text(max_size=4))
def test_device_id_rule_is_the_protocol_codecs(device):
    """config.py checks docs/protocol.md §1's rule itself; the codec must agree."""
    raw = dict(VECTORS["bases"]["hall_usb"], device=device)
    _, error = _validate_or_error(raw)
    try:
        encode(Message("poll", device, "-", 0), bytes(32))
        codec_ok = True
    except ProtocolError:
        codec_ok = False
    assert (error is None) == codec_ok, error
