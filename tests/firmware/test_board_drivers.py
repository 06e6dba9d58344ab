"""The board's display drivers (tm1637.py, max7219.py) and the hall's text (matrix.py,
matrix_font.py), checked by decoding what they put on the wires: the TM1637's two-wire
protocol from the pin levels, the MAX7219 chain from the SPI bytes and chip selects.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from suivant_fw import matrix, segments
from suivant_fw.max7219 import Max7219Lines
from suivant_fw.tm1637 import TM1637

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hardware"))
import gen_matrix_font  # noqa: E402  (hardware/ is no package)


# ---- TM1637 --------------------------------------------------------------------------------

class Wires:
    """CLK and DIO as the chip sees them: a log of (clk, dio) after every change."""

    def __init__(self) -> None:
        self.clk = self.dio = 1
        self.log: list[tuple[int, int]] = []

    def pin(self, name: str):
        def set_level(v: int) -> None:
            setattr(self, name, 1 if v else 0)
            self.log.append((self.clk, self.dio))
        return set_level

    def transactions(self) -> list[list[int]]:
        """Bytes between each start and stop condition, decoded as the TM1637 does: bits on
        CLK's rising edge, least significant first, a ninth (ACK) clock per byte."""
        out: list[list[int]] = []
        bits: list[int] | None = None
        prev = (1, 1)
        for clk, dio in self.log:
            if prev[0] == 1 and clk == 1 and prev[1] == 1 and dio == 0:
                bits = []  # start
            elif prev[0] == 1 and clk == 1 and prev[1] == 0 and dio == 1:
                assert bits is not None
                if len(bits) % 9 == 1:
                    bits.pop()  # the stop's own rising CLK edge (with DIO low) is no bit
                assert len(bits) % 9 == 0, "stop inside a byte"
                out.append([sum(b << i for i, b in enumerate(bits[k:k + 8]))
                            for k in range(0, len(bits), 9)])
                bits = None
            elif prev[0] == 0 and clk == 1 and bits is not None:
                bits.append(dio)
            prev = (clk, dio)
        return out


def test_tm1637_sends_data_command_address_digits_and_brightness() -> None:
    w = Wires()
    d = TM1637(w.pin("clk"), w.pin("dio"), lambda us: None, brightness=5)
    d.show(segments.to_bytes("C017"))
    assert w.transactions() == [[0x40], [0xC0, 0x39, 0x3F, 0x06, 0x07], [0x88 | 5]]


@settings(max_examples=50, deadline=None)
@given(text=st.text("0123456789ABCDEF-", min_size=4, max_size=4), brightness=st.integers(0, 7))
def test_tm1637_digits_arrive_as_given(text: str, brightness: int) -> None:
    w = Wires()
    d = TM1637(w.pin("clk"), w.pin("dio"), lambda us: None, brightness)
    d.show(segments.to_bytes(text))
    assert w.transactions()[1] == [0xC0, *segments.to_bytes(text)]


# ---- MAX7219 chain -------------------------------------------------------------------------

class Chain:
    """N daisy-chained MAX7219 fed by SPI: each chip latches the 16 bits it holds when CS
    rises. chips[0] is the one nearest the ESP32."""

    def __init__(self, n: int) -> None:
        self.cs = 1
        self.shift: list[int] = []
        self.regs = [dict[int, int]() for _ in range(n)]
        self.n = n

    def cs_pin(self, v: int) -> None:
        if v and not self.cs:
            words = [(self.shift[i], self.shift[i + 1]) for i in range(0, len(self.shift), 2)]
            assert len(words) == self.n, "one word per chip per latch"
            for chip, (reg, value) in enumerate(reversed(words)):  # last word: nearest chip
                self.regs[chip][reg] = value
            self.shift = []
        self.cs = v

    def write(self, data: bytes) -> None:
        assert not self.cs, "SPI written with CS high"
        self.shift += list(data)

    def pixels_fc16(self, lines: int, modules: int) -> list[list[str]]:
        """Each line as text rows ('#' lit): chip (line l, module m from the left) is
        chips[l * modules + (modules - 1 - m)] — line 1 nearest, a line's rightmost module
        first; row r is digit register r + 1, bit 7 the leftmost column."""
        out = []
        for line in range(lines):
            rows = []
            for r in range(8):
                row = ""
                for m in range(modules):
                    chip = self.regs[line * modules + (modules - 1 - m)]
                    v = chip.get(r + 1, 0)
                    row += "".join("#" if v & (0x80 >> c) else "." for c in range(8))
                rows.append(row)
            out.append(rows)
        return out


