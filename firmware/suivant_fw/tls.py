"""TLS to the broker, for the boards whose config says broker.tls (hal_esp32.open_connection
imports this module only for them: RAM). What cannot work is raised as OSError("C8" | "C10",
why), shown on the display (firmware/CONFIG.md, "Errors"); a certificate refused during the
handshake is MicroPython's ssl's own error (C9, hal_esp32.link_result).
"""
from micropython import const

CLOCK_YEAR = const(2025)  # a clock before this has not been set (2000-01-01 at power-on)


def context(ca_file):
    """An SSLContext requiring the broker's certificate to verify against ca_file's CA
    (MicroPython's ssl verifies nothing unless told). The PEM is decoded here: MicroPython's
    own mbedTLS (not the ESP32's) reads DER only."""
    import ssl
    from binascii import a2b_base64
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED  # type: ignore[attr-defined]  # not in the stubs
    try:
        with open(ca_file) as f:
            blocks = f.read().split("-----BEGIN CERTIFICATE-----")[1:]
        for block in blocks:
            end = block.find("-----END CERTIFICATE-----")
            if end < 0:
                raise ValueError
            ctx.load_verify_locations(cadata=a2b_base64(block[:end]))
    except (OSError, ValueError):  # none, truncated, bad base64, not a certificate
        blocks = ()
    if not blocks:
        raise OSError("C8", "%s: missing, truncated or not a PEM certificate" % ca_file)
    return ctx


def clock_unset():
    from machine import RTC
    return RTC().datetime()[0] < CLOCK_YEAR


def set_clock(address, name):
    """Certificates are checked against the date and the board reads 2000-01-01 at power-on:
    before the first TLS connection its clock is set by SNTP (ntptime, frozen in the ESP32
    image) from `address` (broker.ntp's, by default the broker's host; None: the clock is set
    already). Each try holds the loop for up to ntptime.timeout (1 s)."""
    if address is None:
        return
    import ntptime
    ntptime.host = address
    try:
        ntptime.settime()
    except Exception as e:  # noqa: BLE001 - no answer (OSError), a short one (struct)
        raise OSError("C10", "no time from %s: %r" % (name, e))
    if clock_unset():
        raise OSError("C10", "%s gives a date before %d" % (name, CLOCK_YEAR))
