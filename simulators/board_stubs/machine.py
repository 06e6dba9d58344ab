"""Stand-in for the ESP32's `machine` module, so hal_esp32 boots off the board (the memory
bench, test_app_boot): just the calls it makes, doing nothing. On the board this is C.

A test that wants to see the wires sets RECORD to a list: every output level set on a Pin is
appended as (gpio, level). PINS holds the last Pin made for each GPIO, so a test can press a
button (its level to 0: the buttons are active low). RTC is the board's clock: 2000-01-01 at
power-on, as the ESP32's (no battery), until ntptime (the stand-in beside this) sets it."""
RECORD = None
PINS = {}


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2

    def __init__(self, n, mode=-1, pull=-1, value=None):
        self.n = n
        self.mode = mode
        self.level = 1 if value is None else value
        PINS[n] = self

    def __call__(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        if RECORD is not None:
            RECORD.append((self.n, self.level))

    def value(self, v=None):
        return self(v)


class PWM:
    def __init__(self, pin, freq=0, duty_u16=0):
        self.duty = duty_u16

    def duty_u16(self, v=None):
        if v is not None:
            self.duty = v
        return self.duty


class SPI:
    def __init__(self, n, baudrate=0, sck=None, mosi=None):
        self.written = 0

    def write(self, data):
        self.written += len(data)


class UART:
    def __init__(self, n, baudrate=0, tx=None, rx=None):
        pass

    def write(self, data):
        return len(data)

    def flush(self):
        pass


class WDT:
    def __init__(self, timeout=5000):
        self.fed = 0

    def feed(self):
        self.fed += 1


def _days(year, month, day):
    """Days from 1970-01-01 to that date (proleptic Gregorian)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


class RTC:
    """datetime() -> (year, month, day, weekday, hours, minutes, seconds, subseconds), UTC;
    datetime(that tuple) sets it. One clock for every RTC object; it runs on the port's ticks."""
    _base = 946684800  # seconds since 1970 at power-on: 2000-01-01 00:00:00
    _at = None  # ticks_ms when _base was true
    sets = 0

    def datetime(self, dt=None):
        import time
        now = time.ticks_ms()
        if RTC._at is None:
            RTC._at = now
        if dt is not None:
            RTC._base = _days(dt[0], dt[1], dt[2]) * 86400 + dt[4] * 3600 + dt[5] * 60 + dt[6]
            RTC._at = now
            RTC.sets += 1
            return None
        tm = time.gmtime(RTC._base + time.ticks_diff(now, RTC._at) // 1000)
        return (tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0)


def reset():
    raise SystemExit("machine.reset()")
