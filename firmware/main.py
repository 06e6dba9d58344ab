# Runs at each boot of the board (after boot.py). First finish a firmware swap a power loss
# cut short (fw_swap.py: imports nothing of ours, and is dropped before the firmware loads),
# then everything is in suivant_fw: see start.py.
import sys

import fw_swap

fw_swap.recover()
del fw_swap, sys.modules["fw_swap"]

from suivant_fw import start  # noqa: E402 - only once the swap is whole

start.run()
