"""Text on the hall display's LED matrices, as columns: pure logic (the driver is max7219.py).

    cols = bytearray(32)                  # one line of 4 modules: 32 columns of 8 LEDs
    need = draw(cols, "C017>3")           # -> columns the text needs; what does not fit is cut
    cols[i] & (1 << r)                    # LED of column i, row r (0 = top) lit

The font (matrix_font.py, generated from hardware/hall/font.txt) is 7 rows high and 1 to 5
columns wide, with one blank column between characters. Lowercase is drawn as uppercase; a
character the font lacks is drawn as '?'.

A call line « label>counter » (what the bridge sends) is laid out for the waiting room, not
written as sent: the ticket at the left, the counter number alone at the right end of the line
— so the counters form one column down the display, as on a departure board — and an arrow
with a blank each side between them (a shaft of up to 4 columns and a 3-column head). « A037 →
guichet 2 » in words does not fit: « GUICHET » alone takes 31 of a line's 32 columns, and 4
modules a line is the hardware (hardware/hall/pins.json); the arrow and the lone number say it
in the shape people know from every French reception. « C017>12 » needs 32 columns (the arrow
is then its head alone); a call too wide even for that is drawn as written, '>' as a chevron,
and cut.
"""
from suivant_fw.matrix_font import CHARS, COLUMNS, START

_UNKNOWN = CHARS.find("?")
_HEAD = b"\x3e\x1c\x08"  # rows 1-5, 2-4, then 3: a solid head on the middle row
_SHAFT = 0x08  # row 3
_MAX_SHAFT = 4


def _glyph(c):
    i = CHARS.find(c.upper())
    return _UNKNOWN if i < 0 else i


def _width(text):
    n = 0
    for c in text:
        i = _glyph(c)
        n += START[i + 1] - START[i] + 1
    return n - 1 if n else 0


def _put(cols, text, x):
    """Draw `text` from column `x` (what falls outside is cut); -> the column after its last."""
    end = len(cols)
    for c in text:
        i = _glyph(c)
        for k in range(START[i], START[i + 1]):
            if 0 <= x < end:
                cols[x] = COLUMNS[k]
            x += 1
        x += 1
    return x


def draw(cols, text, at=0):
    """Clear `cols` (a bytearray) and draw `text` from column `at`; -> the columns the text
    needs (more than len(cols) - at when it was cut)."""
    for i in range(len(cols)):
        cols[i] = 0
    cut = text.find(">")
    if cut > 0 and cut < len(text) - 1 and at == 0:
        left, right = _width(text[:cut]), _width(text[cut + 1:])
        gap = len(cols) - left - right
        if gap >= 5:  # a blank, the head, a blank
            _put(cols, text[:cut], 0)
            _put(cols, text[cut + 1:], len(cols) - right)
            shaft = min(gap - 5, _MAX_SHAFT)
            x = left + (gap - shaft - 3) // 2
            for k in range(shaft):
                cols[x + k] = _SHAFT
            for k in range(3):
                cols[x + shaft + k] = _HEAD[k]
            return left + 5 + right
    return _put(cols, text, at) - at - 1 if text else 0
