"""One MQTT CONNECT with the bridge's own account, to see whether the broker takes it.

As the bridge connects (its client id, a persistent session: clean session false), with no
will and no subscription, then DISCONNECT: the session the broker keeps for the bridge, and
the presses queued in it, stay as they were. Only made while the bridge is not connected
(GET /api/health says): the broker takes the user name as client id, so a second connection
with the bridge's account would push the bridge off. The packets are the boards' own
builders (suivant_fw.mqtt), with a blocking socket and short timeouts.
"""
from __future__ import annotations

import socket
import ssl
import time

from suivant_fw.mqtt import DISCONNECT_PACKET, connect_packet

from ..site_config import MqttSettings

TIMEOUT_S = 2.0
_REFUSED = {1: "refused the protocol version", 2: "refused the client id",
            3: "said it is unavailable",
            4: "refused the bridge's user name or password (bad user name or password)",
            # Mosquitto 2 answers a wrong password so
            5: "refused the bridge's user name or password (not authorised)"}


class ProbeError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "unreachable", "tls", "refused", "protocol"


def probe(settings: MqttSettings, client_id: str) -> None:
    """Returns when the broker accepted the account; ProbeError saying why not."""
    deadline = time.monotonic() + TIMEOUT_S
    try:
        raw = socket.create_connection((settings.host, settings.port), timeout=TIMEOUT_S)
    except OSError as exc:
        raise ProbeError("unreachable", exc.strerror or str(exc) or "no answer") from None
    try:
        sock = raw
        if settings.tls:
            try:
                context = ssl.create_default_context(cafile=settings.ca_file)
                sock = context.wrap_socket(raw, server_hostname=settings.host)
            except (ssl.SSLError, ssl.CertificateError) as exc:
                raise ProbeError("tls", getattr(exc, "verify_message", None) or str(exc)) from None
            except OSError as exc:  # the CA file cannot be read, or the handshake was cut
                raise ProbeError("tls", exc.strerror or str(exc)) from None
        sock.sendall(connect_packet(client_id, 10, settings.username, settings.password,
                                    None, clean=False))
        code = _connack(sock, deadline)
        if code:
            raise ProbeError("refused", _REFUSED.get(code, f"refused (code {code})"))
        sock.sendall(DISCONNECT_PACKET)
    except OSError as exc:
        raise ProbeError("unreachable", exc.strerror or str(exc) or "no answer") from None
    finally:
        raw.close()


def _connack(sock: socket.socket, deadline: float) -> int:
    """The CONNACK's return code (0: accepted): 0x20 0x02 flags code."""
    got = b""
    while len(got) < 4:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4 - len(got))
        except socket.timeout:
            raise ProbeError("protocol", f"no answer to CONNECT within {TIMEOUT_S:g} s") from None
        if not chunk:
            raise ProbeError("refused", "closed the connection without answering (an "
                             "MQTT broker? a TLS port spoken to in clear?)")
        got += chunk
    if got[0] != 0x20 or got[1] != 0x02:
        raise ProbeError("protocol", "answered something that is not MQTT")
    return got[3]
