"""The device's config.json (firmware/CONFIG.md): validate(raw) -> the normalised config.

validate(raw) takes what json.load gave and returns a new plain dict with every default filled
in (and `pins` always present: the role's shipped map when config.json has none), or raises
ConfigError(code, key, reason): `code` short and stable for a 7-segment display (`C5`), `key`
the path of the key at fault (`broker.port`), `reason` a hint for the REPL. Reasons never quote
a value from the config, so no password or key can leak through an error; redacted(config)
hides the secrets for `suivant device info`.

The checks run in a fixed order (CONFIG.md, "Errors"), so a config has exactly one error code
on CPython and on MicroPython alike; where several keys are unknown, the first in sorted order
is named (MicroPython's dicts do not keep the file's order).

sealed(config) is what the bridge writes to the board: the validated config plus its seal, so
that the board can boot without importing this module (suivant_fw.boot, CONFIG.md "Sealed").
A `sealed` key in raw is accepted and left out of validate()'s result.
"""
import json

from suivant_fw.boot import SEAL, digest
from suivant_fw.message import KEY_LEN, ROLES
from suivant_fw.pins_default import PINS

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

SCHEMA = const(1)
BOARD = "esp32-devkit-c-v4"
LINKS = ("mqtt", "serial")
HIDDEN = "***"

# Error codes (CONFIG.md): short, stable, shown on the device's display.
FILE = "C0"      # config.json unreadable, not JSON, or not an object
VERSION = "C1"   # `schema` missing or not 1
MISSING = "C2"   # a required key is absent
UNKNOWN = "C3"   # a key the schema does not know here (misspelt, or for another role or link)
TYPE = "C4"      # wrong JSON type
VALUE = "C5"     # out of range, or not in the expected format
CONFLICT = "C6"  # keys that contradict each other
PIN = "C7"       # a GPIO the board cannot use there, or used twice

_TOP = ("schema", "device", "role", "key", "site", "link", "wifi", "broker", "serial", "counter",
        "pins", "timing", "display", SEAL)
_WITH_COUNTER = ("counter", "display")
_DEVICE_MAX = const(24)
_SITE_MAX = const(40)
_SSID_MAX = const(32)
_HOST_MAX = const(253)
_USER_MAX = const(64)
_PASSWORD_MAX = const(128)
_PORT_MQTT = const(1883)
_PORT_MQTTS = const(8883)
_SECRET_HINTS = ("pas", "word", "pw", "psk", "secret", "key", "token")  # "pasword" too

# name -> (lowest, highest, default)
_TIMING = {
    "debounce_ms": (5, 200, 30),
    "long_press_ms": (500, 10000, 1500),  # as suivant_fw.buttons
    "status_s": (10, 3600, 60),
}
_BRIGHTNESS = (0, 7, 4)

# --- pin maps (hardware/README.md, "pins.json schema") ---------------------------------------
_GROUPS = ("buttons", "display", "led", "buzzer", "rs485")  # the order of the checks
_ROLE_GROUPS = {  # role -> (required groups, optional groups)
    "counter": (("buttons", "display", "led", "buzzer"), ("rs485",)),
    "display": (("display",), ("rs485",)),
    "hall": (("display",), ("rs485",)),
    "feedback": (("buttons",), ("led", "rs485")),
}
_PRESS = ("next", "recall", "absent", "finish", "transfer", "pause", "close")  # protocol.md §2
_VOTES = ("vote_1", "vote_2", "vote_3", "vote_4")
# group -> driver -> its GPIO keys (None: one per button)
_DRIVERS = {
    "display": {"tm1637": ("clk", "dio"), "max7219_matrix": ("din", "clk", "cs")},
    "led": {"dual": ("green", "red"), "per_button": None},
    "buzzer": {"piezo_pwm": ("pin",)},
    "rs485": {"max3485": ("tx", "rx", "de")},
}  # type: dict
_DISPLAY_DRIVER = {"counter": "tm1637", "display": "tm1637", "hall": "max7219_matrix"}
_CHAIN_KEYS = ("lines", "modules_per_line", "layout")
_LAYOUTS = ("fc16", "parola")
_INPUTS = ("rs485.rx",)  # signals that only read (buttons apart): may be on an input-only GPIO
# The ESP32-DevKitC V4 header (hardware/README.md)
_HEADER = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23,
           25, 26, 27, 32, 33, 34, 35, 36, 39)
