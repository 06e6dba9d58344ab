"""A board on MicroPython's unix port (real sockets, real asyncio): the firmware's own App,
HAL (hal_esp32, on the stand-in machine/network/ntptime modules of simulators/board_stubs),
device, MQTT session and link, run as on the ESP32. Run by tests/integration/test_unix_board.py:

    micropython unix_board.py <firmware dir> <stubs dir> <config.json> <commands file> [keepalive_s]

config.json is normalised already (suivant_fw.config.validate, under CPython: the test's).

It prints a JSON line whenever what the board shows or its link changes
({"t": ms, "link": "online", "glyphs": "C017", "display": "C017", "pending": 0, "errors": 0,
"failures": 0}: `glyphs` the device's view, `display` what the HAL last sent to the TM1637 —
a code such as C8 when the link cannot work —, `failures` the link's failed attempts), and
reads commands from the commands file as they are appended: `press <button>` (200 ms held,
then 50 ms released, past the debounce: a next press is a new one), `wifi off` / `wifi on`
(the stand-in access point out of reach, back), `probe <expr>` (prints {"probe": expr,
"value": repr}: what the stand-in hardware was set to, for instance).
Nothing of the link is replaced; only the keepalive may be shortened, so that a test waits
seconds. The port's `socket` module is wrapped to record the names the board looks up
(LOOKUPS), and SUIVANT_NTP_PORT moves the stand-in ntptime off port 123 (a test's SNTP server).
"""
import sys

sys.path[:0] = [sys.argv[1], sys.argv[2]]

import gc  # noqa: E402
import os  # noqa: E402
import socket as _socket  # noqa: E402

LOOKUPS = []  # every name given to getaddrinfo, in order (the board's and asyncio's)


class _Resolver:
    """The port's socket module, but getaddrinfo also records the name it is asked."""

    def __getattr__(self, name):
        return getattr(_socket, name)

    def getaddrinfo(self, host, *args):
        LOOKUPS.append(host)
        return _socket.getaddrinfo(host, *args)


sys.modules["socket"] = _Resolver()  # asyncio and ntptime import it when they need it

import asyncio  # noqa: E402
import json  # noqa: E402

import machine  # noqa: E402  (the stand-ins)
import network  # noqa: E402
from suivant_fw import app as app_module  # noqa: E402
from suivant_fw.device import LINK_NAMES  # noqa: E402
from suivant_fw.hal_esp32 import Hal  # noqa: E402
from suivant_fw.link_mqtt import MqttLink  # noqa: E402

with open(sys.argv[3]) as f:  # normalised by the test (config.validate under CPython), as
    CFG = json.load(f)  # the bridge writes it: the board keeps no validator in its heap
COMMANDS = sys.argv[4]
if os.getenv("SUIVANT_NTP_PORT"):
    import ntptime  # the stand-in (the HAL imports it for a TLS board only)
    ntptime.port = int(os.getenv("SUIVANT_NTP_PORT"))
if len(sys.argv) > 5:
    KEEPALIVE_S = int(sys.argv[5])
    app_module.make_link = lambda dev, key, cfg, hal: MqttLink(dev, key, cfg, hal,
                                                               keepalive_s=KEEPALIVE_S)


async def control(app, hal):
    dev = app.dev
    last = None
    read = 0  # commands taken so far, in bytes of the file (they are ASCII)
    pins = CFG["pins"]["buttons"]
    while True:
        state = (LINK_NAMES[dev.link], dev.view.glyphs, len(dev.pending.messages()), dev.errors,
                 app.link.failures, hal._shown)
        if state != last:
            last = state
            print(json.dumps({"t": hal.now(), "link": state[0], "glyphs": state[1],
                              "pending": state[2], "errors": state[3], "failures": state[4],
                              "display": state[5]}))
        with open(COMMANDS) as f:  # only what was appended: a long run reads little
            f.seek(read)
            text = f.read()
        whole = text.rfind("\n") + 1  # a last line without its end may be half written
        read += whole
        for line in text[:whole].split("\n")[:-1]:
            what, name = line.split(" ", 1)
            if what == "probe":  # a test reads the board: an expression, its value's repr
                print(json.dumps({"probe": name, "value": repr(eval(name, globals()))}))
            elif what == "wifi":
                if name == "off":
                    network.WLAN.drop()
                else:
                    network.WLAN.restore()
            elif what == "press":
                machine.PINS[pins[name]].level = 0
                # held 200 ms: a loaded test machine can stall the board's 10 ms sampling past
                # an 80 ms press (two samples 30 ms apart are needed): a press missed, a cycle
                # failed at random in two full runs of issue 17
                await asyncio.sleep_ms(200)
                machine.PINS[pins[name]].level = 1
                await asyncio.sleep_ms(50)  # released past the debounce before the next press
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
