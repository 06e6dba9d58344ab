"""boot.load_config: the validated config and key, and the validator dropped from memory."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import suivant_fw
from suivant_fw import boot

EXAMPLE = Path(__file__).resolve().parents[2] / "firmware" / "config.example.counter.json"


def _loaded(name: str) -> bool:
    return f"suivant_fw.{name}" in sys.modules or hasattr(suivant_fw, name)


def test_a_valid_config_gives_the_config_and_its_32_byte_key_and_drops_the_validator():
    cfg, key = boot.load_config(str(EXAMPLE))
    assert cfg["role"] == "counter" and cfg["pins"]["role"] == "counter"
    assert key == bytes.fromhex(json.loads(EXAMPLE.read_text())["key"])
    assert not _loaded("config") and not _loaded("pins_default")


def test_a_bad_config_raises_its_display_code_and_still_drops_the_validator(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({**json.loads(EXAMPLE.read_text()), "colour": "blue"}))
    with pytest.raises(ValueError) as refused:
        boot.load_config(str(bad))
    assert refused.value.code == "C3" and refused.value.key == "colour"
    assert not _loaded("config") and not _loaded("pins_default")


def test_the_config_can_be_loaded_again_after_it_was_dropped():
    first, _ = boot.load_config(str(EXAMPLE))
    second, _ = boot.load_config(str(EXAMPLE))
    assert first == second


# --- sealed config.json: booting without the validator (boot.py, firmware/CONFIG.md) ---------

def _validator_that_must_not_run(monkeypatch):
    """suivant_fw.config replaced by a module whose load() fails the test if called."""
    import types

    def load(path="config.json"):
        raise AssertionError("the validator ran on a sealed config")
    fake = types.ModuleType("suivant_fw.config")
    fake.load = load
    monkeypatch.setitem(sys.modules, "suivant_fw.config", fake)
    monkeypatch.setattr(suivant_fw, "config", fake, raising=False)


def _sealed_file(tmp_path: Path, **changes) -> Path:
    from suivant_fw import config
    cfg = config.sealed(config.validate(json.loads(EXAMPLE.read_text())))
    cfg.update(changes)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg, indent=2))
    return path


def test_a_sealed_config_is_taken_as_it_is_without_the_validator(tmp_path, monkeypatch):
    path = _sealed_file(tmp_path)
    _validator_that_must_not_run(monkeypatch)
    cfg, key = boot.load_config(str(path))
    assert cfg == json.loads(path.read_text()) and cfg[boot.SEAL] == boot.digest(cfg)
    assert key == bytes.fromhex(cfg["key"])


def test_the_seal_does_not_depend_on_spacing_or_key_order(tmp_path):
    cfg = json.loads(_sealed_file(tmp_path).read_text())
    reordered = dict(reversed(list(cfg.items())))
    reordered["broker"] = dict(reversed(list(cfg["broker"].items())))
    assert boot.digest(reordered) == boot.digest(cfg) == cfg[boot.SEAL]


@pytest.mark.parametrize("change, code, key", [
    ({"counter": 1000}, "C5", "counter"),  # a hand edit out of range, the seal left as it was
    ({"counter": "3"}, "C4", "counter"),
    ({"pins": {"schema": 1}}, "C2", "pins.role"),
])
def test_a_hand_edited_sealed_config_goes_through_the_validator_and_is_refused(
        tmp_path, change, code, key):
    path = _sealed_file(tmp_path, **change)
    with pytest.raises(ValueError) as refused:
        boot.load_config(str(path))
    assert (refused.value.code, refused.value.key) == (code, key)
    assert not _loaded("config")


def test_a_valid_hand_edit_is_validated_in_full_and_comes_back_without_a_seal(tmp_path):
    path = _sealed_file(tmp_path, counter=7)
    cfg, _ = boot.load_config(str(path))
    assert cfg["counter"] == 7 and boot.SEAL not in cfg


def test_a_truncated_sealed_config_is_refused_as_unreadable(tmp_path):
    path = _sealed_file(tmp_path)
    path.write_text(path.read_text()[:200])
    with pytest.raises(ValueError) as refused:
        boot.load_config(str(path))
    assert refused.value.code == "C0"


def test_a_config_sealed_under_other_rules_is_validated_again(tmp_path, monkeypatch):
    path = _sealed_file(tmp_path)
    monkeypatch.setattr(boot, "RULES", "suivant-config-0")  # a firmware with other rules
    cfg, _ = boot.load_config(str(path))
    assert boot.SEAL not in cfg  # it went through the validator


def test_write_sealed_makes_the_next_boot_skip_the_validator(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    path.write_text(EXAMPLE.read_text())  # unsealed, as a technician would copy it
    cfg, _ = boot.load_config(str(path))
    assert boot.SEAL not in cfg
    assert boot.write_sealed(str(path), cfg) and not (tmp_path / "config.json.new").exists()
    _validator_that_must_not_run(monkeypatch)
    again, _ = boot.load_config(str(path))
    assert {k: v for k, v in again.items() if k != boot.SEAL} == cfg


def test_write_sealed_on_a_refusing_flash_says_so_and_leaves_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(EXAMPLE.read_text())
    cfg, _ = boot.load_config(str(path))
    assert not boot.write_sealed(str(tmp_path / "missing" / "config.json"), cfg)
    assert path.read_text() == EXAMPLE.read_text()


# What the normalised config holds (key paths; `pins` as one) under boot.RULES. A board trusts
# a sealed file to have every key its firmware reads: when the validator's output changes
# shape, bump boot.RULES (old seals then go through the new validator once) and update this.
SHAPES = {"suivant-config-1": [
    "broker.host", "broker.password", "broker.port", "broker.tls", "broker.user", "counter",
    "device", "display.brightness", "key", "link", "pins", "role", "schema", "serial.address",
    "serial.baud", "serial.rs485", "serial.uart", "site", "timing.debounce_ms",
    "timing.long_press_ms", "timing.status_s", "wifi.password", "wifi.ssid"]}


def test_the_rules_name_matches_the_shape_of_the_normalised_config():
    from suivant_fw import config
    paths: set[str] = set()

    def walk(d: dict, prefix: str = "") -> None:
        for name, value in d.items():
            if isinstance(value, dict) and name != "pins":
                walk(value, prefix + name + ".")
            else:
                paths.add(prefix + name)
    for example in sorted(EXAMPLE.parent.glob("config.example.*.json")):
        walk(config.validate(json.loads(example.read_text())))
    assert sorted(paths) == SHAPES.get(boot.RULES), (
        "the normalised config changed shape: bump boot.RULES and record the new shape here")


def test_micropython_computes_the_same_seal_as_cpython(tmp_path):
    from micropython_wasm import FIRMWARE, run
    path = _sealed_file(tmp_path)
    result = run("from suivant_fw import boot\ncfg, key = boot.load_config('/c/config.json')\n"
                 "import sys\nprint(boot.digest(cfg), 'suivant_fw.config' in sys.modules)\n",
                 files={"/firmware": FIRMWARE, "/c": tmp_path}, sys_path=["/firmware"])
    assert result.returncode == 0, result.output
    assert result.stdout.split() == [json.loads(path.read_text())[boot.SEAL], "False"]