_FLASH = (6, 7, 8, 9, 10, 11)
_UART0 = (1, 3)
_INPUT_ONLY = (34, 35, 36, 39)
_STRAPPING = (0, 2, 5, 12, 15)


class ConfigError(ValueError):
    """config.json breaks a rule of CONFIG.md. `code` (C0..C7) for the display, `key` the path
    of the key at fault ('' for the whole file), `reason` for people; none quotes a value."""

    def __init__(self, code, key, reason):
        # super(), not ValueError.__init__(self, ...): MicroPython's built-in exception types
        # have no __init__ attribute to call.
        super().__init__(code + " " + key + ": " + reason if key else code + ": " + reason)
        self.code = code
        self.key = key
        self.reason = reason


_ABSENT = object()


def _join(path, name):
    return path + "." + name if path else name


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _object(value, path):
    if not isinstance(value, dict):
        raise ConfigError(TYPE, path, "expected an object {...}")
    return value


def _only(obj, path, known, why):
    """ConfigError for the first (sorted) key of obj that is not in known."""
    extra = sorted([str(k) for k in obj if k not in known])
    if extra:
        raise ConfigError(UNKNOWN, _join(path, extra[0]), why)


def _refuse(obj, path, names, why):
    for name in names:
        if name in obj:
            raise ConfigError(UNKNOWN, _join(path, name), why)


def _get(obj, path, name, default):
    value = obj.get(name, _ABSENT)
    if value is _ABSENT:
        if default is _ABSENT:
            raise ConfigError(MISSING, _join(path, name), "required")
        return default
    return value


def _int(obj, path, name, lo, hi, default=_ABSENT):
    value = _get(obj, path, name, default)
    if not _is_int(value):
        raise ConfigError(TYPE, _join(path, name), "expected an integer")
    if not lo <= value <= hi:
        raise ConfigError(VALUE, _join(path, name), "%d to %d" % (lo, hi))
    return value


def _bool(obj, path, name, default=_ABSENT):
    value = _get(obj, path, name, default)
    if not isinstance(value, bool):
        raise ConfigError(TYPE, _join(path, name), "expected true or false")
    return value


def _text(obj, path, name, ok, why, default=_ABSENT):
    value = _get(obj, path, name, default)
    if not isinstance(value, str):
        raise ConfigError(TYPE, _join(path, name), "expected a string")
    if not ok(value):
        raise ConfigError(VALUE, _join(path, name), why)
    return value


def _choice(obj, path, name, choices):
    return _text(obj, path, name, lambda v: v in choices, "one of " + ", ".join(choices))


def _section(obj, path, name, known, default=_ABSENT):
    """The sub-object obj[name] (or default), after refusing its unknown keys."""
    where = _join(path, name)
    value = _object(_get(obj, path, name, default), where)
    _only(value, where, known, "unknown key (misspelt?)")
    return value


def _schema(obj, path):
    value = obj.get("schema", _ABSENT)
    if not _is_int(value) or value != SCHEMA:
        raise ConfigError(VERSION, _join(path, "schema"),
                          "missing" if value is _ABSENT else "this firmware reads schema 1")


# --- text formats ----------------------------------------------------------------------------

def _chars(s, allowed_extra):
    for c in s:
        if not ("a" <= c <= "z" or "0" <= c <= "9" or c in allowed_extra):
            return False
    return True


def _device_ok(s):  # protocol.md §1
    return 1 <= len(s) <= _DEVICE_MAX and _chars(s, "-")


def _slug_ok(s):  # the site id of the bridge's site file
    return 1 <= len(s) <= _SITE_MAX and s[0] != "-" and _chars(s, "-")


