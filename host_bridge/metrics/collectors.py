"""Gauges read from the bridge's own state when Prometheus scrapes, never kept in step by hand:
the queue (one short read under its lock), the boards (the registry's health, in memory), the
open event streams. Labels come from the site file (services) and the device registry (boards
the site registered), never from a request."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..service.queue_service import QueueService


def _waiting(state) -> tuple[datetime | None, list[tuple[str, int, datetime | None]]]:
    # under the queue's lock: only a count and a minimum per service, the rest after it
    return state.as_of, [(sid, len(line), min(map(state.waiting_since, line), default=None))
                         for sid, line in state.waiting.items()]


class QueueCollector(Collector):
    """Public: what the hall screen and the kiosk already show (people waiting, how long the
    first of them has waited, the service's target, whether the site is open)."""

    def __init__(self, service: QueueService):
        self.service = service

    def collect(self) -> Iterator[Metric]:
        service = self.service
        now, lines = service.read(_waiting)
        site = service.site
        local = (now or service.clock.now()).astimezone(service.tz)
        open_now = GaugeMetricFamily(
            "suivant_site_open", "1 within the site's opening hours ([hours] of its file), else 0")
        open_now.add_metric([], 1.0 if site.hours.is_open(local.weekday(), local.time()) else 0.0)
        yield open_now
        waiting = GaugeMetricFamily("suivant_tickets_waiting", "Tickets waiting, per service",
                                    labels=["service"])
        longest = GaugeMetricFamily(
            "suivant_longest_wait_seconds", "How long the service's longest-waiting ticket has "
            "waited (0: nobody waits); an appointment checked in early waits from when it may "
            "be called (callable_before_minutes before its time)", labels=["service"])
        target = GaugeMetricFamily(
            "suivant_wait_target_seconds", "The service's target wait (target_wait_minutes)",
            labels=["service"])
        known = {s.id for s in site.services}
        for sid, count, since in lines:
            if sid not in known:  # a service the administration removed today
                continue
            waiting.add_metric([sid], count)
            waited = 0.0 if since is None or now is None else (now - since).total_seconds()
            longest.add_metric([sid], max(0.0, waited))
        for s in site.services:
            target.add_metric([s.id], s.target_wait_minutes * 60.0)
        yield waiting
        yield longest
        yield target


class DevicesCollector(Collector):
    """Staff: each registered board online or not, and the lines the links refused."""

    def __init__(self, registry: Any, gateway: Any):
        self.registry, self.gateway = registry, gateway

    def collect(self) -> Iterator[Metric]:
        online = GaugeMetricFamily(
            "suivant_device_online", "1 while the board is online (its MQTT status, or a "
            "message heard), else 0; one series per registered board",
            labels=["device", "role", "counter"])
        health = self.registry.health
        counts = {True: 0, False: 0}
        for dev in self.registry.all():
            h = health.get(dev.id)
            up = bool(h is not None and h.online)
            counts[up] += 1
            online.add_metric([dev.id, dev.role, "" if dev.counter is None else str(dev.counter)],
                              1.0 if up else 0.0)
        yield online
        total = GaugeMetricFamily("suivant_devices", "Registered boards, online or offline",
                                  labels=["state"])
        total.add_metric(["online"], counts[True])
        total.add_metric(["offline"], counts[False])
        yield total
        bad = CounterMetricFamily(
            "suivant_device_bad_messages", "Lines from boards the bridge refused (bad MAC, "
            "malformed, replayed, unknown board...), by reason", labels=["reason"])
        for reason, n in sorted(dict(self.gateway.rejected).items()):
            bad.add_metric([reason], n)
        yield bad


class StreamsCollector(Collector):
    """Staff: the live event streams (SSE) open now: hall screens, consoles, phones."""

    def __init__(self, slots: Any):
        self.slots = slots

    def collect(self) -> Iterator[Metric]:
        readers = GaugeMetricFamily("suivant_event_stream_readers",
                                    "Event streams (/api/events) open now")
        readers.add_metric([], self.slots.open)
        yield readers


class BackupsCollector(Collector):
    """Staff: how the latest scheduled backup went ([backup] of the site file), and how often
    one is due; nothing while the bridge takes none."""

    def __init__(self, state: Any):
        self.state = state  # the app's state: the bridge sets .backups once its links start

    def collect(self) -> Iterator[Metric]:
        backups = getattr(self.state, "backups", None)
        last = getattr(backups, "last", None)
        if backups is None:
            return
        period = GaugeMetricFamily("suivant_backup_period_seconds",
                                   "How often the bridge takes a backup ([backup])")
        period.add_metric([], backups.period().total_seconds())
        yield period
        if last is None:
            return
        at = GaugeMetricFamily("suivant_backup_last_timestamp_seconds",
                               "When the latest scheduled backup was taken (Unix time)")
        at.add_metric([], datetime.fromisoformat(last.at).timestamp())
        ok = GaugeMetricFamily("suivant_backup_last_ok", "1 if the latest backup worked, else 0")
        ok.add_metric([], 1.0 if last.ok else 0.0)
        yield at
        yield ok
