"""What `suivant demo` adds to a running bridge: the example site's virtual boards, the desk
view that draws them, and citizens and agents at a gentle pace.

    lines = start_demo(bridge, host, desk_port, api_url)   # -> the banner's lines
                                                           # (all stopped with the bridge)

The traffic leaves the first counter to the visitor: its terminal is theirs to press.

A demo is looked at for a few minutes, so it opens as a town hall does on a busy morning:
people already at the door take their tickets at once (CROWD), a group comes every
GROUP_EVERY_S of the traffic's time, and citizens come one by one in between. The three worked
counters are then busy most of the time and the queues go up and down like a saw, never empty
for long: a visitor sees waits of minutes at several services whenever they look. (The former
traffic, citizens one by one alone at 16 an hour, were served as they came in the minutes a
demo is looked at, and were more than the counters' orders of services let them serve of
« Accueil », whose queue then grew all day.) Someone who sees BALK_AT people already waiting
for their service leaves without a ticket, as people do: a demo left running keeps queues of
minutes, not of hours.
"""
from __future__ import annotations

import asyncio
import json
import urllib.request
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .boards import BoardFarm
from .demo_boards import start_demo_boards
from .desk_view import DeskView
from .traffic import Pace, Traffic, demo_profile

CITIZENS_PER_HOUR = 6.0  # in the traffic's time, one by one between the groups
CROWD = (5, 4, 3, 2)  # at the opening, per service in the site's order (then 1 each)
GROUP = (2, 2, 1, 1)  # then a group (a bus, a school's parents)…
GROUP_EVERY_S = 45 * 60  # …every 45 min of the traffic's time: 4.5 real minutes at 10x
BALK_AT = 8  # people waiting for one's service that make a citizen come back another day
API_WAIT_S = 30  # the traffic starts before the bridge's HTTP server listens


@dataclass
class DemoCitizens(Traffic):
    crowd: tuple[str, ...] = ()  # the services of the people at the door, in arrival order
    group: tuple[str, ...] = ()  # and of each group after them
    balk_at: int = BALK_AT
    balked: int = 0

    async def run(self, until: datetime) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(int(API_WAIT_S / 0.2)):
            try:
                await loop.run_in_executor(None, _get, self.api + "/api/health")
                break
            except OSError:
                await asyncio.sleep(0.2)
        for service in self.crowd:
            await super()._take_ticket(service)
        groups = asyncio.create_task(self._groups())
        try:
            await super().run(until)
        finally:
            groups.cancel()

    async def _groups(self) -> None:
        while True:
            await self._sleep(GROUP_EVERY_S)
            for service in self.group:  # who finds the queue too long leaves, as any citizen
                await self._take_ticket(service)

    async def _take_ticket(self, service: str) -> None:
        try:
            seen = await asyncio.get_running_loop().run_in_executor(
                None, _get, f"{self.api}/api/services/{service}")
        except OSError:
            seen = None  # the kiosk shows nothing: the citizen takes a ticket anyway
        if seen is not None and seen["waiting"] >= self.balk_at:
            self.balked += 1
            return
        await super()._take_ticket(service)


def people(site: Any, per_service: tuple[int, ...]) -> tuple[str, ...]:
    """The services of a crowd, mixed as people come in."""
    counts = list(per_service) + [1] * max(0, len(site.services) - len(per_service))
    out: list[str] = []
    for round_ in range(max(counts)):
        out += [s.id for s, n in zip(site.services, counts) if n > round_]
    return tuple(out)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


class DemoTraffic:
    """The traffic as one of the bridge's links: started now, cancelled when the bridge stops."""

    def __init__(self, farm: BoardFarm, api_url: str, site: Any, pace: float):
        self.visitor_counter = min(k.number for k in site.counters)
        self.traffic = DemoCitizens(farm, api_url, Pace(pace, ZoneInfo(site.timezone)),
                                    demo_profile(site, CITIZENS_PER_HOUR), seed=1,
                                    leave_alone=frozenset({self.visitor_counter}),
                                    crowd=people(site, CROWD), group=people(site, GROUP))
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
               pace: float | None = 10.0, booked: list | None = None) -> list[str]:
    """pace: how many times quicker than life the traffic is (10: a service lasts about a
    minute); None: no traffic. booked: demo_appointments' appointments, checked in by the
    traffic (in real time: an appointment's time is the bridge's clock)."""
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
        questions = getattr(bridge.settings.questions, "enabled", False)
        if questions:
            from host_bridge.cli import DEMO_TOKENS
            from .demo_questions import DemoQuestions
            bridge.links.append(DemoQuestions(api_url, demo.traffic, DEMO_TOKENS["agent"]).start())
            lines.append("  questions: some citizens ask the reception from their ticket page; "
                         "every other one waits for you in the console's « Questions des usagers »")
        if booked:
            from host_bridge.cli import DEMO_TOKENS
            from .demo_appointments import DemoCheckIns
            bridge.links.append(DemoCheckIns(api_url, booked, DEMO_TOKENS["kiosk"]).start())
    return lines
