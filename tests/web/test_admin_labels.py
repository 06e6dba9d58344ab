"""Every key the administration page can show has its words in French and English: a key
without one is shown by its config name (« comeback_minutes ») to the town hall's admin."""
from __future__ import annotations

import re
from pathlib import Path

from host_bridge.service.site_admin import SECTIONS
from host_bridge.site_config import read_toml

ROOT = Path(__file__).resolve().parents[2]
ADMIN_JS = ROOT / "host_bridge" / "web" / "static" / "admin.js"


def _labels(name: str) -> set[str]:
    block = re.search(rf"const {name} = {{(.*?)\n}};", ADMIN_JS.read_text(encoding="utf-8"), re.S)
    assert block, f"admin.js has no {name}"
    return set(re.findall(r"^\s*(\w+):", block.group(1), re.M)) | \
        set(re.findall(r",\s*(\w+):", block.group(1)))


def _keys(value, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_every_editable_key_of_the_example_has_words_in_both_languages():
    doc = read_toml(ROOT / "examples" / "mairie.toml")
    keys = _keys({s: doc[s] for s in SECTIONS if s in doc}, set())
    keys -= {"services_of_counter"}  # a label of the page's own, not a key
    # a counter's "services" is labelled by services_of_counter; hours' days and the FAQ too
    assert keys - _labels("LABELS") == set()
    assert keys - _labels("LABELS_EN") == set()
