"""Citizens and agents at a network demo's site, through the site's HTTP API only.

    traffic = SiteTraffic(api_url, site, pace=10, seed=1, busyness=1.0).start()   # threads
    traffic.stop()                                    # every thread ends within a second

The single-site demo's agents press virtual boards; ten sites' worth of boards (the real
firmware each) would be most of the machine, so here the agents call the counter's API as
the agent console does, and citizens take their tickets as the kiosk does (its token). The
rates, the crowd at the opening, the groups and the balking are the single-site demo's
(simulators/demo.py), times `busyness`: the sites of a network are not all as busy.
"""
from __future__ import annotations

import json
import math
import random
import threading
import urllib.error
import urllib.request
from typing import Any

from host_bridge.cli import DEMO_TOKENS

from .demo import BALK_AT, CITIZENS_PER_HOUR, CROWD, GROUP, GROUP_EVERY_S, people
from .traffic import demo_profile

IDLE_S = 30.0  # simulated seconds an idle agent waits before asking for the next citizen again


class SiteTraffic:
    def __init__(self, api: str, site: Any, pace: float, seed: int, busyness: float = 1.0):
        self.api, self.site, self.pace = api, site, pace
        self.rng = random.Random(seed)
        self.profile = demo_profile(site, CITIZENS_PER_HOUR * busyness)
        self.visitor_counter = min(k.number for k in site.counters)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.issued = 0
        self.balked = 0
        self.errors = 0

    # -- plumbing ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None,
              token: str | None = None) -> Any:
        """The answer's JSON; None when refused (a 4xx: nobody waiting...) or unreachable."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError:
            return None
        except (OSError, ValueError):
            self.errors += 1
            return None

    def _sleep(self, simulated_s: float) -> bool:
        """False when the traffic is stopping."""
        return not self.stopping.wait(simulated_s / self.pace)

    def start(self) -> SiteTraffic:
        jobs = [self._citizens] + [
            (lambda n=k.number: self._agent(n)) for k in self.site.counters
            if k.number != self.visitor_counter]
        for i, job in enumerate(jobs):
            t = threading.Thread(target=job, name=f"traffic-{self.site.id}-{i}", daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(15)  # at most one HTTP call in flight, each bounded by its timeout

    # -- citizens ------------------------------------------------------------------------------
    def _take_ticket(self, service: str) -> None:
        seen = self._call("GET", f"/api/services/{service}")
        if seen is not None and seen.get("waiting", 0) >= BALK_AT:
            self.balked += 1  # too many ahead: they come back another day
            return
        body: dict[str, Any] = {"service": service}
        if self.rng.random() < self.profile.priority_share:
            body["category"] = "cmi"
        if self._call("POST", "/api/tickets", body, DEMO_TOKENS["kiosk"]) is not None:
            self.issued += 1

    def _citizens(self) -> None:
        for service in people(self.site, CROWD):
            if self.stopping.is_set():
                return
            self._take_ticket(service)
        rates = [s.per_hour[0] / 3600 for s in self.profile.services]  # the same at every hour
        total = sum(rates)
        until_group: float = GROUP_EVERY_S
        while True:
            wait = self.rng.expovariate(total) if total > 0 else GROUP_EVERY_S
            if wait >= until_group:
                if not self._sleep(until_group):
                    return
                wait, until_group = 0.0, GROUP_EVERY_S
                for service in people(self.site, GROUP):
                    self._take_ticket(service)
                continue
            if not self._sleep(wait):
                return
            until_group -= wait
            chosen = self.rng.choices(self.profile.services, weights=rates)[0]
            self._take_ticket(chosen.service)

    # -- agents --------------------------------------------------------------------------------
    def _agent(self, number: int) -> None:
        agent = DEMO_TOKENS["agent"]
        medians = {s.letter: (s.median_minutes, s.spread) for s in self.profile.services}
        self._call("POST", f"/api/counters/{number}/open", {}, agent)
        while not self.stopping.is_set():
            self._call("POST", f"/api/counters/{number}/next", {}, agent)
            counter = self._call("GET", f"/api/counters/{number}")
            ticket = (counter or {}).get("ticket")
            if not ticket:
                if not self._sleep(IDLE_S):
                    return
                continue
            if self.rng.random() < self.profile.no_show:
                if not self._sleep(self.profile.recall_after_s):
                    return
                self._call("POST", f"/api/counters/{number}/recall", {}, agent)
                if not self._sleep(self.profile.absent_after_s):
                    return
                self._call("POST", f"/api/counters/{number}/absent", {}, agent)
                continue
            median, spread = medians.get(str(ticket.get("label", ""))[:1], (8.0, 0.45))
            if not self._sleep(60 * self.rng.lognormvariate(math.log(median), spread)):
                return
