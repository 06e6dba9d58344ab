"""A board on MicroPython's unix port (real sockets, real asyncio): the firmware's own App,
HAL (hal_esp32, on the stand-in machine/network modules of simulators/board_stubs), device,
MQTT session and link, run as on the ESP32. Run by tests/integration/test_unix_board.py:

    micropython unix_board.py <firmware dir> <stubs dir> <config.json> <commands file> [keepalive_s]

It prints a JSON line whenever what the board shows or its link changes
({"t": ms, "link": "online", "glyphs": "C017", "pending": 0, "errors": 0, "failures": 0}: the
link's failed attempts), and reads commands
from the commands file as they are appended: `press <button>` (a 120 ms press), `probe <expr>`
(prints {"probe": expr, "value": repr}: what the stand-in hardware was set to, for instance). Nothing of the
link is replaced; only the keepalive may be shortened, so that a test waits seconds.
"""
import sys

sys.path[:0] = [sys.argv[1], sys.argv[2]]

import asyncio  # noqa: E402
import json  # noqa: E402

import machine  # noqa: E402  (the stand-in)
from suivant_fw import app as app_module  # noqa: E402
from suivant_fw.config import validate  # noqa: E402
from suivant_fw.device import LINK_NAMES  # noqa: E402
from suivant_fw.hal_esp32 import Hal  # noqa: E402
from suivant_fw.link_mqtt import MqttLink  # noqa: E402

with open(sys.argv[3]) as f:
    CFG = validate(json.load(f))
COMMANDS = sys.argv[4]
if len(sys.argv) > 5:
    KEEPALIVE_S = int(sys.argv[5])
    app_module.make_link = lambda dev, key, cfg, hal: MqttLink(dev, key, cfg, hal,
                                                               keepalive_s=KEEPALIVE_S)


async def control(app, hal):
    dev = app.dev
    last = None
    done = 0
    pins = CFG["pins"]["buttons"]
    while True:
        state = (LINK_NAMES[dev.link], dev.view.glyphs, len(dev.pending.messages()), dev.errors,
                 app.link.failures)
        if state != last:
            last = state
            print(json.dumps({"t": hal.now(), "link": state[0], "glyphs": state[1],
                              "pending": state[2], "errors": state[3], "failures": state[4]}))
        with open(COMMANDS) as f:
            lines = f.read().split("\n")
        for line in lines[done:-1]:  # the last piece may be half written
            what, name = line.split(" ", 1)
            if what == "probe":  # a test reads the board: an expression, its value's repr
                print(json.dumps({"probe": name, "value": repr(eval(name, globals()))}))
            elif what == "press":
                machine.PINS[pins[name]].level = 0
                await asyncio.sleep_ms(120)
                machine.PINS[pins[name]].level = 1
        done = max(done, len(lines) - 1)
        await asyncio.sleep_ms(20)


HAL = None
APP = None


async def main():
    global HAL, APP
    hal = HAL = Hal(CFG)
    app = APP = app_module.App(CFG, bytes.fromhex(CFG["key"]), hal)
    asyncio.create_task(control(app, hal))
    await app.run()

asyncio.run(main())
