"""The hall display's LED matrix font: 7 rows, variable width.

GENERATED from hardware/hall/font.txt by hardware/gen_matrix_font.py: do not edit.
After changing font.txt, run `.venv/bin/python hardware/gen_matrix_font.py`.

Glyph i (the character CHARS[i]) is COLUMNS[START[i]:START[i + 1]], one byte a
column, left to right, bit 0 the top row.
"""

CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ>-? '
START = b"\x00\x04\x07\x0b\x0f\x13\x17\x1b\x1f#'+/37;?CGJNRV[_cgkosvz~\x83\x87\x8a\x8e\x91\x94\x98\x9a"
COLUMNS = b'>IE>B\x7f@bQIFAII6\x1c\x12\x7f\x10\'EE9>II0\x01q\r\x036II6\x06II>~\t\t~\x7fII6>AA"\x7fAA>\x7fIIA\x7f\t\t\x01>AIz\x7f\x08\x08\x7fA\x7fA @A?\x7f\x14"A\x7f@@@\x7f\x02\x0c\x02\x7f\x7f\x06\x18\x7f>AA>\x7f\t\t\x06>AQ>\x7f\x19)FFII1\x01\x7f\x01?@@?\x1f``\x1f\x7f \x18 \x7fc\x1c\x1cc\x07x\x07qIEC"\x14\x08\x08\x08\x08\x02\x01Y\x06\x00\x00'
