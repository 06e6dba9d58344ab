"""The iCal and CSV imports: today's appointments of a feed, all or nothing, each refusal
naming the event or line at fault; the iCal feed from a file or over HTTP (a loopback server),
refreshed, a failed read keeping the previous list."""
from __future__ import annotations

import http.server
import threading
from datetime import date
from pathlib import Path

import pytest

from host_bridge.appointments import csv_import, ical_import
from host_bridge.appointments.feeds import Feed, Feeds
from host_bridge.appointments.model import Status
from host_bridge.appointments.store import AppointmentStore
from host_bridge.service.clock import ManualClock
from support import EXAMPLE, PARIS

from appointment_support import DAY, at

EXAMPLE_ICS = EXAMPLE.parent / "passeports-cni.ics"


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


def event(uid: str | None, start: str, summary: str = "Durand Jeanne", **props: str) -> str:
    lines = ["BEGIN:VEVENT"] + ([f"UID:{uid}"] if uid else []) + [
        "DTSTAMP:20261101T000000Z", f"DTSTART{start}", f"SUMMARY:{summary}"]
    lines += [f"{k.replace('_', '-')}:{v}" for k, v in props.items()] + ["END:VEVENT"]
    return "\r\n".join(lines) + "\r\n"


# ----- iCal -----------------------------------------------------------------------------------
def test_the_example_calendar_gives_twelve_appointments_any_day():
    data = EXAMPLE_ICS.read_bytes()
    for day in (DAY, date(2027, 3, 28), date(2027, 10, 31)):  # and both DST changes
        items = ical_import.parse(data, "passeports-cni", day, PARIS)
        assert [a.at.astimezone(PARIS).strftime("%H:%M") for a in items] == [
            f"{9 + i * 15 // 60:02d}:{i * 15 % 60:02d}" for i in range(12)]
        assert len({a.external_id for a in items}) == 12
    assert {a.ants for a in items} - {None} == {"AB12CD34EF", "7XK29PL4QZ"}
    assert items[0].code == "P7K2QX" and items[0].initials == "DJ"
    assert all(a.source == "ical:passeports-cni" for a in items)


def test_an_event_keeps_its_uid_time_code_ants_and_initials_never_the_name():
    data = calendar(
        event("rdv-1@tool", ";TZID=Europe/Paris:20261126T093000", "Le Goff Marie",
              DESCRIPTION="Pré-demande ANTS n° ab12cd34ef", X_SUIVANT_CODE="h4m-9tr"),
        event("rdv-2@tool", ":20261126T081500Z"),            # UTC: 09:15 in Paris
        event("rdv-3@tool", ":20261126T100000"),             # floating: the site's time
        event("rdv-4@tool", ":20261127T100000"),             # tomorrow
        event("rdv-5@tool", ":20261126T110000", STATUS="CANCELLED"),
        event("closed", ";VALUE=DATE:20261126"))             # all day: not an appointment
    items = ical_import.parse(data, "passeports-cni", DAY, PARIS)
    assert [(a.external_id, a.at, a.code, a.ants, a.initials) for a in items] == [
        ("rdv-2@tool", at("09:15"), "RDV2TOOL", None, "DJ"),
        ("rdv-1@tool", at("09:30"), "H4M9TR", "AB12CD34EF", "LGM"),
        ("rdv-3@tool", at("10:00"), "RDV3TOOL", None, "DJ")]
    assert "Goff" not in repr(items)


@pytest.mark.parametrize("data, message", [
    (b"not a calendar", "not an iCalendar file"),
    (b"BEGIN:VCARD\r\nEND:VCARD\r\n", "not an iCalendar file"),
    (calendar(event(None, ":20261126T100000")), "event 1 at 10:00: no UID"),
    (calendar(event("a", ":20261126T090000"), event("b", ":20261126T100000", DTEND="x")),
     "cannot be read"),
    (calendar(event("a", ":20261126T090000", X_SUIVANT_CODE="--")),
     r"event 1 at 09:00: its X-SUIVANT-CODE makes no booking code"),
])
def test_a_malformed_calendar_is_refused_and_says_where(data, message):
    with pytest.raises(ical_import.CalendarRefused, match=message):
        ical_import.parse(data, "passeports-cni", DAY, PARIS)


def test_a_feeds_secret_stays_out_of_its_messages():
    with pytest.raises(ical_import.CalendarRefused) as refused:
        ical_import.fetch("http://user:pw@127.0.0.1:9/export.ics?token=s3cret", Path("."),
                          timeout=2)
    assert "s3cret" not in str(refused.value) and "pw" not in str(refused.value)
    assert str(refused.value).startswith("http://127.0.0.1: cannot be read")  # no path


def test_a_feed_is_bounded_in_size(tmp_path):
    (tmp_path / "big.ics").write_bytes(b"x" * 2048)
    with pytest.raises(ical_import.CalendarRefused, match="over 1 KB"):
        ical_import.fetch("big.ics", tmp_path, cap=1024)
    with pytest.raises(ical_import.CalendarRefused, match="cannot be read"):
        ical_import.fetch("missing.ics", tmp_path)


class _Feed(http.server.BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.status)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def feed_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rdv.ics"
    server.shutdown()
    server.server_close()


