"""Writes firmware/suivant_fw/matrix_font.py from hardware/hall/font.txt.

font.txt (comment lines start with "# ") draws each glyph of the hall display's LED matrix font as 7 rows of '#' and '.', so
it can be read and edited; the board gets it as two bytes constants (one byte per column,
bit 0 the top row), which stay in the bytecode instead of costing a dict on the heap.

    .venv/bin/python hardware/gen_matrix_font.py           # (re)write the module
    .venv/bin/python hardware/gen_matrix_font.py --check   # exit 1 if it is out of date

tests/firmware/test_hall_matrix.py fails when the module differs from what this writes now.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HARDWARE = Path(__file__).resolve().parent
SOURCE = HARDWARE / "hall" / "font.txt"
TARGET = HARDWARE.parent / "firmware" / "suivant_fw" / "matrix_font.py"
COMMAND = ".venv/bin/python hardware/gen_matrix_font.py"
ROWS = 7
MAX_WIDTH = 5


def parse(text: str) -> dict[str, list[int]]:
    """char -> its columns (bit 0 = top row). ValueError names the line at fault."""
    glyphs: dict[str, list[int]] = {}
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if not line.startswith("# ")]
    i = 0
    while i < len(lines):
        n, line = lines[i]
        if not line.strip():
            i += 1
            continue
        if not line.startswith("char: ") or len(line) != 7:
            raise ValueError(f"font.txt:{n}: expected 'char: <one character>'")
        char = line[6]
        if char in glyphs:
            raise ValueError(f"font.txt:{n}: {char!r} drawn twice")
        rows = [row for _, row in lines[i + 1:i + 1 + ROWS]]
        if len(rows) != ROWS or any(set(r) - {"#", "."} or len(r) != len(rows[0]) for r in rows):
            raise ValueError(f"font.txt:{n}: {char!r} needs {ROWS} rows of '#' and '.' "
                             "of one width")
        if not 1 <= len(rows[0]) <= MAX_WIDTH:
            raise ValueError(f"font.txt:{n}: {char!r} is 1 to {MAX_WIDTH} columns wide")
        glyphs[char] = [sum(1 << r for r in range(ROWS) if rows[r][c] == "#")
                        for c in range(len(rows[0]))]
        i += 1 + ROWS
    return glyphs


def render(source: Path = SOURCE) -> str:
    glyphs = parse(source.read_text(encoding="utf-8"))
    chars = "".join(glyphs)
    starts, columns = [], []
    for char in chars:
        starts.append(len(columns))
        columns += glyphs[char]
    starts.append(len(columns))
    return (
        '"""The hall display\'s LED matrix font: 7 rows, variable width.\n\n'
        "GENERATED from hardware/hall/font.txt by hardware/gen_matrix_font.py: do not edit.\n"
        f"After changing font.txt, run `{COMMAND}`.\n\n"
        "Glyph i (the character CHARS[i]) is COLUMNS[START[i]:START[i + 1]], one byte a\n"
        'column, left to right, bit 0 the top row.\n"""\n\n'
        f"CHARS = {chars!r}\n"
        f"START = {bytes(starts)!r}\n"
        f"COLUMNS = {bytes(columns)!r}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the module is stale")
    opts = parser.parse_args(argv)
    text = render()
    if opts.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