def _hex_digits(s):
    for c in s:
        if not ("0" <= c <= "9" or "a" <= c <= "f" or "A" <= c <= "F"):
            return False
    return True


def _printable(s):
    for c in s:
        if not " " <= c <= "~":
            return False
    return True


def _utf8_len(s):
    """Bytes of s in UTF-8; -1 if s holds a surrogate. A JSON escaped pair (an emoji as two
    backslash-u escapes) is one character on CPython but two surrogates on MicroPython, whose
    UTF-8 is not the SSID's bytes: refused, so non-ASCII text goes in the file as UTF-8."""
    for c in s:
        if 0xD800 <= ord(c) <= 0xDFFF:
            return -1
    return len(s.encode("utf-8"))


def _ssid_ok(s):
    return 1 <= _utf8_len(s) <= _SSID_MAX


def _psk_ok(s):
    """WPA2: a passphrase of 8 to 63 printable ASCII characters, or the 64-hex-digit PSK;
    empty for an open network."""
    return s == "" or (8 <= len(s) <= 63 and _printable(s)) or (len(s) == 64 and _hex_digits(s))


def _host_ok(s):
    return 1 <= len(s) <= _HOST_MAX and _chars(s.lower(), ".-_") and _chars(s[0].lower(), "")


def _user_ok(s):
    return 1 <= len(s) <= _USER_MAX and _printable(s) and " " not in s


def _password_ok(s):
    return 1 <= _utf8_len(s) <= _PASSWORD_MAX


# --- sections --------------------------------------------------------------------------------

def _wifi(raw):
    w = _section(raw, "", "wifi", ("ssid", "password"))
    return {
        "ssid": _text(w, "wifi", "ssid", _ssid_ok, "1 to 32 bytes"),
        "password": _text(w, "wifi", "password", _psk_ok,
                          "8 to 63 printable ASCII characters, 64 hex digits, or empty for an "
                          "open network"),
    }


def _broker(raw, device):
    b = _section(raw, "", "broker", ("host", "port", "user", "password", "tls", "ntp"))
    host = _text(b, "broker", "host", _host_ok,
                 "a host name or IPv4 address, without scheme or port")
    tls = _bool(b, "broker", "tls", False)
    out = {
        "host": host,
        "port": _int(b, "broker", "port", 1, 65535, _PORT_MQTTS if tls else _PORT_MQTT),
        "user": _text(b, "broker", "user", _user_ok, "1 to 64 printable ASCII characters, no "
                      "space", device),
        "password": _text(b, "broker", "password", _password_ok,
                          "the device's broker password: 1 to 128 bytes"),
        "tls": tls,
    }
    if not tls:
        _refuse(b, "broker", ("ntp",), "only with tls: the clock is set for TLS only")
    elif "ntp" in b:  # the SNTP server for the clock (certificate dates); absent: the host's
        out["ntp"] = _text(b, "broker", "ntp", _host_ok,
                           "the NTP server: a host name or IPv4 address")
    return out


def _serial(raw):
    s = _section(raw, "", "serial", ("uart", "baud", "address", "rs485"), {})
    uart = _int(s, "serial", "uart", 0, 2) if "uart" in s else -1
    if uart == 1:
        raise ConfigError(VALUE, "serial.uart", "0 (USB) or 2 (RS-485)")
    rs485 = _bool(s, "serial", "rs485", uart == 2)
    if uart < 0:
        uart = 2 if rs485 else 0
    if rs485 != (uart == 2):
        raise ConfigError(CONFLICT, "serial.uart", "the RS-485 transceiver is on UART2 and the "
                          "USB port on UART0: uart 2 with rs485 true, or uart 0 with rs485 false")
    baud = _int(s, "serial", "baud", 9600, 921600, 115200)
    if rs485:
        address = _int(s, "serial", "address", 0, 254)
        if address == 0:
            raise ConfigError(CONFLICT, "serial.address",
                              "a device on the RS-485 bus needs its own address, 1 to 254")
    else:
        address = _int(s, "serial", "address", 0, 254, 0)
        if address != 0:
            raise ConfigError(CONFLICT, "serial.address",
                              "bus addresses are for RS-485: a point-to-point link uses 0")
    return {"uart": uart, "baud": baud, "address": address, "rs485": rs485}


