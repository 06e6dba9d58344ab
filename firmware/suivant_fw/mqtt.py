"""MQTT 3.1.1 client session, sans I/O: bytes in, events and bytes out (the spec's section
numbers in brackets). The link task (link_mqtt.py) owns the socket, the clock and the retries.

    s = Session("counter-03", keepalive_s=30, user="counter-03", password=b"...",
                will=("suivant/s/d/counter-03/status", b"offline"))
    out = s.connect(now)                     # CONNECT; write it
    for ev in s.feed(data, now): ...         # bytes read -> events (below)
    out += s.take_output()                   # PUBACKs owed for QoS 1 messages received
    out = s.poll(now)                        # PINGREQ when due, else b""; MqttError when the
                                             #   broker stays silent (dead connection)

Events: (CONNACK, return code), (MESSAGE, topic, payload, retain), (SUBACK, packet id,
granted QoS bytes), (PUBACK, packet id), (PINGRESP,). A CONNACK refusal or a malformed packet
raises MqttError: the link drops the connection and reconnects.

Bounded: a received packet is kept in a preallocated buffer of MAX_PACKET bytes; a bigger one
is skipped (counted in `oversize`), never buffered. Only what a device needs is here: QoS 0
and 1, clean sessions, no QoS 2 (a broker sends it only to clients that subscribe with QoS 2).
"""
try:
    from micropython import const
except ImportError:  # CPython: the simulator and the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

CONNACK = const(2)
MESSAGE = const(3)
PUBACK = const(4)
SUBACK = const(9)
PINGRESP = const(13)

MAX_PACKET = const(512)  # a show line (240) and its topic fit, with room
_CONNACK_MS = const(10000)  # the broker must answer CONNECT within this
_MAX_LEN = const(268435455)  # [2.2.3] largest Remaining Length

_REFUSALS = ("", "bad_protocol", "id_rejected", "unavailable", "bad_credentials",
             "not_authorised")  # [3.2.2.3] CONNACK return codes 1-5


class MqttError(Exception):
    """The connection cannot go on: `code` says why ('timeout', 'bad_credentials', ...)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _vbi(n):
    """[2.2.3] Remaining Length: 7 bits a byte, low first, high bit = more."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _str(s):
    """[1.5.3] a UTF-8 string (or bytes) with its 2-byte length."""
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    if len(b) > 0xFFFF:
        raise ValueError("MQTT string longer than 65535 bytes")
    return bytes((len(b) >> 8, len(b) & 0xFF)) + b


def _packet(first, body):
    if len(body) > _MAX_LEN:
        raise ValueError("MQTT packet too long")
    return bytes((first,)) + _vbi(len(body)) + body


def connect_packet(client_id, keepalive_s, user=None, password=None, will=None, clean=True):
    """[3.1] CONNECT. will: (topic, payload) published retained at QoS 1 when the connection
    dies without a DISCONNECT."""
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will is not None:
        flags |= 0x04 | 0x08 | 0x20  # will, will QoS 1, will retain
        payload += _str(will[0]) + _str(will[1])
    if user is not None:
        flags |= 0x80
        payload += _str(user)
        if password is not None:
            flags |= 0x40
            payload += _str(password)
    head = b"\x00\x04MQTT\x04" + bytes((flags, keepalive_s >> 8, keepalive_s & 0xFF))
    return _packet(0x10, head + payload)


def publish_packet(topic, payload, qos=0, retain=False, pid=0, dup=False):
    """[3.3] PUBLISH; pid (1-65535) only with QoS 1."""
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    body = _str(topic)
    if qos:
        body += bytes((pid >> 8, pid & 0xFF))
    return _packet(first, body + bytes(payload))


def subscribe_packet(pid, topics):
    """[3.8] SUBSCRIBE to (topic filter, max QoS) pairs."""
    body = bytes((pid >> 8, pid & 0xFF))
    for topic, qos in topics:
        body += _str(topic) + bytes((qos,))
    return _packet(0x82, body)


def puback_packet(pid):
    return bytes((0x40, 2, pid >> 8, pid & 0xFF))


PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"


