# Runs at each boot of the board (after boot.py). Everything is in suivant_fw: see start.py.
from suivant_fw import start

start.run()
