"""Text on the hall display's LED matrices, as columns: pure logic (the driver is max7219.py).

    cols = bytearray(32)                  # one line of 4 modules: 32 columns of 8 LEDs
    need = draw(cols, "C017>3")           # -> columns the text needs; what does not fit is cut
    cols[i] & (1 << r)                    # LED of column i, row r (0 = top) lit

The font (matrix_font.py, generated from hardware/hall/font.txt) is 7 rows high and 1 to 5
columns wide, with one blank column between characters, so a line « C017>12 » takes 31
columns and fits a line of 4 modules. Lowercase is drawn as uppercase; a character the font
lacks is drawn as '?'.
"""
from suivant_fw.matrix_font import CHARS, COLUMNS, START

_UNKNOWN = CHARS.find("?")


def _glyph(c):
    i = CHARS.find(c.upper())
    return _UNKNOWN if i < 0 else i




def draw(cols, text, at=0):
    """Clear `cols` (a bytearray) and draw `text` from column `at`; -> the columns the text
    needs (more than len(cols) - at when it was cut)."""
    for i in range(len(cols)):
        cols[i] = 0
    x = at
    end = len(cols)
    for c in text:
        i = _glyph(c)
        for k in range(START[i], START[i + 1]):
            if 0 <= x < end:
                cols[x] = COLUMNS[k]
            x += 1
        x += 1
    return x - at - 1 if text else 0
