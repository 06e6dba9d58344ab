"""docs/protocol.md §8 (and §9's worked lines) is a contract with strangers: its worked examples must be what the
codec makes, MACs and CRC included, or a device written from the document alone fails."""
from __future__ import annotations

import re

from suivant_fw.frame import FrameReader
from suivant_fw.message import decode, encode
from support import ROOT

DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
EXAMPLES = DOC[DOC.index("## 8. Worked examples"):]
KEY = bytes.fromhex(re.search(r"`([0-9a-f]{64})`", EXAMPLES).group(1))
LINES = re.findall(r"^(SV1\|.*)$", EXAMPLES, re.M)
FRAMES = re.findall(r"^(#\d\d .*)\\r\\n$", EXAMPLES, re.M)


def test_the_examples_are_there():
    assert KEY == bytes(range(32))
    assert len(LINES) == 12 and {line.split("|")[1] for line in LINES} == {
        "hello", "press", "ack", "show", "status", "poll", "update", "fetch", "chunk", "report"}
    assert len(FRAMES) == 1


def test_every_example_line_decodes_with_the_key_and_encodes_back_to_itself():
    for line in LINES:
        msg = decode(line.encode(), KEY)
        assert encode(msg, KEY).decode() == line


def test_the_example_frame_carries_the_example_press():
    [(addr, line)] = FrameReader().feed(FRAMES[0].encode() + b"\r\n")
    assert addr == 0 and line.decode() in LINES
