"""The hall's citizens and agents, on a clock that may run faster than real time.

    traffic = Traffic(farm, api_url, clock, profile, seed=1)
    await traffic.run(until)          # in the boards' loop: arrivals, agents, until `until`

Citizens arrive per service as a Poisson process whose rate follows the hour of day
(Profile: citizens per hour, by hour), take a ticket at the kiosk (the bridge's HTTP API, as
the kiosk does) and wait. Each counter's agent works its real terminal (a virtual board): opens
the counter with « Pause », presses « Suivant » when free, serves for a time drawn from the
service's distribution (lognormal around its median), and when the called citizen does not
come (a no-show) recalls once, then marks them absent. An idle agent presses « Suivant » again
now and then, and at once when the terminal beeps.

What the kiosk was told is kept (`issued`: the estimate given, the people ahead, the naive
estimate a simpler system would give), so the estimate can be checked against the waits that
happened; every press each board made is in its link's records for the invariant check.
"""
from __future__ import annotations

import asyncio
import json
import math
import random
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .boards import BoardFarm, VirtualBoard

PRESS_MS = 120
OPEN_LINES = ("CLOS", "PAUS")
IDLE_LINES = ("----", "-", None)


@dataclass(frozen=True)
class ServiceTraffic:
    service: str
    letter: str  # its tickets' prefix: what the agent's terminal shows
    per_hour: tuple[float, ...]  # 24 arrival rates (citizens per hour), by local hour
    median_minutes: float  # service time: lognormal with this median…
    spread: float = 0.45  # …and this sigma of its logarithm


@dataclass(frozen=True)
class Profile:
    services: tuple[ServiceTraffic, ...]
    no_show: float = 0.06
    priority_share: float = 0.05
    recall_after_s: float = 60.0  # simulated seconds an agent waits before recalling…
    absent_after_s: float = 60.0  # …and before marking a no-show absent
    idle_press_s: float = 45.0  # an idle agent presses « Suivant » this often


def _shares(site: Any) -> list[float]:
    """Each service's share of the arrivals, by its position in the config."""
    return [0.35, 0.3, 0.2, 0.15] + [0.1] * max(0, len(site.services) - 4)


def demo_profile(site: Any, per_hour: float) -> Profile:
    """The demo's: the same rate at every hour (a demo runs at any time of day)."""
    return Profile(tuple(ServiceTraffic(s.id, s.letter, (round(per_hour * share, 3),) * 24,
                                        s.default_service_minutes)
                         for s, share in zip(site.services, _shares(site))))


class Pace:
    """Real time, with the citizens and agents `speed` times quicker than life: the bridge's
    own clock stays true (the pages show the real hour) while a service takes a minute, not
    ten — the demo's gentle pace."""

    def __init__(self, speed: float, tz: Any = None):
        self.speed, self.tz = speed, tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def real_seconds(self, simulated: float) -> float:
        return simulated / self.speed


@dataclass
class Issued:
    label: str
    service: str
    issued_at: datetime
    ahead: int | None
    low: float | None  # the estimate given, minutes
    high: float | None
    naive: float | None  # position x mean service time / open counters, minutes
    ticket_id: str | None = None  # its page's key: the demo's citizens ask questions with it
    minutes: float | None = None  # the estimate's single guess
    reliable: bool = True  # False: the kiosk said the estimate was uncertain (no range shown)


