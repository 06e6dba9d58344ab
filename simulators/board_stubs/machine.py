"""Stand-in for the ESP32's `machine` module, so hal_esp32 boots off the board (the memory
bench, test_app_boot): just the calls it makes, doing nothing. On the board this is C.

A test that wants to see the wires sets RECORD to a list: every output level set on a Pin is
appended as (gpio, level). PINS holds the last Pin made for each GPIO, so a test can press a
button (its level to 0: the buttons are active low)."""
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


def reset():
    raise SystemExit("machine.reset()")
