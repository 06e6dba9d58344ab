"""Review of issue 16's "what the logs never hold" (docs/operations.md §18), as a hostile
tester: the call sites that format a booking's data."""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from host_bridge.appointments.model import Appointment, Status
from host_bridge.appointments.rdv_service_public import Reporter
from host_bridge.appointments.rdv_service_public.settings import Settings
from support import PARIS

RDV_ID = "73915"  # with code = "id" (the default), what the citizen types at the kiosk


class _Expired(BaseHTTPRequestHandler):
    def do_PATCH(self):  # noqa: N802 - http.server's name
        self.send_response(401)  # the agent's OAuth token expired
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_refused_outcome_report_does_not_log_the_rdv_id_that_is_its_check_in_code(caplog):
    """Bug: with RDV Service Public's default `code = "id"` the rdv's id is the booking code
    the citizen types to check in (webhook._code; settings.py: "what the citizen types").
    rdv_service_public/reporter.py logs it at warning on every refused or failed report
    ("RDV Service Public refused rdv 73915's outcome seen: HTTP 401"), ten tries an appointment
    when the agent's token has expired; appointments/outcomes.py logs it again on giving up.
    §18 says the logs never hold an appointment's reference. Should name the service and time,
    or a digest of the id, not the code."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Expired)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reporter = Reporter(Settings(
            secret=b"s" * 32, motifs={"1": "passeports-cni"},
            api_url=f"http://127.0.0.1:{server.server_address[1]}",
            credentials=(("Authorization", "Bearer jeton-expire"),), timeout_seconds=5))
        rdv = Appointment(source="rdv-service-public", external_id=RDV_ID,
                          service="passeports-cni", code=RDV_ID,
                          at=datetime(2026, 11, 26, 10, 30, tzinfo=PARIS))
        with caplog.at_level(logging.DEBUG, logger="host_bridge"):
            assert reporter.report(rdv, Status.SEEN) is False
    finally:
        server.shutdown()
        server.server_close()
    logged = [r.getMessage() for r in caplog.records]
    assert logged, "the refusal is logged"
    assert not [m for m in logged if RDV_ID in m], logged


class _Gone(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(404)  # the calendar's secret address was reset in the booking tool
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_ical_feed_that_fails_is_not_named_with_the_secret_in_its_path():
    """Bug: ical_import.shown() keeps a feed address's path and drops only its query and user
    part, but the common booking and calendar tools put the secret in the path: Google
    Calendar's "secret address in iCal format" is .../calendar/ical/<id>/private-<secret>/
    basic.ics, Outlook's published calendar .../owa/calendar/<id>/<secret>/calendar.ics.
    A feed that fails (HTTP 404 once the address is reset, a timeout) raises CalendarRefused
    with that whole path, which feeds.refresh logs at warning every refresh and keeps as the
    feed's last_error. Should name the host only (as _host does), or the path without its
    segments."""
    from host_bridge.appointments import ical_import
    secret = "private-5f0c8a3e9b7d4c21a6e0f3b8d2c9e714"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = (f"http://127.0.0.1:{server.server_address[1]}/calendar/ical/"
           f"mairie.villeneuve%40gmail.com/{secret}/basic.ics")
    try:
        ical_import.fetch(url, base=None, timeout=5)  # type: ignore[arg-type]
        raise AssertionError("a 404 is refused")
    except ical_import.CalendarRefused as refused:
        message = str(refused)
    finally:
        server.shutdown()
        server.server_close()
    assert "HTTP 404" in message and secret not in message, message