class Session:
    """One connection's MQTT state. A new connection takes a new Session (clean session)."""

    def __init__(self, client_id, keepalive_s=30, user=None, password=None, will=None,
                 buf=None):
        """buf: a bytearray of MAX_PACKET bytes to read packets into, kept by the caller across
        connections (a board must not allocate 512 bytes at each reconnect); None: a new one."""
        if not 1 <= keepalive_s <= 0xFFFF:
            raise ValueError("keepalive_s is 1-65535")
        self.client_id = client_id
        self.keepalive_ms = keepalive_s * 1000
        self.user = user
        self.password = password
        self.will = will
        self.connected = False
        self.oversize = 0  # packets skipped for being bigger than MAX_PACKET
        self._keepalive_s = keepalive_s
        self._pid = 0
        self._buf = buf if buf is not None else bytearray(MAX_PACKET)
        self._mv = memoryview(self._buf)
        self._head = 0  # first byte of the packet being read (0: waiting for one)
        self._len = 0  # its Remaining Length
        self._shift = -1  # >= 0 while reading the Remaining Length bytes
        self._got = 0  # body bytes read so far
        self._out = b""
        self._sent_at = 0  # last time we sent anything (the broker's keepalive counts from there)
        self._heard_at = 0  # last time a whole packet came from the broker (ours counts from here)
        self._ping_at = -1  # when the unanswered PINGREQ (or CONNECT) went out; -1: none

    def _next_pid(self):
        self._pid = self._pid % 0xFFFF + 1
        return self._pid

    def _sent(self, now, packet):
        self._sent_at = now
        return packet

    def connect(self, now):
        self._ping_at = now  # CONNACK is awaited like a PINGRESP
        self._heard_at = now
        return self._sent(now, connect_packet(self.client_id, self._keepalive_s, self.user,
                                              self.password, self.will))

    def publish(self, now, topic, payload, qos=0, retain=False):
        """-> (packet id, or 0 for QoS 0; the bytes to write)."""
        pid = self._next_pid() if qos else 0
        return pid, self._sent(now, publish_packet(topic, payload, qos, retain, pid))

    def subscribe(self, now, topics):
        """-> (packet id, the bytes to write); the SUBACK event carries the same id."""
        pid = self._next_pid()
        return pid, self._sent(now, subscribe_packet(pid, topics))

    def poll(self, now):
        """PINGREQ once half the keepalive passed without sending (the broker's rule) or
        without hearing from the broker (ours: a device resending a press every few seconds
        sends all the time, so its sending proves nothing about a frozen broker);
        MqttError('timeout') when a PINGREQ or the CONNECT has had no answer for half the
        keepalive (at least 10 s for CONNECT): the connection is dead even if TCP has not
        noticed. So a silent broker is given up at most one keepalive after it was last heard."""
        half = self.keepalive_ms // 2
        if self._ping_at >= 0:
            limit = half
            if not self.connected and limit < _CONNACK_MS:
                limit = _CONNACK_MS
            if now - self._ping_at >= limit:
                raise MqttError("timeout")
            return b""
        if now - self._sent_at >= half or now - self._heard_at >= half:
            self._ping_at = now
            return self._sent(now, PINGREQ_PACKET)
        return b""

    def take_output(self):
        out = self._out
        self._out = b""
        return out

    def feed(self, data, now):
        """Bytes from the broker (any chunking) -> the events of the packets they complete."""
        events = []  # type: list
        buf = self._buf
        for b in data:
            if not self._head:
                if b >> 4 not in (2, 3, 4, 9, 11, 13):  # packets a broker sends a client
                    raise MqttError("bad_packet")
                self._head = b
                self._len = 0
                self._shift = 0
                continue
            if self._shift >= 0:  # Remaining Length
                if self._shift > 21:
                    raise MqttError("bad_length")
                self._len |= (b & 0x7F) << self._shift
                self._shift += 7
                if b & 0x80:
                    continue
                self._shift = -1
                self._got = 0
                if self._len == 0:
                    self._done(events, now)
                continue
            if self._got < MAX_PACKET:
                buf[self._got] = b
            self._got += 1
            if self._got == self._len:
                self._done(events, now)
        return events

    def _done(self, events, now):
        head, n = self._head, self._len
        self._head = 0
        self._heard_at = now  # any whole packet: the broker is alive
        if self.connected:
            self._ping_at = -1
        if n > MAX_PACKET:
            self.oversize += 1
            if head >> 4 == 3 and (head >> 1) & 3 == 1:  # QoS 1: acknowledged all the same,
                at = 2 + ((self._buf[0] << 8) | self._buf[1])  # or the broker keeps it in
                if at + 2 <= MAX_PACKET:  # flight; its id follows the topic (kept in the buffer)
                    self._out += puback_packet((self._buf[at] << 8) | self._buf[at + 1])
            return
        kind = head >> 4
        body = self._mv[:n]
        if kind == 3:  # PUBLISH
            self._publish(events, head, body, n)
        elif n < 2:
            if kind == 13 and n == 0:
                self._ping_at = -1
                events.append((PINGRESP,))
            else:
                raise MqttError("bad_packet")
        elif kind == 2:
            self._ping_at = -1
            rc = body[1]
            if rc:
                raise MqttError(_REFUSALS[rc] if rc < len(_REFUSALS) else "refused")
            self.connected = True
            events.append((CONNACK, rc))
        elif kind == 9:
            events.append((SUBACK, (body[0] << 8) | body[1], bytes(body[2:])))
        elif kind == 4:
            events.append((PUBACK, (body[0] << 8) | body[1]))
        # 11 (UNSUBACK): we never unsubscribe; ignored

    def _publish(self, events, head, body, n):
        qos = (head >> 1) & 3
        if qos > 1 or n < 2:  # QoS 2 only comes to a client that subscribed with QoS 2
            raise MqttError("bad_packet")
        tlen = (body[0] << 8) | body[1]
        at = 2 + tlen
        if at + (2 if qos else 0) > n:
            raise MqttError("bad_packet")
        try:
            topic = str(bytes(body[2:at]), "utf-8")
        except ValueError:  # UnicodeError, on both interpreters
            raise MqttError("bad_packet")
        if qos:
            pid = (body[at] << 8) | body[at + 1]
            at += 2
            self._out += puback_packet(pid)
        events.append((MESSAGE, topic, bytes(body[at:n]), head & 1))