def _timing(raw):
    t = _section(raw, "", "timing", tuple(_TIMING), {})
    out = {}
    for name in _TIMING:
        lo, hi, default = _TIMING[name]
        out[name] = _int(t, "timing", name, lo, hi, default)
    return out


def _display(raw):
    d = _section(raw, "", "display", ("brightness",), {})
    lo, hi, default = _BRIGHTNESS
    return {"brightness": _int(d, "display", "brightness", lo, hi, default)}


# --- pin map ---------------------------------------------------------------------------------

def _gpios(group, path, keys, out):
    for key in keys:
        value = _get(group, path, key, _ABSENT)
        if not _is_int(value):
            raise ConfigError(TYPE, _join(path, key), "expected a GPIO number")
        out[key] = value


def _buttons(raw, role):
    b = _object(raw, "pins.buttons")
    known, needed = (_PRESS, ("next",)) if role == "counter" else (_VOTES, _VOTES[:3])
    _only(b, "pins.buttons", known, "not a button of the " + role)
    for name in needed:  # feedback: vote_1 to vote_3, vote_4 optional (3 or 4 smileys)
        _get(b, "pins.buttons", name, _ABSENT)
    out = {}  # type: dict
    _gpios(b, "pins.buttons", sorted(b), out)
    return out


def _chain(raw):
    c = _object(raw, "pins.display.chain")
    _only(c, "pins.display.chain", _CHAIN_KEYS, "unknown key (misspelt?)")
    return {
        "lines": _int(c, "pins.display.chain", "lines", 1, 8),
        "modules_per_line": _int(c, "pins.display.chain", "modules_per_line", 1, 16),
        "layout": _choice(c, "pins.display.chain", "layout", _LAYOUTS),
    }


def _driver_group(raw, name, role, buttons):
    path = "pins." + name
    g = _object(raw, path)
    drivers = _DRIVERS[name]
    allowed = (_DISPLAY_DRIVER[role],) if name == "display" else tuple(sorted(drivers))
    driver = _choice(g, path, "driver", allowed)
    keys = drivers[driver]
    if keys is None:  # per_button: one LED per button
        keys = tuple(sorted(buttons or {}))
    attrs = ("chain",) if driver == "max7219_matrix" else ()
    _only(g, path, keys + attrs + ("driver",), "not a key of driver " + driver)
    out = {"driver": driver}
    _gpios(g, path, keys, out)
    if attrs:
        out["chain"] = _chain(_get(g, path, "chain", _ABSENT))
    return out


def _check_gpios(pins):
    """The board's rules for each GPIO, in a fixed order: groups as _GROUPS, keys sorted."""
    used = {}  # type: dict
    for name in _GROUPS:
        group = pins.get(name)
        if group is None:
            continue
        for key in sorted(group):
            gpio = group[key]
            if not _is_int(gpio):
                continue  # the driver, the chain
            path = "pins." + name + "." + key
            signal = name + "." + key
            why = None
            if gpio not in _HEADER:
                why = "GPIO%d is not on the ESP32-DevKitC V4 header"
            elif gpio in _FLASH:
                why = "GPIO%d is wired to the SPI flash"
            elif gpio in _UART0:
                why = "GPIO%d is UART0 (USB REPL and serial link)"
            elif gpio in _INPUT_ONLY and name != "buttons" and signal not in _INPUTS:
                why = "GPIO%d is input-only"
            elif name == "buttons" and gpio in _INPUT_ONLY:
                why = "GPIO%d has no pull-up for a button"
            elif name == "buttons" and gpio in _STRAPPING:
                why = "GPIO%d is a strapping pin: a button held at reset changes the boot"
            elif gpio in used:
                why = "GPIO%d is already used by " + used[gpio]
            if why is not None:
                raise ConfigError(PIN, path, why % gpio)
            used[gpio] = path


