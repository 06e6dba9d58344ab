"""A page refused a live stream because the bridge serves its maximum (503) comes back by
itself: a browser's EventSource gives up for good on a 503, so the pages open it again after
30 s, resuming after the last event seen. Issue 10 capped the streams; without this a hall
screen switched on at the wrong moment would stay dead all day."""
from __future__ import annotations

import time

from chromium import browser_page
from host_bridge.api.limits import Limits
from live_server import Stream, running_server
from support import AGENT


def test_a_hall_screen_refused_at_the_stream_cap_reconnects_and_shows_the_next_call(
        settings, clock):
    cap = Limits(max_streams=1, unlimited_addresses=("127.0.0.1",))
    with running_server(settings, clock, limits=cap) as server:
        holder = Stream(server.url + "/api/events")  # the one stream the bridge serves
        assert holder.status == 200
        with browser_page() as page:
            page.clock.install()
            refused = []
            page.on("response", lambda r: refused.append(r.status)
                    if "/api/events" in r.url else None)
            page.goto(server.url + "/salle")
            page.wait_for_selector("#site:not(:empty)")
            page.wait_for_function("() => !document.getElementById('offline').hidden")
            assert 503 in refused  # told the bridge is full, and shows it is not live
            holder.close()  # a slot frees up (once the bridge has seen the reader go)
            slots = server.bridge.app.state.stream_slots
            deadline = time.monotonic() + 30  # at worst, its next keep-alive write fails
            while slots.open and time.monotonic() < deadline:
                time.sleep(0.05)
            assert slots.open == 0
            page.clock.fast_forward(31_000)  # the page's retry
            page.wait_for_function("() => document.getElementById('offline').hidden")
            server.post("/api/counters/2/open", headers=AGENT)
            label = server.post("/api/tickets", json={"service": "etat-civil"}
                                ).json()["ticket"]["label"]
            server.post("/api/counters/2/next", headers=AGENT)
            page.wait_for_function(
                f"() => document.getElementById('now-label')?.textContent === '{label}'")