@dataclass
class Traffic:
    farm: BoardFarm
    api: str
    clock: Any  # .now() -> aware datetime; .real_seconds(simulated) -> seconds
    profile: Profile
    seed: int = 1
    leave_alone: frozenset[int] = frozenset()  # counters no agent works (the demo's visitor's)
    # the kiosk's staff token: a kiosk faster than people are is not rate-limited when it
    # signs in (api/limits.py); None: anonymous, as the kiosk page is
    token: str | None = None
    issued: list[Issued] = field(default_factory=list)
    refused_issues: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._means = {s.service: s.median_minutes * math.exp(s.spread ** 2 / 2)
                       for s in self.profile.services}

    async def run(self, until: datetime) -> None:
        terminals = [b for b in self.farm.boards.values()
                     if b.dev.role == "counter" and b.counter not in self.leave_alone]
        tasks = [asyncio.create_task(self._arrivals(s, until)) for s in self.profile.services]
        tasks += [asyncio.create_task(self._agent(b, until)) for b in terminals]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()

    async def _sleep(self, simulated_s: float) -> None:
        await asyncio.sleep(self.clock.real_seconds(simulated_s))

    # -- citizens --------------------------------------------------------------------------------
    async def _arrivals(self, traffic: ServiceTraffic, until: datetime) -> None:
        while True:
            now = self.clock.now()
            if now >= until:
                return
            rate = traffic.per_hour[now.hour] / 3600
            if rate <= 0:
                await self._sleep(60)
                continue
            await self._sleep(self.rng.expovariate(rate))
            if self.clock.now() < until:
                await self._take_ticket(traffic.service)

    async def _take_ticket(self, service: str) -> None:
        body: dict[str, Any] = {"service": service}
        if self.rng.random() < self.profile.priority_share:
            body["category"] = "cmi"
        try:
            answer = await asyncio.get_running_loop().run_in_executor(
                None, _post, self.api + "/api/tickets", body, self.token)
        except OSError:  # the bridge is down (a fault): the citizen tries the kiosk later
            self.refused_issues += 1
            return
        ticket = answer["ticket"]
        est = ticket.get("estimate")
        naive = None
        if est and ticket.get("ahead") is not None and est.get("counters_open"):
            naive = ticket["ahead"] * self._means[service] / est["counters_open"]
        self.issued.append(Issued(ticket["label"], service,
                                  datetime.fromisoformat(ticket["issued_at"]), ticket.get("ahead"),
                                  est["low_minutes"] if est else None,
                                  est["high_minutes"] if est else None, naive, ticket["id"],
                                  est.get("minutes") if est else None,
                                  est.get("reliable", True) if est else True))

    # -- agents ----------------------------------------------------------------------------------
    async def _press(self, board: VirtualBoard, button: str, hold_ms: int = PRESS_MS) -> None:
        board.hal.press(button)
        await asyncio.sleep(hold_ms / 1000)  # a finger: real time, whatever the clock's speed
        board.hal.release(button)
        for _ in range(100):  # until the bridge acknowledged it (or 5 s: it resends by itself)
            if not board.dev.pending.waiting:
                return
            await asyncio.sleep(0.05)

    async def _agent(self, board: VirtualBoard, until: datetime) -> None:
        beeps = board.hal.beeps
        while self.clock.now() < until:
            line = getattr(board.dev, "line1", None)
            if board.dev.link != 2:
                await asyncio.sleep(0.2)
                continue
            if line in OPEN_LINES:
                await self._press(board, "pause")  # opens a closed or paused counter
                await asyncio.sleep(0.3)
                continue
            if line in IDLE_LINES:
                await self._press(board, "next")
                waited = 0.0
                while getattr(board.dev, "line1", None) in IDLE_LINES and \
                        waited < self.profile.idle_press_s and board.hal.beeps == beeps:
                    await self._sleep(5)
                    waited += 5
                beeps = board.hal.beeps
                continue
            if self.rng.random() < self.profile.no_show:
                await self._sleep(self.profile.recall_after_s)
                await self._press(board, "recall")
                await self._sleep(self.profile.absent_after_s)
                await self._press(board, "absent")
                continue
            traffic = next((s for s in self.profile.services if line.startswith(s.letter)), None)
            median = traffic.median_minutes if traffic else 8.0
            spread = traffic.spread if traffic else 0.45
            await self._sleep(60 * self.rng.lognormvariate(math.log(median), spread))
            await self._press(board, "next")  # finishes this citizen, calls the next
        while getattr(board.dev, "line1", None) not in ("CLOS",) and board.dev.link == 2:
            await self._press(board, "pause", hold_ms=1700)  # a long press: close the counter
            await asyncio.sleep(0.3)
            break


def _post(url: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:  # a refusal (closed hours...): counted by the caller
        raise OSError(f"HTTP {exc.code}") from None
