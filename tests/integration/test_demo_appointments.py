"""The demo's appointments (simulators/demo_appointments.py): the example calendar's citizens
booked from the demo's start, read back by the bridge's own iCal import, and checked in by the
traffic with the kiosk's token, leaving the visitor theirs."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

from host_bridge.appointments import ical_import
from host_bridge.site_config import read_toml
from simulators import demo_appointments as demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 15, 42, 30, tzinfo=PARIS)


def test_the_demo_books_the_examples_citizens_from_now_on_and_the_bridge_reads_them(tmp_path):
    doc = read_toml(EXAMPLES / "mairie.toml")
    booked = demo.demo_calendars(doc, EXAMPLES, tmp_path, NOW)
    service = next(s for s in doc["services"] if s["id"] == "passeports-cni")
    assert service["appointments"]["ical"] == "passeports-cni.ics"
    written = (tmp_path / "passeports-cni.ics").read_bytes()
    read = ical_import.parse(written, "passeports-cni", NOW.date(), PARIS)
    example = ical_import.parse((EXAMPLES / "passeports-cni.ics").read_bytes(),
                                "passeports-cni", NOW.date(), PARIS)
    first = datetime(2026, 12, 7, 15, 46, tzinfo=PARIS)  # the next whole minute, + 4
    assert [a.at for a in read] == [first + i * demo.EVERY for i in range(len(example))]
    assert [a.code for a in read] == [a.code for a in example] == [b.code for b in booked]
    assert [a.ants for a in read] == [a.ants for a in example]  # the ANTS numbers kept
    assert [b.who for b in booked].count("visitor") == 2
    assert [b.who for b in booked].count("nobody") == 1
    line = "".join(demo.visitor_lines(booked))
    assert all(b.code in line for b in booked if b.who == "visitor")
    # the example itself is untouched
    assert read_toml(EXAMPLES / "mairie.toml")["services"][2]["appointments"]["ical"] \
        == "passeports-cni.ics"


def test_late_in_the_evening_every_appointment_is_still_today(tmp_path):
    """A demo started at 23:50 (found when CI ran then: 4 of 12 fell after midnight, and a
    bridge imports only today's)."""
    late = datetime(2026, 12, 7, 23, 50, 10, tzinfo=PARIS)
    booked = demo.demo_calendars(read_toml(EXAMPLES / "mairie.toml"), EXAMPLES, tmp_path, late)
    read = ical_import.parse((tmp_path / "passeports-cni.ics").read_bytes(), "passeports-cni",
                             late.date(), PARIS)
    assert len(read) == len(booked) == 12
    assert all(late < a.at < datetime(2026, 12, 8, tzinfo=PARIS) for a in read)
    assert [a.at for a in read] == sorted(a.at for a in read)


def test_the_traffic_checks_its_citizens_in_early_with_the_kiosks_token():
    posts: list[tuple[str, str, dict]] = []

    class Bridge(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posts.append((self.path, self.headers.get("Authorization"), body))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start = NOW
    booked = [demo.Booked("passeports-cni", f"CODE{i}", start + timedelta(minutes=4 * i),
                          "traffic" if i != 1 else "visitor") for i in range(4)]
    now = [start]  # the first is due at once (within EARLY of its time), the rest later
    checks = demo.DemoCheckIns(f"http://127.0.0.1:{server.server_port}", booked, "demo-borne",
                               clock=lambda: now[0])
    try:
        now[0] = start + timedelta(hours=1)  # every one is due: none is waited for
        checks.start()
        checks._thread.join(timeout=10)
    finally:
        server.shutdown()
    assert [p[2]["key"] for p in posts] == ["CODE0", "CODE2", "CODE3"]  # not the visitor's
    assert {(p[0], p[1]) for p in posts} == {("/api/appointments/check-in", "Bearer demo-borne")}
