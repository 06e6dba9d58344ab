"""A running device: its role's state machine, its buttons, its link and its HAL, in asyncio.

    app = App(cfg, key, hal)              # cfg, key: boot.load_config(); hal: hal_esp32.Hal
    asyncio.run(app.run())                #   on the board, or the simulator's HAL

The HAL is all the hardware, behind these names (hal_esp32.py on the board, simulators/
sim_hal.py on the desktop; both are duck-typed, no base class to load):

    attach(dev)               the device is built: its button_names give the buttons' order
    now() -> ms               a count that never goes back (kept with ticks_diff)
    rand() -> float           in [0, 1), for jitter;  boot_nonce() -> 8 lowercase hex digits
    read_buttons(levels)      levels[i] = 1 while button dev.button_names[i] is pressed
    paint(view, now)          draw a device.View: 7-segment glyphs, hall lines, LEDs
    beep(now)                 one short beep, ended by the HAL itself (in paint)
    feed()                    the watchdog;  reset(): restart the board (a new build is in)
    flash                     True if the current folder is the board's flash: it takes
                              over-the-air updates (ota.py); the simulator's boards do not
    heap(), rssi()            (gc.mem_free(), gc.mem_alloc(), largest free block of the
                              IDF heap or None); Wi-Fi RSSI in dBm, or None
    net_up()                  async: Wi-Fi connected (OSError if it cannot)
    open_connection(host, port, tls)   async: (reader, writer), asyncio streams
    net_ok(), link_result(e)  optional, for the MQTT link (link_mqtt.py's docstring): Wi-Fi
                              still up; each connection's outcome (DNS retries, C8-C10 codes)
    open_serial(serial_cfg)   (reader, writer) for the serial link

One loop does the local work every LOOP_MS: sample the buttons, let the device keep its
timers, beep, repaint when the view changed (or blinks), feed the watchdog, refresh heap and
RSSI for the next `status`. The link runs as its own task and only talks to the device.
"""
import asyncio

from suivant_fw import roles
from suivant_fw.buttons import Buttons

try:
    from micropython import const
except ImportError:  # CPython: the simulator runs this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

LOOP_MS = const(10)  # button sampling; debounce needs a few samples in 30 ms
_HEALTH_MS = const(1000)
# The watchdog is fed only while the link task shows it is alive: its beat is at most this old
# (longer than its longest wait: Wi-Fi 20 s + connect 15 s, or a backoff of 30 s + 25 %).
LINK_STALL_MS = const(90000)


def make_link(dev, key, cfg, hal):
    if cfg["link"] == "serial":
        from suivant_fw.link_serial import SerialLink
        return SerialLink(dev, key, cfg, hal)
    from suivant_fw.link_mqtt import MqttLink
    return MqttLink(dev, key, cfg, hal)


def _updater(dev, key, hal, role, link):
    from suivant_fw.ota import Updater
    return Updater(dev, key, hal, role, link)


def _on_trial():
    """Is ota.json's state "trial"? Read without importing json or ota.py (RAM)."""
    try:
        with open("ota.json") as f:
            return '"trial"' in f.read(200)
    except OSError:
        return False


class App:
    def __init__(self, cfg, key, hal):
        self.hal = hal
        now = hal.now()
        self.dev = dev = roles.for_config(cfg, hal.boot_nonce(), hal.rand, now)
        hal.attach(dev)
        timing = cfg["timing"]
        n = len(dev.button_names)
        self.buttons = Buttons(n, dev.long_press, timing["debounce_ms"],
                               timing["long_press_ms"]) if n else None
        self.levels = bytearray(n)
        self.link = make_link(dev, key, cfg, hal)
        if getattr(hal, "flash", False):  # a board with its own flash takes updates
            role, link = cfg["role"], cfg["link"]
            dev.make_ota = lambda: _updater(dev, key, hal, role, link)
            if _on_trial():  # a new build on trial (fw_swap.py): it confirms itself (ota.py)
                dev.ota = dev.make_ota()
        self._health = now
        self._link_task = None

    def step(self):
        """One turn of the local loop (the simulator's tests call it directly too)."""
        hal, dev = self.hal, self.dev
        now = hal.now()
        if self.buttons is not None:
            hal.read_buttons(self.levels)
            if self.buttons.update(now, self.levels):
                dev.buttons(self.buttons.events, now)
        dev.tick(now)
        view = dev.view
        if view.take_beep():
            hal.beep(now)
        hal.paint(view, now)  # the HAL repaints only what changed (dirty, blinking, beeping)
        view.dirty = False
        if now - self._health >= _HEALTH_MS:
            self._health = now
            dev.heap = hal.heap()
            dev.rssi = hal.rssi()
        if self.link_alive(now):
            hal.feed()

    def link_alive(self, now):
        """False once the link task has ended or stopped beating: then the watchdog is not
        fed and resets the board, rather than a board that looks alive and talks to nobody."""
        task = self._link_task
        if task is not None and task.done():
            return False
        return now - getattr(self.link, "beat", now) < LINK_STALL_MS

    async def run(self):
        link = self._link_task = asyncio.create_task(self.link.run())
        try:
            while True:
                self.step()
                await asyncio.sleep(LOOP_MS / 1000)
        finally:  # cancelled (a simulated power cut, Ctrl-C): the link goes with it
            link.cancel()
