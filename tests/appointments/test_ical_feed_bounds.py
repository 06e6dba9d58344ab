"""Every input of a feed bounded (review of issue 15): an iCal feed's repeat rules are refused
before they are expanded when they would cost seconds (dateutil walks each from its DTSTART,
and to year 9999 when it never matches); an HTTP answer sent a byte at a time is given up
within its timeout (the iCal feed, RDV Service Public's pull and outcome reporter); a malformed
feed URL is refused without its path or query (a booking tool's export secret)."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import date, datetime

import pytest

from host_bridge.appointments import ical_import
from host_bridge.appointments.model import Appointment, Status
from host_bridge.appointments.rdv_service_public import pull, reporter
from host_bridge.appointments.rdv_service_public.settings import Settings
from host_bridge.appointments.store import TooMany
from support import PARIS

DAY = date(2026, 11, 26)


def calendar(rule: str, start: str = "20261126T090000") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//review//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:rule@booking\r\nDTSTART:{start}\r\nRRULE:{rule}\r\n"
            "SUMMARY:Durand Jeanne\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


@pytest.mark.parametrize("rule, start, why", [
    ("FREQ=SECONDLY", "20261126T090000", "daily at the most often"),
    ("FREQ=MINUTELY", "20261126T090000", "daily at the most often"),
    ("FREQ=HOURLY", "20261126T090000", "daily at the most often"),
    ("FREQ=DAILY", "00010101T090000", "start too long ago"),          # 3.5 s unchecked
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "20261126T090000", "never happens"),  # 8 s
    ("FREQ=MONTHLY;BYDAY=6TH", "20261126T090000", "never happens"),
    ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", "20261126T090000", "may never happen"),
    ("FREQ=DAILY;BYSETPOS=1", "20261126T090000", "BYSETPOS is not taken"),
    ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30", "20261126T000000",
     "over 24 times a day"),
    ("FREQ=DAILY;INTERVAL=x", "20261126T090000", "cannot be read"),
])
def test_a_costly_or_endless_repeat_rule_is_refused_at_once_naming_its_event(rule, start, why):
    started = time.monotonic()
    with pytest.raises(ical_import.CalendarRefused, match=why) as refused:
        ical_import.parse(calendar(rule, start), "passeports-cni", DAY, PARIS)
    assert "rule@booking" in str(refused.value)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("rule, start, count", [
    ("FREQ=DAILY", "20200101T090000", 1),
    ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "20150101T090000", 1),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "20261112T090000", 1),
    ("FREQ=MONTHLY;BYDAY=-1TH", "20260101T090000", 1),
    ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=26", "19500101T090000", 1),
    ("FREQ=DAILY;BYHOUR=9,14", "20261101T090000", 2),
])
def test_the_repeat_rules_of_appointments_are_still_expanded(rule, start, count):
    items = ical_import.parse(calendar(rule, start), "passeports-cni", DAY, PARIS)
    assert len(items) == count


def test_many_rules_together_are_bounded_as_a_whole():
    events = "".join(f"BEGIN:VEVENT\r\nUID:e{n}\r\nDTSTART:19500101T090000\r\n"
                     "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n" for n in range(20))
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{events}END:VCALENDAR\r\n".encode()
    started = time.monotonic()
    with pytest.raises(ical_import.CalendarRefused, match="start too long ago"):
        ical_import.parse(data, "passeports-cni", DAY, PARIS)
    assert time.monotonic() - started < 0.5


def test_the_review_case_a_rule_that_never_ends_is_refused_within_a_second():
    started = time.monotonic()
    with pytest.raises((ical_import.CalendarRefused, TooMany)):
        ical_import.parse(calendar("FREQ=SECONDLY"), "passeports-cni", DAY, PARIS)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("url", ["https://booking.example/export.ics?token=S3CRET now",
                                 "https://booking.example/export.ics?token=S3CRET\x7f",
                                 "https://booking.example/S3CRET path/export.ics",
                                 "http://[::1/S3CRET.ics"])
def test_a_malformed_feed_url_is_refused_without_its_secret(url, tmp_path):
    with pytest.raises(ical_import.CalendarRefused, match="cannot be read") as refused:
        ical_import.fetch(url, tmp_path, timeout=2)
    assert "S3CRET" not in str(refused.value)


@contextlib.contextmanager
def trickling_server(what: str = "body"):
    """A server that answers 200 with a long body, then sends one byte of it every 0.1 s
    (or of a header line, `what` = "headers"), for at most 6 s (the test's own bound)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed: the test is over
            with conn, contextlib.suppress(OSError):  # the client gave up: the next one
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: " if what == "headers" else
                             b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n{")
                while not stop.wait(0.1):
                    conn.sendall(b" ")

    worker = threading.Thread(target=trickle, daemon=True)
    worker.start()
    timer = threading.Timer(6.0, stop.set)
    timer.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        timer.cancel()
        server.close()
        worker.join(2)


def within(seconds: float, read) -> None:
    started = time.monotonic()
    read()
    took = time.monotonic() - started
    assert took < seconds, f"a 0.5 s timeout, and the read took {took:.1f} s"


@pytest.mark.parametrize("what", ["body", "headers"])
def test_a_feed_that_trickles_is_given_up_within_its_timeout(what, tmp_path):
    with trickling_server(what) as url:
        def read():
            with pytest.raises(ical_import.CalendarRefused, match="not read within 0.5 s"):
                ical_import.fetch(f"{url}/today.ics?token=S3CRET", tmp_path, timeout=0.5)
        within(1.5, read)


@pytest.mark.parametrize("what", ["body", "headers"])
def test_rdv_service_publics_pull_and_reporter_give_up_a_trickle_within_their_timeout(what):
    with trickling_server(what) as url:
        settings = Settings(secret=b"s" * 32, motifs={"1": "passeports-cni"}, api_url=url,
                            timeout_seconds=0.5)

        def pulled():
            with pytest.raises(pull.PullFailed, match="not read within 0.5 s"):
                pull.fetch_day(settings, DAY, PARIS)
        within(1.5, pulled)
        rdv = Appointment("rdv-service-public", "4242", "passeports-cni",
                          datetime(2026, 11, 26, 9, 0, tzinfo=PARIS), code="4242")

        def reported():
            assert reporter.Reporter(settings).report(rdv, Status.SEEN) is False  # retried
        within(1.5, reported)
