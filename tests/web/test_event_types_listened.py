"""The pages' live stream listens to every event type the bridge publishes: an SSE event whose
type no listener names is silently dropped by EventSource, and the page then shows stale state
(found when « RETARD » by SMS left an open ticket page unchanged)."""
from __future__ import annotations

import re
from pathlib import Path

from host_bridge.domain.events import EVENT_TYPES

SUIVANT_JS = Path(__file__).resolve().parents[2] / "host_bridge" / "web" / "static" / "suivant.js"


def test_suivant_js_listens_to_every_event_type():
    text = SUIVANT_JS.read_text(encoding="utf-8")
    listed = re.search(r"const TYPES = \[(.*?)\];", text, re.S)
    assert listed, "suivant.js has no TYPES list"
    assert set(re.findall(r'"(\w+)"', listed.group(1))) == set(EVENT_TYPES)