def _pins(raw, role):
    p = _object(raw, "pins")
    _schema(p, "pins")
    required, optional = _ROLE_GROUPS[role]
    _only(p, "pins", ("schema", "role", "board") + required + optional,
          "not a group of the " + role + " pin map")
    if _text(p, "pins", "role", lambda v: v in ROLES, "one of " + ", ".join(ROLES)) != role:
        raise ConfigError(CONFLICT, "pins.role", "this pin map is not for a " + role)
    out = {"schema": SCHEMA, "role": role,
           "board": _text(p, "pins", "board", lambda v: v == BOARD, BOARD)}
    for name in _GROUPS:
        if name not in p:
            if name in required:
                raise ConfigError(MISSING, "pins." + name, "required for a " + role)
        elif name == "buttons":
            out[name] = _buttons(p[name], role)
        else:
            out[name] = _driver_group(p[name], name, role, out.get("buttons"))
    _check_gpios(out)
    return out


# --- the whole file --------------------------------------------------------------------------

def validate(raw):
    """raw (what json.load gave) -> the normalised config, a new dict; ConfigError if a rule
    of CONFIG.md is broken."""
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "", "config.json holds one JSON object {...}")
    _schema(raw, "")
    _only(raw, "", _TOP, "unknown key (misspelt?)")
    device = _text(raw, "", "device", _device_ok, "1 to 24 of a-z 0-9 - (protocol.md)")
    role = _choice(raw, "", "role", ROLES)
    out = {
        "schema": SCHEMA,
        "device": device,
        "role": role,
        "key": _text(raw, "", "key", lambda v: len(v) == 2 * KEY_LEN and _hex_digits(v),
                     "64 hex digits (32 bytes)").lower(),
        "site": _text(raw, "", "site", _slug_ok,
                      "1 to 40 of a-z 0-9 -, not starting with -"),
    }  # type: dict
    link = out["link"] = _choice(raw, "", "link", LINKS)
    if link == "mqtt":
        _refuse(raw, "", ("serial",), "only with link serial")
        out["wifi"] = _wifi(raw)
        out["broker"] = _broker(raw, device)
    else:
        _refuse(raw, "", ("wifi", "broker"), "only with link mqtt")
        out["serial"] = _serial(raw)
    if role in _WITH_COUNTER:
        out["counter"] = _int(raw, "", "counter", 1, 999)
    else:
        _refuse(raw, "", ("counter",), "only a counter terminal or display has a counter")
    out["pins"] = _pins(raw.get("pins", PINS[role]), role)
    out["timing"] = _timing(raw)
    if role == "feedback":
        _refuse(raw, "", ("display",), "the feedback terminal has no display")
    else:
        out["display"] = _display(raw)
    if link == "serial" and out["serial"]["rs485"] and "rs485" not in out["pins"]:
        raise ConfigError(CONFLICT, "serial.rs485", "the pin map has no rs485 group")
    return out


def load(path="config.json"):
    """validate() the JSON file at path; ConfigError C0 if it cannot be read or parsed."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ConfigError(FILE, "", "cannot read " + path) from None
    except ValueError:  # not chained: the parser's message may quote the file
        raise ConfigError(FILE, "", path + " is not valid JSON") from None
    return validate(raw)


def sealed(config):
    """A copy of a validated config with its seal (suivant_fw.boot): what config.json holds."""
    out = dict(config)
    out[SEAL] = digest(config)
    return out


def key_bytes(config):
    """The 32-byte device key of a validated config."""
    from binascii import unhexlify
    return unhexlify(config["key"])


def _secret(name):
    if not isinstance(name, str):
        return False
    name = name.lower()
    for hint in _SECRET_HINTS:
        if hint in name:
            return True
    return False


def redacted(config):
    """A copy of config (validated or not) for display: the value of every key whose name
    looks secret (password, key, psk, token... even misspelt) is HIDDEN."""
    if isinstance(config, dict):
        out = {}
        for name in config:
            out[name] = HIDDEN if _secret(name) else redacted(config[name])
        return out
    if isinstance(config, list):
        return [redacted(v) for v in config]
    return config
