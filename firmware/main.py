# Runs at each boot of the board (after boot.py). First finish a firmware swap a power loss
# cut short (fw_swap.py: imports nothing of ours, and is dropped before the firmware loads),
# then everything is in suivant_fw: see start.py.
import sys

import fw_swap

fw_swap.recover()
if fw_swap.trial():
    # a build on trial that hangs, or stops at the REPL, is reset by the watchdog, and
    # fw_swap puts the old build back at that boot
    from machine import WDT

    WDT(timeout=60000)
del fw_swap, sys.modules["fw_swap"]

from suivant_fw import start  # noqa: E402 - only once the swap is whole

start.run()
