"""The hall matrix's call lines (matrix.py) as a person reads them from the waiting room: the
ticket at the left, the counter number alone at the right of the line (a column of counter
numbers down the display, as on a departure board), an arrow between them with space around
it — not « A037>2 » squeezed together with a chevron. Pictures drawn row by row: '#' lit."""
from __future__ import annotations

from suivant_fw import matrix


def picture(text: str, width: int = 32) -> list[str]:
    cols = bytearray(width)
    matrix.draw(cols, text)
    return ["".join("#" if cols[c] & (1 << r) else "." for c in range(width)) for r in range(7)]


def alone(text: str) -> list[str]:
    """`text` drawn on its own, as narrow as it is."""
    cols = bytearray(64)
    n = matrix.draw(cols, text)
    return ["".join("#" if cols[c] & (1 << r) else "." for c in range(n)) for r in range(7)]


def test_a_call_puts_the_ticket_left_the_counter_right_and_an_arrow_between():
    rows = picture("A037>2")
    label, counter = alone("A037"), alone("2")  # 19 and 4 columns
    assert [r[:19] for r in rows] == label
    assert [r[28:] for r in rows] == counter
    # columns 19..27: a blank, the arrow (a 4-column shaft on the middle row, a 3-column
    # head 5, 3 then 1 rows high), a blank
    assert [r[19:28] for r in rows] == [
        ".........",
        ".....#...",
        ".....##..",
        ".#######.",
        ".....##..",
        ".....#...",
        ".........",
    ]


def test_a_two_digit_counter_still_fits_with_a_shorter_arrow():
    rows = picture("C017>12")
    assert [r[-8:] for r in rows] == alone("12")  # 8 columns
    assert [r[:18] for r in rows] == alone("C017")  # 18: a '1' is 3 wide
    # 6 columns left: a blank, a 1-column shaft, the head, a blank
    assert [r[18:24] for r in rows] == [
        "......", "..#...", "..##..", ".####.", "..##..", "..#...", "......"]
    assert matrix.draw(bytearray(32), "C017>12") == 18 + 5 + 8


def test_counter_numbers_line_up_at_the_right_whatever_the_ticket():
    for text in ("A1>3", "C017>3", "M999>3"):
        assert [r[28:] for r in picture(text)] == alone("3"), text


def test_a_line_too_wide_for_the_arrow_is_drawn_as_written_and_said_to_be_cut():
    assert matrix.draw(bytearray(32), "W888>88") > 32
    rows, w888, chevron = picture("W888>88"), alone("W888"), alone(">")
    assert [r[:20] for r in rows] == w888 and [r[21:24] for r in rows] == chevron


def test_lines_that_are_no_call_are_drawn_as_before():
    assert picture("----")[3].startswith("###.###.###.###.")
    assert picture("")[3] == "." * 32
