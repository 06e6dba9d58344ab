"""The demo's boards: for each counter a terminal and a display, a hall display and a feedback
terminal at counter 1 — registered in the bridge's registry and run as virtual boards on the
bridge's MQTT broker.

    farm = start_demo_boards(registry, site, ("127.0.0.1", 1883))
"""
from __future__ import annotations

from typing import Any

from .boards import BoardFarm, board_config


def demo_devices(counters: list[int]) -> list[tuple[str, str, int | None]]:
    out: list[tuple[str, str, int | None]] = []
    for n in counters:
        out += [(f"guichet-{n}", "counter", n), (f"ecran-{n}", "display", n)]
    out += [("salle", "hall", None), (f"avis-{counters[0]}", "feedback", counters[0])]
    return out


def start_demo_boards(registry: Any, site: Any, broker: tuple[str, int]) -> BoardFarm:
    """Register the demo devices (if they are not yet) and start them; -> the running farm."""
    farm = BoardFarm().start()
    for device_id, role, counter in demo_devices([k.number for k in site.counters]):
        dev = registry.get(device_id) or registry.add(device_id, role, counter)
        cfg = board_config(dev.id, dev.role, dev.key, site.id, dev.counter,
                           broker=(broker[0], broker[1], dev.broker_password or "-"))
        farm.add(cfg, dev.key)
    return farm
