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
