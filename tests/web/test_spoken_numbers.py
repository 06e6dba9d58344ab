"""The hall screen's spoken calls (host_bridge/web/static/nombres.js), run under node: numbers
are said as numbers in French (« C dix-sept, guichet trois »), never digit by digit, with
French's irregular tens (soixante-dix, quatre-vingts) spelt as the voices read them best."""
from __future__ import annotations

import json
import subprocess

import pytest

from simulators.micropython_port import find_node
from support import ROOT

MODULE = ROOT / "host_bridge" / "web" / "static" / "nombres.js"

WORDS = {
    0: "zéro", 1: "un", 7: "sept", 10: "dix", 16: "seize", 17: "dix-sept", 20: "vingt",
    21: "vingt et un", 22: "vingt-deux", 30: "trente", 31: "trente et un", 45: "quarante-cinq",
    61: "soixante et un", 69: "soixante-neuf", 70: "soixante-dix", 71: "soixante et onze",
    72: "soixante-douze", 79: "soixante-dix-neuf", 80: "quatre-vingts", 81: "quatre-vingt-un",
    89: "quatre-vingt-neuf", 90: "quatre-vingt-dix", 91: "quatre-vingt-onze",
    99: "quatre-vingt-dix-neuf", 100: "cent", 101: "cent un", 117: "cent dix-sept",
    180: "cent quatre-vingts", 200: "deux cents", 201: "deux cent un", 280: "deux cent quatre-vingts",
    999: "neuf cent quatre-vingt-dix-neuf", 1000: "mille", 1001: "mille un",
    2000: "deux mille", 80000: "quatre-vingt mille", 200000: "deux cent mille",
    999999: "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf",
}

CALLS = [
    (("C017", 3, "fr"), "Ticket C dix-sept, guichet trois"),
    (("A001", 1, "fr"), "Ticket A un, guichet un"),
    (("P080", 12, "fr"), "Ticket P quatre-vingts, guichet douze"),
    (("U100", 21, "fr"), "Ticket U cent, guichet vingt et un"),
    (("C017", 3, "en"), "Ticket C 17, counter 3"),
]


def node_eval(script: str) -> object:
    node = find_node().node
    done = subprocess.run([str(node), "--input-type=module", "-e", script], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_numbers_are_spelt_out_in_french():
    got = node_eval(f"import {{ enLettres }} from {json.dumps(MODULE.as_uri())};"
                    f"console.log(JSON.stringify({json.dumps(list(WORDS))}.map(enLettres)))")
    assert dict(zip(WORDS, got)) == WORDS


def test_a_call_is_announced_with_its_number_and_counter_in_words():
    got = node_eval(f"import {{ annonce }} from {json.dumps(MODULE.as_uri())};"
                    f"console.log(JSON.stringify({json.dumps([c for c, _ in CALLS])}"
                    ".map((a) => annonce(...a))))")
    assert got == [text for _, text in CALLS]


@pytest.mark.parametrize("bad", ["-1", "1.5", "1000000", "NaN"])
def test_out_of_range_numbers_are_refused(bad: str):
    got = node_eval(f"import {{ enLettres }} from {json.dumps(MODULE.as_uri())};"
                    f"try {{ enLettres({bad}); console.log('\"accepted\"') }}"
                    "catch (e) { console.log(JSON.stringify(e.name)) }")
    assert got == "RangeError"
