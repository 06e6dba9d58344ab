"""What `suivant demo` adds to a running bridge: the example site's virtual boards, the desk
view that draws them, and citizens and agents at a gentle pace.

    lines = start_demo(bridge, host, desk_port, api_url)   # -> the banner's lines
                                                           # (all stopped with the bridge)

The traffic leaves the first counter to the visitor: its terminal is theirs to press.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .boards import BoardFarm
from .demo_boards import start_demo_boards
from .desk_view import DeskView
from .traffic import Pace, Traffic, demo_profile

CITIZENS_PER_HOUR = 16.0  # in the traffic's time: one every ~20 s, under what 3 counters serve


class DemoTraffic:
    """The traffic as one of the bridge's links: started now, cancelled when the bridge stops."""

    def __init__(self, farm: BoardFarm, api_url: str, site: Any, pace: float):
        self.visitor_counter = min(k.number for k in site.counters)
        self.traffic = Traffic(farm, api_url, Pace(pace, ZoneInfo(site.timezone)),
                               demo_profile(site, CITIZENS_PER_HOUR), seed=1,
                               leave_alone=frozenset({self.visitor_counter}))
        self.farm = farm
        self._run: Future[None] | None = None

    def start(self) -> DemoTraffic:
        forever = datetime.now(timezone.utc) + timedelta(days=3650)
        self._run = asyncio.run_coroutine_threadsafe(self.traffic.run(forever), self.farm.loop)
        return self

    def stop(self) -> None:
        if self._run is not None:
            self._run.cancel()


def start_demo(bridge: Any, host: str, desk_port: int, api_url: str,
               pace: float | None = 10.0) -> list[str]:
    """pace: how many times quicker than life the traffic is (10: a service lasts about a
    minute); None: no traffic."""
    mqtt, site = bridge.settings.mqtt, bridge.settings.site
    farm = start_demo_boards(bridge.registry, site, (mqtt.host, mqtt.port))
    bridge.links.append(farm)  # the bridge stops its links last first: the view, then the boards
    view = DeskView(farm, host, desk_port).start()
    bridge.links.append(view)
    lines = [f"  desk view (the {len(farm.boards)} virtual boards; click their buttons): "
             f"http://{host}:{desk_port}/"]
    if pace is not None:
        demo = DemoTraffic(farm, api_url, site, pace).start()
        bridge.links.append(demo)
        lines.append(f"  traffic ({pace:g}x life): citizens arrive and agents work every "
                     f"counter but guichet {demo.visitor_counter}, which is yours "
                     "(--no-traffic: none)")
    return lines
