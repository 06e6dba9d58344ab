"""The one place that wires config, store, clock, service, device links and the HTTP app."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from .api.app import create_app
from .links.device_gateway import DeviceGateway
from .links.registry import DeviceRegistry
from .ota.store import UpdateStore
from .service.clock import Clock, SiteClock
from .service.queue_service import QueueService
from .site_config import Settings
from .store.sqlite_store import SqliteStore

log = logging.getLogger(__name__)


@dataclass
class Bridge:
    settings: Settings
    service: QueueService
    app: FastAPI
    registry: DeviceRegistry
    gateway: DeviceGateway
    update_store: UpdateStore
    links: list[Any] = field(default_factory=list)  # started in start_links, stopped in close
    publisher: Any = None  # network.publisher.Publisher when the site is in a network
    lock: Any = None  # store.bridge_lock.BridgeLock when built to serve; let go last, in close

    def start_links(self) -> None:
        """The staff file, the embedded broker (when the site names none), the MQTT and serial
        links, the display worker, the retention purge. Raises OSError when the embedded broker
        cannot listen."""
        # open before the boards speak: their presses go to the audit log as the seated agent's,
        # and sessions from before a restart are known to the rate limiter at once
        from .api.deps import staff_of
        staff_of(self.app)
        mqtt = self.settings.mqtt
        if mqtt.embedded:
            from .links.embedded_broker import EmbeddedBroker
            broker = EmbeddedBroker(mqtt.host, mqtt.port)
            broker.start()
            self.links.append(broker)
        from .links.mqtt_gateway import MqttGateway
        link = MqttGateway(self.gateway, mqtt, self.settings.site.id)
        link.start()
        self.links.append(link)
        if self.settings.serial_ports:
            from .links.serial_gateway import SerialLinks
            serial = SerialLinks(self.gateway, self.registry, self.settings.serial_ports)
            serial.start()
            self.links.append(serial)
        self.gateway.start()
        from .ota.rollout import Updates
        updates = Updates(self.update_store, self.registry, self.gateway.send,
                          lambda device, reason: self.gateway.reject(device, reason, "update"))
        self.gateway.updates = updates
        updates.start()
        self.links.append(updates)
        from .service.retention import Retention
        self.links.append(Retention(self.service, self.settings.retention_days).start())
        if self.settings.backup.enabled and self.settings.db_path != ":memory:":
            from .backup.schedule import ScheduledBackups  # .last: how the latest one went
            self.app.state.backups = ScheduledBackups(self.settings).start()
            self.links.append(self.app.state.backups)
        self._start_citizens_links()
        if self.settings.network is not None:
            from .network.publisher import Publisher
            from .network.site_state import site_state
            from .service.site_admin import SiteAdmin
            # central's site file goes through the administration page's own path: the same
            # checks, the same live change, the file written back, the audit log told
            self.publisher = Publisher(
                self.settings.site.id, self.settings.db_path, self.settings.network,
                lambda: self.service.read(site_state),
                admin=SiteAdmin(self.service, self.registry, self.settings.source),
                audit=staff_of(self.app).audit).start()
            self.app.state.publisher = self.publisher
            self.links.append(self.publisher)

    def _start_citizens_links(self) -> None:
        """Today's appointments (imports, check-in, no-shows, outcomes) and the citizens'
        notifications (Web Push, and SMS when the site has a provider)."""
        from .appointments import runtime as appointments
        from .notifications.wiring import Notifications
        settings = self.settings
        booked = appointments.start(settings, self.service, self.app)
        self.links.append(booked)
        if settings.rdv_service_public is not None:
            from .appointments.rdv_service_public.wiring import attach
            rdv = attach(settings.rdv_service_public, booked, self.app, self.service)
            self.app.state.rdv_service_public = rdv
            self.links.append(rdv)
        notifications = Notifications(self.app, self.service, settings.db_path, settings.notify)
        if settings.sms is not None:
            from .notifications.sms.hub import install
            self.links.append(install(self.app, self.service, settings.sms, settings.db_path,
                                      notifications.notifier).start())
        self.links.append(notifications.start())
        # conversations deleted with their tickets at the day's end; survey comments kept for
        # the retention period (create_app made both: app.state.questions, app.state.survey)
        self.links.append(self.app.state.questions.start())
        self.links.append(self.app.state.survey.start())

    def close(self) -> None:
        self.gateway.stop()
        for link in reversed(self.links):
            try:
                link.stop()
            except Exception:  # noqa: BLE001 - stopping the rest anyway
                log.exception("stopping %s", type(link).__name__)
        self.links.clear()
        self.registry.close()
        self.update_store.close()
        staff = self.app.state.auth.staff
        if staff is not None:
            staff.close()
        self.service.store.close()
        if self.lock is not None:
            self.lock.release()


def build(settings: Settings, clock: Clock | None = None, *, serving: bool = False) -> Bridge:
    """serving (`suivant serve`): `<database>.lock` taken first, before the store is opened —
    opening may upgrade its schema, which must not happen under a running bridge or a restore.
    DatabaseInUse, or LockNotOpened, when it cannot be taken."""
    lock = None
    if serving and settings.db_path != ":memory:":
        from .store.bridge_lock import BridgeLock
        lock = BridgeLock(settings.db_path).acquire()  # `suivant restore` knows us by it
    try:
        bridge = _wire(settings, clock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    bridge.lock = lock
    return bridge


def _wire(settings: Settings, clock: Clock | None) -> Bridge:
    store = SqliteStore(settings.db_path, settings.synchronous, ZoneInfo(settings.site.timezone))
    service = QueueService(settings.site, store, clock or SiteClock(settings.site.timezone))
    registry = DeviceRegistry(settings.devices_path,
                              frozenset(k.number for k in settings.site.counters))
    gateway = DeviceGateway(service, registry)
    app = create_app(settings, service)
    app.state.registry = registry
    app.state.gateway = gateway
    update_store = app.state.update_store = UpdateStore(settings.devices_path)
    from .metrics import install as install_metrics
    install_metrics(app, registry, gateway)  # /metrics, and the service's observer
    return Bridge(settings, service, app, registry, gateway, update_store)
