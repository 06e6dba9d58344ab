"""Outcomes reported to RDV Service Public, against a local server playing its API
(`PATCH /api/v1/rdvs/{id}/update_status`, agent authentication: config/routes/api.rb and
app/controllers/api/v1/rdvs_controller.rb in betagouv/rdv-service-public)."""
from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
