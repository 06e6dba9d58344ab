"""RDV Service Public's API, against a local server playing it: outcomes reported
(`PATCH /api/v1/rdvs/{id}/update_status`), today's rdvs pulled (`GET /api/v1/rdvs`), with an
agent's authentication (config/routes/api.rb, app/controllers/api/v1/rdvs_controller.rb and
base_controller.rb in betagouv/rdv-service-public); then the whole path through the bridge."""
from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from host_bridge.appointments.model import Appointment, Status
from host_bridge.appointments.rdv_service_public import Reporter
from host_bridge.appointments.rdv_service_public.settings import Settings
from support import PARIS, free_port

TOKEN = (("Authorization", "Bearer jeton-oauth-de-l-agent"),)
DEVISE = (("access-token", "SFYBngO55ImjD1HOcv-ivQ"), ("client", "Z6EihQAY9NWsZByfZ47i_Q"),
          ("uid", "accueil@mairie.example.fr"))


class FakeRdvsp(ThreadingHTTPServer):
    """Records each request; answers `status` (a 3xx with a Location), or never answers while
    `hang` is set."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", free_port()), Handler)
        self.requests: list[dict] = []
        self.status = 200
        self.pages: list[list[dict]] = [[]]  # GET /api/v1/rdvs's pages
        self.hang = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def do_PATCH(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: FakeRdvsp = self.server  # type: ignore[assignment]
        server.requests.append({"method": "PATCH", "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body})
        if server.hang.is_set():
            server.release.wait(5)
            return
        answer = json.dumps({"status": json.loads(body).get("status")}).encode()
        self.send_response(server.status)
        if 300 <= server.status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802
        server: FakeRdvsp = self.server  # type: ignore[assignment]
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        server.requests.append({"method": "GET", "path": url.path, "query": query,
                                "headers": {k.lower(): v for k, v in self.headers.items()}})
        page = int(query.get("page", "1"))
        answer = json.dumps({"rdvs": server.pages[page - 1] if page <= len(server.pages) else [],
                             "meta": {"current_page": page, "total_pages": len(server.pages),
                                      "total_count": sum(map(len, server.pages))}}).encode()
        self.send_response(server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api():
    server = FakeRdvsp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake(api):
    api.requests.clear()
    api.status = 200
    api.pages = [[]]
    api.hang.clear()
    return api


def reporter(url: str, credentials=TOKEN, timeout: float = 5.0) -> Reporter:
    return Reporter(Settings(secret=b"s" * 32, motifs={"1": "passeports-cni"}, api_url=url,
                             credentials=credentials, timeout_seconds=timeout))


def appointment(source="rdv-service-public") -> Appointment:
    return Appointment(source=source, external_id="4242", service="passeports-cni",
                       at=datetime(2026, 11, 26, 10, 30, tzinfo=PARIS))


@pytest.mark.parametrize("status", [Status.SEEN, Status.NOSHOW])
def test_an_outcome_is_patched_on_the_rdvs_status_with_the_agents_token(fake, status):
    assert reporter(fake.url).report(appointment(), status) is True
    [request] = fake.requests
    assert request["path"] == "/api/v1/rdvs/4242/update_status"
    assert request["headers"]["authorization"] == "Bearer jeton-oauth-de-l-agent"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {"status": status.value}


def test_the_deprecated_token_trio_is_sent_as_given(fake):
    assert reporter(fake.url, DEVISE).report(appointment(), Status.SEEN)
    headers = fake.requests[0]["headers"]
    assert (headers["access-token"], headers["client"], headers["uid"]) == (
        "SFYBngO55ImjD1HOcv-ivQ", "Z6EihQAY9NWsZByfZ47i_Q", "accueil@mairie.example.fr")
    assert "authorization" not in headers


@pytest.mark.parametrize("status", [401, 403, 404, 422, 429, 500, 503])
def test_a_refusal_or_a_server_error_is_false_so_the_caller_retries(fake, status):
    fake.status = status
    assert reporter(fake.url).report(appointment(), Status.NOSHOW) is False
    assert len(fake.requests) == 1


def test_a_redirect_is_not_followed_the_token_stays_home(fake):
    fake.status = 302
    assert reporter(fake.url).report(appointment(), Status.SEEN) is False
    assert len(fake.requests) == 1


def test_an_api_that_does_not_answer_in_time_is_false(fake):
    fake.hang.set()
    assert reporter(fake.url, timeout=0.3).report(appointment(), Status.SEEN) is False


def test_an_unreachable_api_is_false():
    assert reporter(f"http://127.0.0.1:{free_port()}").report(appointment(), Status.SEEN) is False


def test_only_its_own_appointments_and_only_outcomes_are_reported(fake):
    with pytest.raises(ValueError):
        reporter(fake.url).report(appointment(source="csv"), Status.SEEN)
    with pytest.raises(ValueError):
        reporter(fake.url).report(appointment(), Status.CHECKED_IN)
    assert fake.requests == []


def test_a_reporter_needs_the_apis_address():
    with pytest.raises(ValueError):
        Reporter(Settings(secret=b"s" * 32, motifs={"1": "x"}))


# --- the whole path: webhook in, check-in, served or missed, outcome out --------------------

SECRET = b"un-secret-partage-de-32-caracteres"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def town_hall(api, tmp_path_factory):
    """The example town hall behind uvicorn, its appointments' store (SQLite) and RDV-SP's
    webhook and reporter attached as the lead wires them; the sweep is run by hand."""
    import dataclasses

    from host_bridge.api import appointments as appointments_api
    from host_bridge.appointments import runtime
    from host_bridge.appointments.rdv_service_public import attach
    from host_bridge.service.clock import ManualClock
    from host_bridge.site_config import load
    from live_server import running_server
    from support import EXAMPLE

    folder = tmp_path_factory.mktemp("town-hall")
    base = load(EXAMPLE)
    settings = dataclasses.replace(base, db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"))
    clock = ManualClock(NOW)
    rdvsp = Settings(secret=SECRET, motifs={"1234": "passeports-cni"}, api_url=api.url,
                     credentials=TOKEN)
    with running_server(settings, clock) as server:
        app = server.bridge.app
        if not any(getattr(r, "path", "") == "/api/appointments/check-in" for r in app.routes):
            app.include_router(appointments_api.router)  # until the lead wires it in app.py
        appointments = runtime.build(settings, server.bridge.service, app)
        connection = attach(rdvsp, appointments, app, server.bridge.service, start=False)
        appointments.pull = connection.puller  # the pull's rounds are run by hand too
        yield server, appointments
        appointments.stop()


def signed(data: dict, event: str = "created", sent: datetime = NOW) -> dict:
    from host_bridge.appointments.rdv_service_public import webhook as w
    body = json.dumps({"data": data, "meta": {"model": "Rdv", "event": event,
                                              "timestamp": sent.isoformat()}}).encode()
    return {"content": body, "headers": {"Content-Type": "application/json; charset=utf-8",
                                         w.SIGNATURE_HEADER: w.sign(SECRET, body)}}


def rdv(id: int, starts_at: str, status: str = "unknown", ants: str | None = None) -> dict:
    user = {"id": id, "first_name": "Jeanne", "last_name": "Durand",
            "ants_pre_demande_number": ants}
    return {"id": id, "status": status, "starts_at": starts_at, "collectif": False,
            "motif": {"id": 1234, "name": "Passeport"}, "lieu": {"id": 56, "name": "Mairie"},
            "users": [user], "participations": [{"id": id, "status": status, "user": user}]}


def test_an_rdv_booked_in_rdvsp_is_checked_in_served_and_reported_seen(town_hall, fake):
    from host_bridge.appointments.rdv_service_public import PATH
    server, appointments = town_hall
    hook = server.http.post(PATH, **signed(rdv(7001, "2026-11-26T10:05:00+01:00",
                                               ants="AB12CD34EF")))
    assert hook.json() == {"applied": True, "change": "upserted"}
    # an rdv never checked in, 25 minutes ago: a no-show for the sweep
    server.http.post(PATH, **signed(rdv(7002, "2026-11-26T09:35:00+01:00")))

    ticket = server.http.post("/api/appointments/check-in", json={"key": "ab12 cd34 ef"})
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["appointment"]["status"] == "checked_in"
    agent = {"Authorization": "Bearer demo-agent"}
    server.http.post("/api/counters/3/open", headers=agent)
    called = server.http.post("/api/counters/3/next", headers=agent).json()
    assert called["counter"]["ticket"]["label"] == ticket.json()["ticket"]["label"], called
    server.http.post("/api/counters/3/finish", headers=agent)

    appointments.sweep.run_once()

    sent = {(r["path"], json.loads(r["body"])["status"]) for r in fake.requests}
    assert sent == {("/api/v1/rdvs/7001/update_status", "seen"),
                    ("/api/v1/rdvs/7002/update_status", "noshow")}
    store = appointments.store
    assert store.get("rdv-service-public", "7001").reported
    assert store.get("rdv-service-public", "7002").reported
    # RDV-SP then tells of the status it was given: nothing changes here
    echo = server.http.post(PATH, **signed(rdv(7001, "2026-11-26T10:05:00+01:00", "seen"),
                                           event="updated"))
    assert echo.json() == {"applied": False, "ignored": "outcome_known"}
    assert store.get("rdv-service-public", "7001").status is Status.SEEN


def test_an_outcome_refused_by_rdvsp_is_tried_again_later(town_hall, fake):
    from host_bridge.appointments.rdv_service_public import PATH
    server, appointments = town_hall
    server.http.post(PATH, **signed(rdv(7003, "2026-11-26T09:30:00+01:00")))
    fake.status = 503
    appointments.sweep.run_once()
    assert len(fake.requests) == 1
    assert not appointments.store.get("rdv-service-public", "7003").reported
    fake.status = 200
    appointments.sweep.run_once()  # not due yet: the retry waits (outcomes.py's backoff)
    assert len(fake.requests) == 1
    clock = appointments.sweep.service.clock
    clock.advance(60)
    appointments.sweep.run_once()
    assert len(fake.requests) == 2
    assert appointments.store.get("rdv-service-public", "7003").reported


def test_todays_rdvs_are_pulled_page_by_page_and_the_day_made_whole(town_hall, fake):
    from host_bridge.appointments.rdv_service_public import PATH
    server, appointments = town_hall
    # known from a webhook, then cancelled in RDV-SP while the bridge was down: not listed
    server.http.post(PATH, **signed(rdv(7010, "2026-11-26T11:00:00+01:00")))
    other_motif = {**rdv(7013, "2026-11-26T11:30:00+01:00"), "motif": {"id": 999}}
    fake.pages = [[rdv(7011, "2026-11-26T11:15:00+01:00", ants="ZZ99YY88XX"), other_motif],
                  [rdv(7012, "2026-11-26T11:45:00+01:00", "revoked")]]

    counts = appointments.pull.run_once()

    gets = [r for r in fake.requests if r["method"] == "GET"]
    assert [r["query"]["page"] for r in gets] == ["1", "2"]
    assert gets[0]["path"] == "/api/v1/rdvs"
    assert gets[0]["query"]["starts_after"] == "2026-11-25T23:59:59+01:00"
    assert gets[0]["query"]["starts_before"] == "2026-11-27T00:00:00+01:00"
    assert gets[0]["headers"]["authorization"] == "Bearer jeton-oauth-de-l-agent"
    store = appointments.store
    assert store.get("rdv-service-public", "7011").ants == "ZZ99YY88XX"
    assert store.get("rdv-service-public", "7010").status is Status.CANCELLED
    assert store.get("rdv-service-public", "7012") is None
    assert store.get("rdv-service-public", "7013") is None
    assert counts["added"] == 1 and counts["cancelled"] >= 1
    assert appointments.pull.status()["error"] is None


def test_a_failed_pull_changes_nothing_and_says_why(town_hall, fake):
    from host_bridge.appointments.rdv_service_public import PATH
    from host_bridge.appointments.rdv_service_public.pull import PullFailed
    server, appointments = town_hall
    server.http.post(PATH, **signed(rdv(7020, "2026-11-26T11:50:00+01:00")))
    fake.status = 500
    with pytest.raises(PullFailed):
        appointments.pull.run_once()
    assert appointments.store.get("rdv-service-public", "7020").status is Status.BOOKED
    assert appointments.pull.status()["error"] == "HTTP 500"


def test_the_pulls_thread_pulls_at_start_and_stops_when_told(fake, tmp_path):
    from host_bridge.appointments.rdv_service_public.pull import Puller
    from host_bridge.appointments.store import AppointmentStore
    from host_bridge.service.clock import ManualClock
    store = AppointmentStore(str(tmp_path / "a.db"), PARIS)
    pulled = threading.Event()

    class Watched(Puller):
        def run_once(self):
            try:
                return super().run_once()
            finally:
                pulled.set()

    puller = Watched(store, Settings(secret=SECRET, motifs={"1234": "passeports-cni"},
                                     api_url=fake.url, credentials=TOKEN, pull_minutes=60),
                     ManualClock(NOW), PARIS).start()
    try:
        assert pulled.wait(5), "no pull at start"
    finally:
        puller.stop()
        store.close()
    assert not puller._rounds._thread.is_alive()
    assert puller.status()["error"] is None and fake.requests[0]["method"] == "GET"