def test_a_feed_over_http_is_refreshed_and_a_failed_read_keeps_the_list(tmp_path, feed_server):
    store = AppointmentStore(str(tmp_path / "a.db"), PARIS)
    clock = ManualClock(at("08:00"))
    feed = Feed("passeports-cni", feed_server, refresh_minutes=10)
    imports = []
    feeds = Feeds(store, clock, PARIS, tmp_path, [feed], lambda: imports.append(clock.now()))
    _Feed.status, _Feed.body = 200, calendar(event("a", ":20261126T090000", X_SUIVANT_CODE="A1"),
                                             event("b", ":20261126T091500", X_SUIVANT_CODE="B2"))
    feeds.run_once()
    assert [a.code for a in store.day(DAY)] == ["A1", "B2"]
    assert feeds.status()[0]["ok"] and feeds.status()[0]["appointments"] == 2
    _Feed.body = calendar(event("a", ":20261126T090000", X_SUIVANT_CODE="A1"))
    feeds.run_once()  # not yet due
    assert len([a for a in store.day(DAY) if a.status is Status.BOOKED]) == 2
    clock.advance(600)
    _Feed.status, _Feed.body = 500, b"oops"
    feeds.run_once()
    status = feeds.status()[0]
    assert not status["ok"] and status["error"].endswith("cannot be read (HTTP 500)")
    assert len([a for a in store.day(DAY) if a.status is Status.BOOKED]) == 2  # kept
    clock.advance(600)
    _Feed.status, _Feed.body = 200, calendar(event("a", ":20261126T090000", X_SUIVANT_CODE="A1"))
    feeds.run_once()
    assert {a.code: a.status for a in store.day(DAY)} == {"A1": Status.BOOKED,
                                                          "B2": Status.CANCELLED}
    assert feeds.status()[0]["ok"]
    assert len(imports) == 2  # the sweep is woken after each import, not after a failed read
    store.close()


# ----- CSV ------------------------------------------------------------------------------------
SERVICES = {"passeports-cni", "etat-civil"}
HEADER = "service,time,code,ants,initials,id\n"


def test_a_csv_gives_todays_appointments():
    data = (HEADER + "passeports-cni,09:15,p7k2qx,AB12CD34EF,dj,rdv-1\n"
            "etat-civil,2026-11-26T10:00:00+01:00,,,MLG,rdv-2\n"
            "\n"
            "passeports-cni,2026-11-27T09:00,X1,,,rdv-3\n").encode("utf-8-sig")
    day = csv_import.parse(data, DAY, PARIS, SERVICES)
    assert day.other_days == 1
    assert [(a.external_id, a.service, a.at, a.code, a.ants, a.initials) for a in day.items] == [
        ("rdv-1", "passeports-cni", at("09:15"), "P7K2QX", "AB12CD34EF", "DJ"),
        ("rdv-2", "etat-civil", at("10:00"), None, None, "MLG")]


def test_a_french_spreadsheets_semicolons_are_read():
    data = "service;time;code;ants;initials;id\npasseports-cni;9:00;A1;;;1\n".encode()
    assert csv_import.parse(data, DAY, PARIS, SERVICES).items[0].at == at("09:00")


@pytest.mark.parametrize("body, message", [
    ("service,time,code\n", "line 1: the header must be"),
    (HEADER + "passeports-cni,09:00,A1,,,1\nurbanisme,09:00,A2,,,2\n", "line 3: unknown service"),
    (HEADER + "passeports-cni,9h,A1,,,1\n", "line 2: time '9h' is neither"),
    (HEADER + "passeports-cni,09:00,A1,,,1\npasseports-cni,09:30,A2,,,1\n",
     "line 3: id '1' is already on line 2"),
    (HEADER + "passeports-cni,09:00,A1,123,,1\n", "line 2: ants must be"),
    (HEADER + "passeports-cni,09:00,,,Durand,1\n", "line 2: initials are 1 to 3 letters"),
    (HEADER + "passeports-cni,09:00,,,,1\n", "line 2: no code, ants nor initials"),
    (HEADER + "passeports-cni,09:00,A1,,\n", "line 2: 5 fields, 6 expected"),
    (b"\xff\xfe".decode("latin-1") + HEADER, "not UTF-8"),
])
def test_a_malformed_csv_is_refused_and_names_the_line(body, message):
    data = body.encode("latin-1") if body.startswith("\xff") else body.encode()
    with pytest.raises(csv_import.CsvRefused, match=message):
        csv_import.parse(data, DAY, PARIS, SERVICES)


def test_an_occurrence_moved_in_its_series_keeps_its_id_and_takes_its_new_time():
    data = calendar(
        event("s", ":20261101T090000", X_SUIVANT_CODE="S1", RRULE="FREQ=DAILY"),
        event("s", ":20261126T113000", X_SUIVANT_CODE="S1", RECURRENCE_ID="20261126T090000"))
    [moved] = ical_import.parse(data, "passeports-cni", DAY, PARIS)
    [usual] = ical_import.parse(data, "passeports-cni", date(2026, 11, 27), PARIS)
    assert (moved.external_id, moved.at) == ("s/2026-11-26T09:00", at("11:30"))
    assert (usual.external_id, usual.at) == ("s/2026-11-27T09:00", at("09:00", date(2026, 11, 27)))


def test_a_refused_event_is_named_by_its_place_and_time_never_its_uid():
    """Without X-SUIVANT-CODE the UID is the citizen's booking code: a refusal, which the feed
    logs and keeps as its error for staff, must not carry it (review: it did, `(UID …)`)."""
    uid = "RDV-7Q2M9K"
    data = calendar(event("a", ":20261126T090000"), event(uid, ":20261126T100000"),
                    event(uid + "2", ":20261126T103000", X_SUIVANT_CODE="--"))
    with pytest.raises(ical_import.CalendarRefused) as refused:
        ical_import.parse(data, "passeports-cni", DAY, PARIS)
    assert "event 3 at 10:30" in str(refused.value)
    assert uid not in str(refused.value)