def _picture(text: str, width: int) -> list[str]:
    cols = bytearray(width)
    matrix.draw(cols, text)
    return ["".join("#" if cols[c] & (1 << r) else "." for c in range(width)) for r in range(8)]


def test_max7219_initialises_every_chip() -> None:
    chain = Chain(12)
    Max7219Lines(chain, chain.cs_pin, lines=3, modules=4, brightness=9)
    for chip in chain.regs:
        assert chip == {0x0F: 0, 0x09: 0, 0x0B: 7, 0x0A: 9, 0x0C: 1}


def test_max7219_fc16_lines_show_the_drawn_text() -> None:
    chain = Chain(12)
    d = Max7219Lines(chain, chain.cs_pin, lines=3, modules=4)
    texts = ["C017>3", "A012>12", ""]
    cols = [bytearray(32) for _ in texts]
    for c, t in zip(cols, texts):
        matrix.draw(c, t)
    d.show(cols)
    assert chain.pixels_fc16(3, 4) == [_picture(t, 32) for t in texts]


def test_max7219_a_chip_reset_by_a_glitch_lights_again_at_the_next_picture() -> None:
    """Issue 11: the setup registers were written once at boot; a chip reset to its power-on
    state (shut down, one row scanned) stayed dark until the next boot."""
    chain = Chain(12)
    d = Max7219Lines(chain, chain.cs_pin, lines=3, modules=4, brightness=9)
    chain.regs[5] = {0x0C: 0, 0x0B: 0, 0x09: 0, 0x0A: 0}  # chip 5 after a supply glitch
    texts = ["C017>3", "A012>12", ""]
    cols = [bytearray(32) for _ in texts]
    for c, t in zip(cols, texts):
        matrix.draw(c, t)
    d.show(cols)
    assert {r: chain.regs[5][r] for r in (0x0F, 0x09, 0x0B, 0x0A, 0x0C)} == \
        {0x0F: 0, 0x09: 0, 0x0B: 7, 0x0A: 9, 0x0C: 1}
    assert chain.pixels_fc16(3, 4) == [_picture(t, 32) for t in texts]


def test_max7219_parola_layout_puts_columns_in_digit_registers() -> None:
    chain = Chain(2)
    d = Max7219Lines(chain, chain.cs_pin, lines=1, modules=2, layout="parola")
    cols = bytearray(range(1, 17))
    d.show([cols])
    assert [chain.regs[1][k + 1] for k in range(8)] == list(range(1, 9))  # leftmost module
    assert [chain.regs[0][k + 1] for k in range(8)] == list(range(9, 17))


def test_max7219_refuses_an_unknown_layout() -> None:
    chain = Chain(1)
    with pytest.raises(ValueError):
        Max7219Lines(chain, chain.cs_pin, 1, 1, layout="generic")


# ---- matrix text and its font --------------------------------------------------------------

def test_generated_matrix_font_is_up_to_date() -> None:
    assert gen_matrix_font.TARGET.read_text() == gen_matrix_font.render(), (
        f"matrix_font.py differs from hardware/hall/font.txt: run `{gen_matrix_font.COMMAND}`")


def test_each_glyph_is_drawn_as_font_txt_draws_it() -> None:
    glyphs = gen_matrix_font.parse(gen_matrix_font.SOURCE.read_text())
    text = gen_matrix_font.SOURCE.read_text().split("\n")
    rows_of = {}
    for i, line in enumerate(text):
        if line.startswith("char: "):
            rows_of[line[6]] = text[i + 1:i + 8]
    for char, columns in glyphs.items():
        picture = _picture(char, len(columns))
        assert picture[:7] == rows_of[char], char
        assert picture[7] == "." * len(columns)  # the bottom row stays dark


def test_a_hall_line_with_a_two_digit_counter_fits_four_modules() -> None:
    cols = bytearray(32)
    assert matrix.draw(cols, "C017>12") <= 32
    assert matrix.draw(cols, "W888>88") > 32  # wide letters: cut, and the caller can tell


def test_unknown_characters_are_drawn_as_question_marks_and_lowercase_as_upper() -> None:
    a, b = bytearray(32), bytearray(32)
    matrix.draw(a, "c0é")
    matrix.draw(b, "C0?")
    assert a == b


def test_font_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="font.txt:1: 'x' needs 7 rows"):
        gen_matrix_font.parse("char: x\n##\n##\n")
