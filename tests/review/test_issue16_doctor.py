"""Review of issue 16 (`suivant doctor`): a --url that answers JSON that is not the bridge's
health, and a site whose data folder's path holds a '#' or a '?'. Each test fails while its bug
is there."""
from __future__ import annotations

import contextlib
import io
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from host_bridge.cli import main
from host_bridge.doctor import link_checks, store_checks
from host_bridge.doctor.bridge_view import BridgeView
from host_bridge.doctor.report import Status
from host_bridge.links.registry import DeviceRegistry
from host_bridge.store.sqlite_store import SqliteStore
from support import example_settings


class _Answer(BaseHTTPRequestHandler):
    body = b"[]"
    tokens: list[str] = []  # the Authorization headers it was sent

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.headers.get("Authorization"):
            _Answer.tokens.append(self.headers["Authorization"])
        if self.body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def other_service():
    """Another program's HTTP API where doctor looks for the bridge (a wrong --url)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"42"])
def test_a_url_answering_json_that_is_no_health_object_is_said_so_not_a_fault_in_doctor(
        other_service, tmp_path, body):
    """look() takes any JSON as the bridge's health: a list or a string from whatever answers
    at a wrong --url makes the bridge (and broker) checks crash with AttributeError, reported
    as 'the check itself failed ... a fault in doctor: please report it'."""
    _Answer.body = body
    settings = example_settings(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["doctor", "--config", settings.source, "--url", other_service])
    text = out.getvalue()
    assert code == 2
    bridge = next(line for line in text.splitlines() if line.split()[1:2] == ["bridge"])
    assert bridge.startswith("FAIL") and "the check itself failed" not in text, text


def test_the_supervisor_s_token_is_not_sent_to_a_bridge_of_another_site(other_service,
                                                                       tmp_path):
    """with_devices() sends the supervisor's token to whatever answered /api/health, even when
    it said it serves another site (a wrong --url, a neighbour's server): the token leaves for
    a server that doctor itself reports as not this site's bridge."""
    _Answer.body = b'{"site": "mairie-ailleurs", "day": null, "last_seq": 0}'
    _Answer.tokens.clear()
    settings = example_settings(tmp_path)
    token = tmp_path / "token"
    token.write_text("secret-supervisor-token\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["doctor", "--config", settings.source, "--url", other_service,
              "--token-file", str(token)])
    assert "serves site 'mairie-ailleurs'" in out.getvalue()
    assert _Answer.tokens == []


@pytest.mark.parametrize("folder", ["site #2", "site?2"])
def test_doctor_reads_the_databases_of_a_folder_with_a_hash_or_question_mark_in_its_path(
        tmp_path, folder):
    """store_checks.database() and link_checks._never_heard() open `file:{path}?mode=…`
    unescaped (the store escapes it since c4b2201): with '#' or '?' in the path SQLite opens
    another file, made empty beside the folder, and doctor says the sound database 'cannot be
    written (no such table: meta)', 'not a Suivant database', the registry unreadable."""
    data = tmp_path / folder
    data.mkdir()
    settings = example_settings(data)
    SqliteStore(settings.db_path).close()
    DeviceRegistry(settings.devices_path).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    found = {f.check: f for f in store_checks.database(settings)}
    assert found["database"].status is Status.OK, found["database"]
    assert found["schema"].status is Status.OK, found["schema"]
    [boards] = link_checks.boards(settings, BridgeView("http://127.0.0.1:9"), 180)
    assert "cannot read the device registry" not in boards.found, boards
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray file made


@pytest.mark.parametrize("folder", ["site #2", "site?2"])
def test_the_store_reads_a_report_s_days_in_a_folder_with_a_hash_or_question_mark(
        tmp_path, folder):
    """events_of_days() and tallies_of_days() opened `file:{path}?mode=ro` unescaped, as
    doctor did: the reports of a site in such a folder failed ('unable to open database
    file', 'no such table') beside a stray empty file."""
    data = tmp_path / folder
    data.mkdir()
    store = SqliteStore(str(data / "mairie.db"))
    try:
        store.purge_day("2026-12-01", {"served": 3})
        before = sorted(p.name for p in tmp_path.iterdir())
        assert list(store.events_of_days("2026-12-01", "2026-12-02")) == []
        assert store.tallies_of_days("2026-12-01", "2026-12-02") == [{"served": 3}]
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("body", [b"<!doctype html><title>Another program</title>", None])
def test_an_html_page_at_the_url_is_said_to_be_no_suivant_bridge(other_service, tmp_path,
                                                                 body):
    """An HTML answer was worded 'nothing answers at … (Expecting value: line 1 column 1)';
    a web server without /api/health (404) 'nothing answers at … (HTTP 404 Not Found)'."""
    _Answer.body = body
    settings = example_settings(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["doctor", "--config", settings.source, "--url", other_service])
    bridge = next(line for line in out.getvalue().splitlines()
                  if line.split()[1:2] == ["bridge"])
    assert "something answers" in bridge and "not a Suivant bridge" in bridge, bridge


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_token_file_that_is_no_regular_file_is_refused_at_once(tmp_path, capsys, kind):
    """--token-file naming a FIFO blocked doctor for ever (no writer); /dev/zero was read
    without limit."""
    if kind == "fifo":
        token = tmp_path / "token"
        os.mkfifo(token)
    else:
        token = "/dev/zero"
    settings = example_settings(tmp_path)
    assert main(["doctor", "--config", settings.source, "--url", "http://127.0.0.1:9",
                 "--token-file", str(token)]) == 2
    assert "is not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("folder", ["site #2", "site?2"])
def test_the_other_readers_of_a_site_s_files_take_a_hash_or_question_mark_too(
        tmp_path, folder, capsys):
    """The same unescaped `file:{path}?mode=ro` in the network publisher's history reader,
    `suivant restore --from-central`'s look at the database, and check-config's count of the
    staff file's accounts."""
    from host_bridge.network.publisher import HistoryReader
    from host_bridge.network.restore import events_in
    from host_bridge.service.clock import SiteClock
    from host_bridge.staff import StaffDirectory, staff_path
    from pathlib import Path
    from host_bridge.site_config import load
    data = tmp_path / folder
    data.mkdir()
    settings = load(example_settings(data).source)  # check-config reads the file's paths
    SqliteStore(settings.db_path).close()
    clock = SiteClock(settings.site.timezone)
    staff = StaffDirectory(staff_path(settings.db_path), clock, clock.tz)
    try:
        staff.create("test", "agent1", "Agent Un", "agent", [1], "un mot de passe assez long",
                     via="cli")
    finally:
        staff.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    reader = HistoryReader(settings.db_path)
    try:
        assert reader.last_seq() == 0
    finally:
        reader.close()
    assert events_in(Path(settings.db_path)) == 0
    assert main(["check-config", settings.source]) == 0
    assert "1 named account" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == before
