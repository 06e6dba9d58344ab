"""The MQTT link (protocol.md §7): the broker's device topics in, acks and shows out.

    link = MqttGateway(gateway, settings.mqtt, site_id)
    link.start()      # connects in the background, reconnects by itself
    link.stop()

The bridge's own MQTT client (mqtt_client.py), MQTT 3.1.1, with a persistent session (clean
session false, a fixed client id): while the bridge is down the broker keeps the devices'
QoS 1 presses for it, and they are applied — once — when it comes back. Subscribed: every
device's `up` and `status`. Messages on `up` go to DeviceGateway.handle_line, a whole read at
a time (in the client's thread: the queue service serialises);
`status` gives presence (online, or offline from the device's last will). Sent: acks on
`down` and shows on `show` (retained, so a display that reboots — or connects while the
bridge is down — shows the right thing at once), both at QoS 0: the protocol recovers what a
broken connection loses (a press is resent until acknowledged, a show is versioned, sent
again after every reconnect and whenever a device's status reports an older one), and a
device's clean session gets nothing more from QoS 1 than from QoS 0, so a QoS 1 handshake per
message would buy nothing but CPU (architecture.md, "Acks and shows at QoS 0"). On every
(re)connect the bridge subscribes again and publishes every device's current show, and its
own retained status `suivant/<site>/bridge/status` (online; offline as its last will).

A payload longer than any line is dropped here and counted (`too_long`): the client has read
the whole packet by then, so what bounds memory is the broker's own limit (MAX_PACKET_BYTES,
in Mosquitto's generated config and the embedded broker; the client drops a connection that
sends a packet over 256 KB); this keeps anything past it from going further.
"""
from __future__ import annotations

import logging
import threading

from suivant_fw.message import MAX_LINE

from ..site_config import MqttSettings
from .device_gateway import DeviceGateway
from .mqtt_client import Messages, MqttClient
from .registry import Device

log = logging.getLogger(__name__)


class MqttGateway:
    def __init__(self, gateway: DeviceGateway, settings: MqttSettings, site_id: str):
        self.gateway = gateway
        self.settings = settings
        self.prefix = f"suivant/{site_id}/d/"
        self.bridge_status = f"suivant/{site_id}/bridge/status"
        self.connects = 0
        self.client = MqttClient(
            settings, settings.client_id or f"suivant-bridge-{site_id}",
            will=(self.bridge_status, b"offline"),
            subscriptions=[(self.prefix + "+/up", 1), (self.prefix + "+/status", 1)],
            on_connect=self._on_connect, on_messages=self._on_messages)
        self.connected: threading.Event = self.client.connected
        gateway.attach("mqtt", self)

    def start(self) -> None:
        self.client.start()

    def stop(self) -> None:
        self.client.stop(last=(self.bridge_status, b"offline"))

    def kill(self) -> None:
        """Gone without a goodbye, as a crash: the broker publishes the bridge's last will."""
        self.client.kill()

    def send(self, device: Device, channel: str, line: bytes) -> None:
        self.client.publish(self.prefix + device.id + "/" + channel, line,
                            retain=channel == "show")

    # -- in the client's thread --------------------------------------------------------------
    def _on_connect(self) -> None:
        self.client.publish(self.bridge_status, b"online", retain=True)
        self.connects += 1
        self.gateway.send_all_shows("mqtt")

    def _on_messages(self, messages: Messages) -> None:
        prefix, n = self.prefix, len(self.prefix)
        for topic, payload in messages:
            rest = topic[n:] if topic.startswith(prefix) else ""
            device, _, channel = rest.partition("/")
            if len(payload) > MAX_LINE + 2:  # no line (and its CR LF) is this long
                self.gateway.reject(device or "-", "too_long", "mqtt")
                continue
            try:
                if channel == "up":
                    self.gateway.handle_line(payload, "mqtt", device)
                elif channel == "status":
                    self.gateway.presence(device, payload == b"online")
            except Exception:  # a bug must not stop the other devices' messages
                log.exception("MQTT message on %s could not be handled", topic)
