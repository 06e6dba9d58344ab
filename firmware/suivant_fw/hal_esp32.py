"""The HAL of the real boards: ESP32-DevKitC V4 wired as hardware/<role>/wiring.md says.

    hal = Hal(cfg)            # a validated config: pins, link, Wi-Fi, display brightness
    app = App(cfg, key, hal)  # app.py lists what a HAL provides; it calls hal.attach(dev)

Buttons are active low with the internal pull-ups; the counter terminal's LED is a dual
green/red LED (online: green; waiting for an ack: both, amber; offline: red); the buzzer a
piezo on PWM; the 7-segment roles a TM1637 (tm1637.py); the hall display a chain of MAX7219 on
the hardware SPI (max7219.py, text from matrix.py). The watchdog resets the board if the main
loop stops for WDT_MS. The MQTT link's network: Wi-Fi (power save off; net_ok tells the link
when it is lost), the broker's address looked up once (_address), and for broker.tls a
connection verified against ca.pem and the broker's name, the clock set by SNTP first (tls.py,
imported by TLS boards only; firmware/CONFIG.md, "TLS"); what cannot work is shown as C8-C10 (link_result). Nothing here
runs off the board: the simulator has its own HAL (simulators/sim_hal.py); tests/firmware/
test_board_drivers.py checks the drivers, tests/integration/test_unix_board.py the links on
MicroPython's unix port.
"""
import asyncio
import gc
import random
import select
import sys
import time

import network
from machine import PWM, SPI, UART, WDT, Pin
from micropython import const

from suivant_fw import segments
from suivant_fw.device import LED_OFFLINE, LED_ONLINE, LED_WAITING

WDT_MS = 30000  # longer than a blocking DNS lookup or SNTP exchange in open_connection
WDT_IDLE_MS = 3600000  # after Ctrl-C: an hour for the technician at the REPL (see idle())
BEEP_MS = 80
BEEP_HZ = 4000  # the piezo's resonance (hardware/counter/bom.csv: TDK PS1240, 4 kHz)
# The hall's MAX7219 intensity never goes above this (hardware/hall/wiring.md: all dots lit at
# 8/15 stay under 2.5 A on the 4 A supply; 15/15 would draw 3.9 A for the matrices alone)
HALL_INTENSITY_MAX = 8
WIFI_MS = 20000
CA_FILE = "ca.pem"  # broker.tls: the broker's CA certificate on the board's flash
RESOLVE_AFTER = const(3)  # connections failed in a row before a name is looked up again
# While a TLS connection cannot work the display shows a code instead of the link's state
# (firmware/CONFIG.md, "Errors"): C8 ca.pem missing or damaged, C9 the broker's certificate
# refused (not signed by ca.pem's CA, not naming broker.host, out of its dates), C10 no time
# from the NTP server. C8 and C10 are raised as OSError(code, why); C9 is MicroPython's ssl
# refusing the certificate during the handshake: ValueError (mbedTLS's verify message) or
# OSError -9984 (MBEDTLS_ERR_X509_CERT_VERIFY_FAILED).


# Each role imports only its display's driver: RAM is the scarce resource (performance.md).
def _tm1637(display, brightness):
    from suivant_fw.tm1637 import TM1637
    clk = Pin(display["clk"], Pin.OUT, value=1)
    # open drain: at the ninth clock the TM1637 pulls DIO low to acknowledge while we "send" 1;
    # a push-pull output would fight it
    dio = Pin(display["dio"], Pin.OPEN_DRAIN, value=1)
    return TM1637(clk, dio, time.sleep_us, brightness)


def _max7219(display, brightness):
    from suivant_fw.max7219 import Max7219Lines
    chain = display["chain"]
    spi = SPI(2, baudrate=10000000, sck=Pin(display["clk"]), mosi=Pin(display["din"]))
    cs = Pin(display["cs"], Pin.OUT, value=1)
    return Max7219Lines(spi, cs, chain["lines"], chain["modules_per_line"], chain["layout"],
                        min(2 * brightness, HALL_INTENSITY_MAX))


class _Stdio:
    """The USB port shared with the REPL, as a stream: frames in on stdin, out on stdout.
    Ctrl-C still interrupts (MicroPython's keyboard interrupt sees stdin first)."""

    def __init__(self):
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)

    async def read(self, n):
        while not self._poll.poll(0):
            await asyncio.sleep(0.005)
        out = b""
        while len(out) < n and self._poll.poll(0):
            out += sys.stdin.buffer.read(1)
        return out

    def write(self, data):
        sys.stdout.buffer.write(data)

    async def drain(self):
        pass


class _Rs485:
    """UART2 through the MAX3485: drive DE only while sending (half duplex)."""

    def __init__(self, uart, de):
        self._uart = uart
        self._de = de
        self._stream = asyncio.StreamReader(uart)

    async def read(self, n):
        return await self._stream.read(n)

    def write(self, data):
        self._de(1)
        self._uart.write(data)
        self._uart.flush()  # returns once the last bit left: then release the bus
        self._de(0)

    async def drain(self):
        pass


