"""Stand-in for the `ntptime` module frozen in MicroPython's ESP32 image, for the unix port:
the same names (`host`, `timeout`, `time()`, `settime()`) and the same exchange, one SNTP
request over UDP, whose answer sets the stand-in machine.RTC (in UTC).

`port` is the stand-in's own (the frozen module always asks port 123): a test serves SNTP on
loopback on a port it may bind without root. The board's code never sets it. `socket` is
imported when asked the time: the REPL board (webassembly, no sockets) loads every stand-in."""
import struct
from time import gmtime

host = "pool.ntp.org"
timeout = 1  # seconds: the socket's timeout, as the frozen module's
port = 123
_NTP_TO_1970 = 2208988800  # seconds from 1900-01-01 (NTP's era 0) to 1970-01-01
_ERA_FLOOR = 3913056000  # 2024-01-01 in NTP seconds: anything below is after the 2036 wrap


def time():
    """Seconds since 1970 (the unix port's epoch) by the server at host:port."""
    import socket
    query = bytearray(48)
    query[0] = 0x23  # leap 0, version 4, mode 3 (client)
    addr = socket.getaddrinfo(host, port)[0][-1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(query, addr)
        answer = s.recv(48)
    finally:
        s.close()
    seconds = struct.unpack("!I", answer[40:44])[0]  # the transmit timestamp's seconds
    if seconds < _ERA_FLOOR:
        seconds += 0x100000000
    return seconds - _NTP_TO_1970


def settime():
    import machine
    tm = gmtime(time())
    machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4], tm[5], 0))
