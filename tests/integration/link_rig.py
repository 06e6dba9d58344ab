"""A site with its bridge and virtual boards, for the link tests: the real queue service on
SQLite, the device registry and gateway, the MQTT and serial links, a real Mosquitto, and the
firmware's App on the simulator's HAL for each board.

    rig = LinkRig(settings, clock, tmp_path, broker)
    rig.start_bridge()
    rig.add_board("term-3", "counter", counter=3)
    rig.farm.press("term-3", "next")
    rig.stop()
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from host_bridge.domain import commands as c
from host_bridge.links.device_gateway import DeviceGateway
from host_bridge.links.mqtt_gateway import MqttGateway
from host_bridge.links.registry import Device, DeviceRegistry
from host_bridge.links.serial_gateway import SerialLinks
from host_bridge.ota.rollout import LOST_S, OFFER_S, Updates
from host_bridge.ota.store import UpdateStore
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import MqttSettings, SerialPortSettings, Settings
from host_bridge.store.sqlite_store import SqliteStore
from simulators.boards import BoardFarm, VirtualBoard, board_config
from simulators.rs485_bus import Rs485Bus


class LinkRig:
    def __init__(self, settings: Settings, clock: Any, tmp_path: Path, broker: Any = None):
        self.settings = dataclasses.replace(
            settings, devices_path=str(tmp_path / "devices.db"),
            mqtt=MqttSettings(host="127.0.0.1", port=broker.port if broker else 1883,
                              embedded=False, client_id="suivant-bridge-test"))
        self.clock = clock
        self.broker = broker
        self.tmp = tmp_path
        self.serial: SerialLinks | None = None
        self.farm = BoardFarm().start()
        self.store: SqliteStore | None = None
        self.service: QueueService | None = None
        self.registry: DeviceRegistry | None = None
        self.gateway: DeviceGateway | None = None
        self.mqtt: MqttGateway | None = None
        self.updates: Updates | None = None
        self.offer_s, self.lost_s = OFFER_S, LOST_S  # a test may shorten them
        self._registry = DeviceRegistry(self.settings.devices_path, frozenset(
            k.number for k in settings.site.counters))  # provisioning, before any bridge runs

    # -- the bridge ------------------------------------------------------------------------
    def start_bridge(self) -> None:
        """The bridge's process, as `suivant serve` would build it from the files."""
        self.store = SqliteStore(self.settings.db_path, "NORMAL")
        self.service = QueueService(self.settings.site, self.store, self.clock)
        self.registry = DeviceRegistry(self.settings.devices_path)
        self.gateway = DeviceGateway(self.service, self.registry)
        self.gateway.start()
        gateway = self.gateway
        self.update_store = UpdateStore(self.settings.devices_path)
        self.updates = Updates(self.update_store, self.registry, gateway.send,
                               lambda device, reason: gateway.reject(device, reason, "update"),
                               offer_s=self.offer_s, lost_s=self.lost_s)
        gateway.updates = self.updates
        self.updates.start()
        if self.broker is not None:
            self.mqtt = MqttGateway(self.gateway, self.settings.mqtt, self.settings.site.id)
            self.mqtt.start()
            assert self.mqtt.connected.wait(10), "the bridge could not reach the broker"
        if self.settings.serial_ports:
            self.serial = SerialLinks(self.gateway, self.registry, self.settings.serial_ports)
            self.serial.start()

    def stop_bridge(self) -> None:
        """The bridge stops (a kill: no goodbye on the broker beyond its last will)."""
        if self.mqtt is not None:
            self.mqtt.kill()
            self.mqtt = None
        if self.serial is not None:
            self.serial.stop()
            self.serial = None
        if self.updates is not None:
            self.updates.stop()
            self.update_store.close()
            self.updates = None
        if self.gateway is not None:
            self.gateway.stop()
        if self.registry is not None:
            self.registry.close()
        if self.store is not None:
            self.store.close()
        self.gateway = self.registry = self.store = self.service = None

    def stop(self) -> None:
        self.farm.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        self.stop_bridge()
        self._registry.close()

    # -- devices -----------------------------------------------------------------------------
    def _current_registry(self) -> DeviceRegistry:
        """The running bridge's registry (its cache must see new devices), else the file's."""
        if self.registry is None:
            self._registry.close()
            self._registry = DeviceRegistry(self.settings.devices_path)
        return self.registry or self._registry

    def register(self, device_id: str, role: str, counter: int | None = None,
                 **kw: Any) -> Device:
        return self._current_registry().add(device_id, role, counter, **kw)

    def add_board(self, device_id: str, role: str, counter: int | None = None) -> VirtualBoard:
        dev = self._current_registry().get(device_id) or self.register(device_id, role, counter)
        return self.board_for(dev)

    def board_for(self, dev: Device, status_s: int = 60) -> VirtualBoard:
        cfg = board_config(dev.id, dev.role, dev.key, self.settings.site.id, dev.counter,
                           broker=("127.0.0.1", self.settings.mqtt.port,
                                   dev.broker_password or "-"), status_s=status_s)
        return self.farm.add(cfg, dev.key)

    def serial_board(self, device_id: str, role: str, counter: int | None = None,
                     address: int = 0, bus: Rs485Bus | None = None) -> VirtualBoard:
        """A board on a serial line: its own pty (point to point), or on `bus`. Register and
        make boards before start_bridge: the bridge opens the ports it is configured with."""
        link = bus.port.link if bus is not None else self.tmp / f"tty-{device_id}"
        assert link is not None
        dev = self.register(device_id, role, counter, link="serial", serial_port=str(link),
                            serial_address=address)
        if all(p.port != str(link) for p in self.settings.serial_ports):
            self.settings = dataclasses.replace(self.settings, serial_ports=(
                *self.settings.serial_ports, SerialPortSettings(str(link), rs485=bus is not None)))
        cfg = board_config(dev.id, dev.role, dev.key, self.settings.site.id, dev.counter,
                           serial_address=address or None)
        return self.farm.add(cfg, dev.key, serial=bus is None, link=link, bus=bus)

    # -- the queue, as an agent or a kiosk would touch it -----------------------------------------
    def issue(self, service: str) -> str:
        assert self.service is not None
        answer = self.service.execute(c.IssueTicket(service, new_ticket_id()), "public")
        return answer["ticket"]["label"]

    def run(self, command: c.Command) -> dict[str, Any]:
        assert self.service is not None
        return self.service.execute(command, "user:agent")

    def history(self) -> list[str]:
        store = SqliteStore(self.settings.db_path, "NORMAL")
        try:
            return [type(s.event).__name__ for s in store.events_after(0, 100000)]
        finally:
            store.close()
