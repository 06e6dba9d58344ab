"""How heavy the pages are and how long they take to show something useful, in headless
Chromium, on a simulated slow link (a phone on 3G) and on the LAN.

    python -m bench.page_load                 # 3G (1.6 Mbit/s down, 750 kbit/s up, 150 ms) and LAN
    python -m bench.page_load --runs 5

Against the real `suivant demo --no-traffic`: one ticket is taken and one counter opened, then
each page is loaded in a fresh browser context (nothing cached) and timed from navigation to the
moment its first useful content is there (the kiosk's service buttons, the ticket page's
number, the hall's site name, the console's sign-in form, the supervisor's sign-in form).
Bytes are what crossed the network (HTTP bodies as sent: the bridge does not compress).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from bench._common import machine_lines  # noqa: E402

PROFILES = {
    "3G": {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8},
    "LAN": None,
}


def post(api: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(api + path, method="POST",
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer demo-agent"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.page_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    from chromium import CHROMIUM, FLAGS
    from demo_process import Demo
    from playwright.sync_api import sync_playwright

    for line in machine_lines(str(ROOT), "FULL")[:3]:
        print(line)
    demo = Demo()
    try:
        post(demo.api, "/api/counters/2/open")
        ticket = post(demo.api, "/api/tickets", {"service": "accueil"})["ticket"]
        pages = [("kiosk", "/borne", 'button[data-service="accueil"]'),
                 ("ticket page", f"/ticket/{ticket['id']}", "#wait:not(:empty)"),
                 ("hall screen", "/salle", "#site:not(:empty)"),
                 ("agent console", "/guichet", "#login:not([hidden])"),
                 ("supervision", "/supervision", "#login:not([hidden])")]
        print(f"\n{'page':15} {'link':5} {'KB':>7} {'requests':>9} {'ms (median of ' + str(args.runs) + ')':>18}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            for name, path, ready in pages:
                for profile, conditions in PROFILES.items():
                    times, sizes, counts = [], [], []
                    for _ in range(args.runs):
                        context = browser.new_context()
                        page = context.new_page()
                        cdp = context.new_cdp_session(page)
                        cdp.send("Network.enable")
                        if conditions:
                            cdp.send("Network.emulateNetworkConditions", conditions)
                        received: list[int] = []
                        cdp.on("Network.loadingFinished",
                               lambda e: received.append(int(e.get("encodedDataLength", 0))))
                        started = time.perf_counter()
                        page.goto(demo.api + path, wait_until="commit")
                        page.wait_for_selector(ready, timeout=60000)
                        times.append((time.perf_counter() - started) * 1000)
                        page.wait_for_timeout(200)  # the last responses' accounting
                        sizes.append(sum(received))
                        counts.append(len(received))
                        context.close()
                    print(f"{name:15} {profile:5} {statistics.median(sizes) / 1024:7.1f} "
                          f"{statistics.median(counts):9.0f} {statistics.median(times):18.0f}")
            browser.close()
    finally:
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
