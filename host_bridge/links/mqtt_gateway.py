"""The MQTT link (protocol.md §7): the broker's device topics in, acks and shows out.

    link = MqttGateway(gateway, settings.mqtt, site_id)
    link.start()      # connects in the background, reconnects by itself
    link.stop()

paho-mqtt, MQTT 3.1.1, with a persistent session (clean_session false, a fixed client id):
while the bridge is down the broker keeps the devices' QoS 1 presses for it, and they are
applied — once — when it comes back. Subscribed: every device's `up` and `status`. A message
on `up` goes to DeviceGateway.handle_line (in paho's thread: the queue service serialises);
`status` gives presence (online, or offline from the device's last will). Sent: acks on
`down` (QoS 1), shows on `show` (QoS 1, retained, so a display that reboots — or connects
while the bridge is down — shows the right thing at once). On every (re)connect the bridge
subscribes again and publishes every device's current show, and its own retained status
`suivant/<site>/bridge/status` (online; offline as its last will).

A payload longer than any line is dropped here and counted (`too_long`): paho has read the
whole packet by then, so what bounds memory is the broker's own limit (MAX_PACKET_BYTES, in
Mosquitto's generated config and the embedded broker); this keeps anything past it from
going further.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading

import paho.mqtt.client as paho
from suivant_fw.message import MAX_LINE

from ..site_config import MqttSettings
from .device_gateway import DeviceGateway
from .registry import Device

log = logging.getLogger(__name__)
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
KEEPALIVE_S = 30


class MqttGateway:
    def __init__(self, gateway: DeviceGateway, settings: MqttSettings, site_id: str):
        self.gateway = gateway
        self.settings = settings
        self.prefix = f"suivant/{site_id}/d/"
        self.bridge_status = f"suivant/{site_id}/bridge/status"
        self.connected = threading.Event()
        self.connects = 0
        client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                             client_id=settings.client_id or f"suivant-bridge-{site_id}",
                             clean_session=False, protocol=paho.MQTTv311)
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            context = ssl.create_default_context(cafile=settings.ca_file)
            client.tls_set_context(context)
        client.will_set(self.bridge_status, b"offline", qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.max_queued_messages_set(10000)  # bounded: acks and shows while disconnected
        client.on_socket_open = _no_delay
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client
        gateway.attach("mqtt", self)

    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port, KEEPALIVE_S)
        self.client.loop_start()

    def stop(self) -> None:
        if self.connected.is_set():
            self.client.publish(self.bridge_status, b"offline", qos=1, retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, device: Device, channel: str, line: bytes) -> None:
        self.client.publish(self.prefix + device.id + "/" + channel, line, qos=1,
                            retain=channel == "show")

    # -- paho's callbacks, in its network thread -----------------------------------------------
    def _on_connect(self, client: paho.Client, userdata: object, flags: object,
                    reason: paho.ReasonCode, properties: object = None) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%s refused the bridge: %s", self.settings.host,
                      self.settings.port, reason)
            return
        client.subscribe([(self.prefix + "+/up", 1), (self.prefix + "+/status", 1)])
        client.publish(self.bridge_status, b"online", qos=1, retain=True)
        self.connects += 1
        log.info("MQTT connected to %s:%s", self.settings.host, self.settings.port)
        self.gateway.send_all_shows("mqtt")
        self.connected.set()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: object,
                       reason: paho.ReasonCode, properties: object = None) -> None:
        self.connected.clear()
        if reason.is_failure:
            log.warning("MQTT connection lost (%s); reconnecting", reason)

    def _on_message(self, client: paho.Client, userdata: object,
                    message: paho.MQTTMessage) -> None:
        rest = message.topic[len(self.prefix):] if message.topic.startswith(self.prefix) else ""
        device, _, channel = rest.partition("/")
        if len(message.payload) > MAX_LINE + 2:  # no line (and its CR LF) is this long
            self.gateway.reject(device or "-", "too_long", "mqtt")
            return
        try:
            if channel == "up":
                self.gateway.handle_line(message.payload, "mqtt", device)
            elif channel == "status":
                self.gateway.presence(device, message.payload == b"online")
        except Exception:  # a bug must not kill paho's thread: the other devices go on
            log.exception("MQTT message on %s could not be handled", message.topic)


def _no_delay(client: paho.Client, userdata: object, sock: socket.socket) -> None:
    """paho leaves Nagle's algorithm on: a show published a few ms after an ack would wait for
    the broker's delayed ACK of the ack (~40 ms on Linux). Displays must not wait for that."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not a TCP socket (a websocket or unix transport)
        pass