class Hal:
    flash = True  # "/" is the board's flash: over-the-air updates are staged there (ota.py)

    def __init__(self, cfg):
        # Keep only what is used later: the validated config (~7 KB) must not stay in RAM.
        pins = cfg["pins"]
        self._wifi = cfg.get("wifi")
        self._button_pins = pins.get("buttons")
        self._rs485 = pins.get("rs485")
        self._last = time.ticks_ms()
        self._now = 0
        brightness = (cfg.get("display") or {}).get("brightness", 4)
        display = pins.get("display")
        tm = display is not None and display["driver"] == "tm1637"
        self._tm = _tm1637(display, brightness) if tm else None
        self._matrix = _max7219(display, brightness) if display and not tm else None
        m = self._matrix
        self._cols = [bytearray(8 * m.modules) for _ in range(m.lines)] if m else []
        self._shown = None  # what the display shows now, to repaint only changes
        led = pins.get("led") or {}
        self._leds = {}
        for name in led:
            if name != "driver":
                self._leds[name] = Pin(led[name], Pin.OUT, value=0)
        buzzer = pins.get("buzzer")
        self._buzzer = PWM(Pin(buzzer["pin"]), freq=BEEP_HZ, duty_u16=0) if buzzer else None
        self._beep_until = -1
        self._buttons = []  # type: list
        self._wlan = None
        broker = cfg.get("broker") or {}
        self._ntp = broker.get("ntp") or broker.get("host")  # TLS: where the time comes from
        self._tls = None  # the SSLContext with ca.pem's CA, made at the first TLS connection
        self._addrs = {}  # host name -> its IPv4 address, looked up once (see _address)
        self._misses = 0  # connections failed in a row (link_result)
        self._verifying = False  # a TLS attempt that has not come up yet
        self._fault = None  # what the display shows instead of the view (link_result)
        self._wdt = WDT(timeout=WDT_MS)

    def attach(self, dev):
        """The pins of dev.button_names, in that order (read_buttons fills levels so)."""
        have = self._button_pins or {}
        self._buttons = [Pin(have[name], Pin.IN, Pin.PULL_UP) for name in dev.button_names]

    # -- time, randomness, health ------------------------------------------------------------
    def now(self):
        t = time.ticks_ms()
        self._now += time.ticks_diff(t, self._last)
        self._last = t
        return self._now

    def rand(self):
        return random.random()

    def boot_nonce(self):
        return "%08x" % random.getrandbits(32)

    def heap(self):
        """(gc.mem_free(), gc.mem_alloc(), the IDF heap's largest free block) for status. On
        the ESP32 mem_free counts room the MicroPython heap could still grow into; the largest
        free block says whether a TLS session or a socket buffer can still be had."""
        import esp32  # C, loaded with the firmware image: a lookup after the first call
        largest = 0
        for region in esp32.idf_heap_info(esp32.HEAP_DATA):  # (total, free, largest, min)
            if region[2] > largest:
                largest = region[2]
        return gc.mem_free(), gc.mem_alloc(), largest

    def rssi(self):
        w = self._wlan
        if w is None or not w.isconnected():
            return None
        return w.status("rssi")

    def feed(self):
        self._wdt.feed()

    def reset(self):
        """A new build is staged (ota.py): fw_swap.py swaps it in at boot."""
        import machine
        machine.reset()

    def idle(self):
        """Leaving for the REPL (Ctrl-C): the watchdog cannot be stopped on the ESP32, only
        given a long timeout, so mpremote has time to work before the board resets."""
        self._wdt = WDT(timeout=WDT_IDLE_MS)

    # -- input and output --------------------------------------------------------------------
    def read_buttons(self, levels):
        buttons = self._buttons
        for i in range(len(buttons)):
            levels[i] = 0 if buttons[i].value() else 1  # active low

    def beep(self, now):
        if self._buzzer is not None:
            self._buzzer.duty_u16(32768)
            self._beep_until = now + BEEP_MS

    def paint(self, view, now):
        if self._beep_until >= 0 and now >= self._beep_until and self._buzzer is not None:
            self._buzzer.duty_u16(0)
            self._beep_until = -1
        if self._tm is not None:
            glyphs = self._fault or view.glyphs_at(now)
            if glyphs != self._shown:
                self._shown = glyphs
                self._tm.show(segments.to_bytes(glyphs))
        elif self._matrix is not None:
            self._paint_lines(view, now)
        if view.dirty:
            self._paint_leds(view)

    def _paint_lines(self, view, now):
        lines = self._fault or view.lines_at(now)
        if lines == self._shown:
            return
        self._shown = lines
        from suivant_fw import matrix
        cols = self._cols
        for i in range(len(cols)):
            matrix.draw(cols[i], lines[i] if i < len(lines) else "")
        if self._matrix is not None:
            self._matrix.show(cols)

    def _paint_leds(self, view):
        leds = self._leds
        if "green" in leds:  # the counter terminal's dual LED
            leds["green"](view.led in (LED_ONLINE, LED_WAITING))
            leds["red"](view.led in (LED_OFFLINE, LED_WAITING))
        else:  # feedback: the voted button's LED says thank you
            for name in leds:
                leds[name](view.thanks and name == "vote_%d" % view.thanks)

    # -- links -----------------------------------------------------------------------------
    async def net_up(self):
        if self._wlan is None:
            self._wlan = network.WLAN(network.STA_IF)
            self._wlan.active(True)
            # power save off (as mqtt_as does): asleep between beacons, the radio would add up
            # to a DTIM interval (100-300 ms) to every ack and show
            self._wlan.config(pm=network.WLAN.PM_NONE)
        w = self._wlan
        if w.isconnected():
            return
        wifi = self._wifi
        w.active(True)
        try:
            w.connect(wifi["ssid"], wifi["password"])
        except OSError:  # "already connecting": wait for that attempt
            pass
        waited = 0
        while not w.isconnected():
            if waited >= WIFI_MS:
                w.disconnect()
                raise OSError("wifi: not connected after %d s" % (WIFI_MS // 1000))
            await asyncio.sleep(0.1)
            waited += 100

    def net_ok(self):
        """Still on Wi-Fi: the link drops its connection as soon as the access point is lost."""
        w = self._wlan
        return w is None or w.isconnected()  # None: net_up made no WLAN (a test's HAL)

    async def open_connection(self, host, port, tls):
        """TCP, or TLS verified against ca.pem and host (the clock set first), to the address
        host had when first looked up (DNS blocks the whole loop: once, not per reconnect)."""
        again = self._misses >= RESOLVE_AFTER  # the broker may have moved: look it up again
        if again:
            self._misses = 0
        ctx = None
        if tls:  # imported by TLS boards only (RAM: performance.md)
            from suivant_fw import tls as tls_setup
            if self._tls is None:
                self._tls = tls_setup.context(CA_FILE)
            tls_setup.set_clock(self._address(self._ntp, again) if tls_setup.clock_unset()
                                else None, self._ntp)
            ctx = self._tls
            self._verifying = True
        return await asyncio.open_connection(self._address(host, again), port, ssl=ctx,
                                             server_hostname=host)

    def link_result(self, error):
        """From the link: None when a connection came up, else what ended an attempt or a
        connection. Counts failures in a row (for _address); picks the code shown until the
        next result (C8-C10: the comment at the top), or None: the view's oFFL, Conn..."""
        code = None
        if error is None:
            self._misses = 0
        else:
            self._misses += 1
            code = getattr(error, "errno", None)  # args[0], for any exception
            if code != "C8" and code != "C10":
                code = "C9" if self._verifying and (
                    isinstance(error, ValueError) or code == -9984) else None
        self._verifying = False
        if code is not None:
            code = segments.fit(code) if self._tm is not None else (code,)
        self._fault = code

    def _address(self, host, again):
        """host's IPv4 address: a name is looked up at its first use and kept, and again only
        after RESOLVE_AFTER failed connections (keeping the old address if that fails)."""
        known = self._addrs.get(host)
        if (known and not again) or (host.count(".") == 3 and host.replace(".", "").isdigit()):
            return known or host
        import socket
        try:  # blocks the loop until the name server answers or lwIP gives up
            found = socket.getaddrinfo(host, 0, socket.AF_INET)[0][-1]
        except OSError as e:
            if known:
                return known
            raise OSError("dns: %s not resolved (%s)" % (host, e))
        # the ESP32 gives (address, port); the unix port a raw sockaddr_in
        ip = found[0] if isinstance(found, tuple) else socket.inet_ntop(socket.AF_INET,
                                                                        found[4:8])
        self._addrs[host] = ip
        return ip

    def open_serial(self, serial):
        if serial["uart"] == 0:
            usb = _Stdio()
            return usb, usb
        p = self._rs485
        uart = UART(2, baudrate=serial["baud"], tx=p["tx"], rx=p["rx"])
        bus = _Rs485(uart, Pin(p["de"], Pin.OUT, value=0))
        return bus, bus


def show_code(code, path="config.json"):
    """At boot, when config.json is refused: its error code on the display the file's role
    (if it can be read at all) would have, on that role's shipped pins."""
    import json
    try:
        with open(path) as f:
            role = json.load(f).get("role")
    except (OSError, ValueError, AttributeError):
        return
    from suivant_fw.pins_default import PINS
    display = (PINS.get(role) or {}).get("display")
    if not isinstance(display, dict):
        return
    if display["driver"] == "tm1637":
        _tm1637(display, 7).show(segments.to_bytes(segments.fit(code)))
    else:
        from suivant_fw import matrix
        m = _max7219(display, 3)
        cols = [bytearray(8 * m.modules) for _ in range(m.lines)]
        matrix.draw(cols[0], code)
        m.show(cols)
