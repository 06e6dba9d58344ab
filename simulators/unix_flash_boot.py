"""A board that boots from its flash, on MicroPython's unix port: the current folder is the
flash (main.py, fw_swap.py, suivant_fw/, config.json, ota.json), booted as an ESP32 boots it —
main.py runs, fw_swap first — with the stand-in machine/network modules after it on sys.path.

    cd <flash folder> && micropython unix_flash_boot.py <stubs dir>

machine.reset() (the stand-in) ends the process: simulators/flash_board.py powers it on
again, as a board restarts.
"""
import sys

sys.path[:] = ["", sys.argv[1]] + sys.path[1:]  # the flash first, as on the board
with open("main.py") as f:
    source = f.read()
exec(source)
