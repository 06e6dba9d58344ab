"""docs/operations.md §19 (issue 17) followed as a small town hall's IT person, then its
receptionist and a citizen, would: each test is a place where the doc, the pages or the API
disagreed with each other or with what the site needs (a walkthrough found them; each failed
before its fix). The example town hall built in process (tests/questions/conftest.py's way), Thursday
26 November 2026, 10:00 in Paris, its clock moved by hand."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

import host_bridge.service.site_admin as site_admin
from host_bridge.backup.take import take_backup
from host_bridge.bootstrap import build
from host_bridge.cli import demo_accounts
from simulators.bridge_process import BridgeProcess, free_port
from support import EXAMPLE, ROOT, example_settings

# the questions' tests' texts (tests/questions/chat_support.py: tests/log_secrets.py already
# watches the logs for them)
QUESTION = "Faut-il la photocopie du livret de famille ?"
REPLY = "Oui, apportez aussi l'original du livret."

ADMIN = {"Authorization": "Bearer demo-admin"}
AGENT = {"Authorization": "Bearer demo-agent"}
sys.path.append(str(ROOT / "tests" / "browser"))  # chromium, live_server


def _site(tmp_path, **questions):
    settings = example_settings(tmp_path)
    if questions:
        settings = dataclasses.replace(
            settings, questions=dataclasses.replace(settings.questions, **questions))
    return settings


@pytest.fixture
def open_bridge(tmp_path, clock):
    opened = []

    def make(**questions):
        settings = _site(tmp_path, **questions)
        demo_accounts(settings)  # camille and sacha: agents at every counter, as by default
        b = build(settings, clock)
        client = TestClient(b.app)
        opened.append((b, client))
        return b, client
    yield make
    for b, client in opened:
        client.close()
        b.app.state.survey.stop()
        b.close()


def _answered_conversation(client, service: str = "accueil") -> str:
    ticket = client.post("/api/tickets", json={"service": service}).json()["ticket"]["id"]
    assert client.post(f"/api/tickets/{ticket}/questions", json={"text": QUESTION}).status_code == 201
    conversation = client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
    assert client.post(f"/api/questions/{conversation}/answer", headers=AGENT,
                       json={"text": REPLY}).status_code == 200
    return conversation


# ----- « Ajouter à la FAQ »: the site file written back -----------------------------------------

def test_two_faq_entries_added_in_the_same_second_keep_the_site_file_as_it_was(
        open_bridge, tmp_path, monkeypatch):
    """§19 step 5: « The site file is written back, as the administration page does (the
    previous file kept beside it) ». The backup is named `<file>.<YYYYmmdd-HHMMSS>.bak`: a
    second change within the same second (an admin adding two entries one after the other, or
    the FAQ panel and the administration page together) copies over the first backup, and the
    file as the IT person wrote it (with its comments, which the rewrite drops) is gone. A
    person needs every earlier version kept (a name that cannot collide)."""
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # two saves within one wall-clock second, deterministically
            return datetime(2026, 11, 26, 10, 0, 0)
    monkeypatch.setattr(site_admin, "datetime", Frozen)
    _, client = open_bridge()
    original = (tmp_path / "mairie.toml").read_bytes()
    for n in (1, 2):
        conversation = _answered_conversation(client)
        r = client.post(f"/api/questions/{conversation}/faq", headers=ADMIN,
                        json={"question": f"Question fréquente {n} ?", "answer": "Réponse."})
        assert r.status_code == 201, r.text
    kept = [p.read_bytes() for p in tmp_path.glob("mairie.toml.*.bak")]
    assert original in kept, "the site file as it was before the first change is lost"


def test_saving_the_same_answer_to_the_faq_twice_adds_it_once(open_bridge):
    """§19 step 5: « Ajouter à la FAQ » under an answered conversation. The form stays open
    after « Ajoutée à la FAQ du service … », with its button: a second click (or a second
    admin) adds the same entry again, and the citizens' FAQ shows the question twice. A person
    needs the second save refused (409, already in the FAQ) or the entry not duplicated."""
    _, client = open_bridge()
    conversation = _answered_conversation(client)
    body = {"question": "Puis-je venir avec un dossier incomplet ?", "answer": REPLY}
    first = client.post(f"/api/questions/{conversation}/faq", headers=ADMIN, json=body)
    assert first.status_code == 201, first.text
    client.post(f"/api/questions/{conversation}/faq", headers=ADMIN, json=body)
    faq = client.get("/api/services/accueil/faq").json()["faq"]
    assert [e["question"] for e in faq].count(body["question"]) == 1, faq


# ----- `counters = [...]`: who sees the panel ------------------------------------------------------

def test_an_agent_sitting_at_another_counter_does_not_get_the_questions(open_bridge):
    """§19: `counters = [1]` « agents who may act at one of these counters answer »; « Give the
    questions to the reception counter (`counters = [1]` in the example): its agent already
    handles walk-in questions, and the panel is under the counter's buttons ». But a named
    account made as §10 says (`suivant agent add`, no --counters: every counter, the default)
    answers everywhere: camille signed in at guichet 3 (Titres d'identité) gets the panel, the
    badge and the new-question announcements, whatever `counters` says; the setting only
    limits accounts restricted to some counters. A site needs the counter the person sits at
    (POST /api/staff/counter, which the console sends) to decide, or the doc to say that
    `counters` only narrows accounts limited with --counters."""
    _, client = open_bridge()  # the example: counters = [1]
    token = client.post("/api/staff/sign-in", json={"login": "camille",
                                                    "password": "suivant-demo"}).json()["token"]
    camille = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/staff/counter", headers=camille, json={"counter": 3}).status_code == 200
    view = client.get("/api/questions", headers=camille)
    assert view.status_code == 403 or not view.json()["may_answer"], view.text


# ----- the late notice (answer_within_minutes) ------------------------------------------------------

def test_the_late_notice_is_not_contradicted_by_the_sent_note(settings, clock):
    """§19 step 3: « If no agent answers within `answer_within_minutes`, the ticket page says
    plainly that the question will be dealt with at the counter: nobody is left waiting for a
    reply that does not come. » With `answer_within_minutes = 1`, once the minute is past the
    page shows « Personne n'a encore pu vous répondre : votre question sera traitée au
    guichet… » and, under it, still « Votre question est envoyée : l'accueil vous répond ici
    dès que possible. » (the note of the sending, kept until an answer). A citizen reads both
    and does not know which holds: the sent note should go when the late notice comes."""
    from chromium import browser_page
    from live_server import running_server
    late = dataclasses.replace(settings, questions=dataclasses.replace(
        settings.questions, answer_within_minutes=1))
    with running_server(late, clock) as server:
        ticket = server.post("/api/tickets", json={"service": "urbanisme"}).json()["ticket"]
        with browser_page(390, 844) as phone:
            phone.goto(f"{server.url}/ticket/{ticket['id']}")
            phone.wait_for_selector("#questions:not([hidden]) #question-text")
            phone.fill("#question-text", QUESTION)
            phone.click("#question-send")
            phone.wait_for_selector("#matches, #thread")
            if phone.query_selector("#matches"):
                phone.click("#send-anyway")
            phone.wait_for_selector("#questions-note:has-text('envoyée')")
            clock.advance(61)
            # the phone's long poll returns at the latest after its 25 s
            phone.wait_for_selector("#questions-late", timeout=40_000)
            shown = phone.inner_text("#questions")
    assert "traitée au guichet" in shown
    assert "vous répond ici dès que possible" not in shown, shown


# ----- the supervision page and its CSV -------------------------------------------------------------

def test_the_supervision_page_lists_the_faq_entries_that_answered_questions(settings, clock):
    """§19, Staffing: « Each question that comes back often deserves a FAQ entry: the
    supervision page lists the entries that answered questions, and the share the FAQ answered
    without staff. » The share is there (« 50 % répondues par la FAQ sans l'accueil »), the
    list is not: /api/indicators has `questions.faq_helpful` (which entry, how often), but
    neither the page nor the CSV shows it, so the supervisor cannot tell which entries work.
    A person needs that list on the page (the entry's question and its count)."""
    from chromium import browser_page
    from live_server import running_server
    with running_server(settings, clock) as server:
        ticket = server.post("/api/tickets", json={"service": "etat-civil"}).json()["ticket"]["id"]
        asked = "Comment avoir un acte de naissance ?"
        faq = server.post(f"/api/tickets/{ticket}/questions/match", json={"text": asked}).json()["faq"]
        entry = faq[0]
        server.http.post(f"/api/tickets/{ticket}/questions/faq-answered", json={"entry": entry["id"]})
        day = "2026-11-26"
        figures = server.http.get(f"/api/indicators?from={day}&to={day}",
                                  headers={"Authorization": "Bearer demo-superviseur"}).json()
        assert figures["questions"]["faq_helpful"][0]["question"] == entry["question"]
        with browser_page() as page:
            page.goto(f"{server.url}/supervision")
            page.wait_for_selector("#login:not([hidden])")
            page.fill("#token", "demo-superviseur")
            page.click("#login-button")
            page.wait_for_selector("#questions-box:not([hidden]) #questions-text")
            shown = page.inner_text("#questions-box")
    assert "répondue par la FAQ" in shown  # the share: there
    assert entry["question"] in shown, shown  # which entry answered: missing


def test_the_survey_response_rate_is_not_zero_on_a_site_that_asks_no_survey(tmp_path, clock):
    """§19: `survey = false  # false: no survey on the ticket page`; Indicators: « the
    satisfaction by source with the survey's response rate (phone answers / tickets served) ».
    With the survey off, nobody was asked, yet the rate is 0.0: the supervision page says
    « Taux de réponse à l'enquête après la visite : 0 % des usagers reçus » and the CSV
    « taux de réponse à l'enquête (%) » 0,0, as if every citizen had refused. A supervisor
    needs no rate (null, « — ») when no survey was asked."""
    settings = _site(tmp_path, survey=False)
    b = build(settings, clock)
    client = TestClient(b.app)
    try:
        client.post("/api/tickets", json={"service": "accueil"})
        for action in ("open", "next", "finish"):
            assert client.post(f"/api/counters/1/{action}", headers=AGENT).status_code == 200
        day = "2026-11-26"
        rate = client.get(f"/api/indicators?from={day}&to={day}", headers={
            "Authorization": "Bearer demo-superviseur"}).json()["satisfaction"]["survey_response_rate"]
    finally:
        client.close()
        b.app.state.survey.stop()
        b.close()
    assert rate is None, f"survey off, yet a response rate of {rate}"


# ----- changing [questions], and the backup ----------------------------------------------------------

def test_section_19_says_a_change_of_the_questions_table_needs_a_restart():
    """§19 shows the `[questions]` table to edit (enabled, counters, answer_within_minutes,
    survey) and never says when a change takes effect. Walked: `enabled = false` written while
    the bridge ran changed nothing (the ticket page still took questions) until `suivant
    serve` was restarted; the administration page cannot change that table either. §17 says it
    for `[backup]` (« The bridge reads `[backup]` when it starts: after a change, `sudo
    systemctl restart suivant` »); §19 needs the same sentence."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text[text.index("## 19."):]
    section = section[:section.index("### How a question travels")]
    assert "restart" in section, section


def test_a_backup_taken_during_the_day_keeps_the_days_question_counts(open_bridge, tmp_path):
    """§19: « Backups (§17) carry the comments and the questions' counts, never a
    conversation »; §17: « a restore brings back the figures, never a conversation ». A backup
    taken at 16:00 (`suivant backup` before an upgrade, `every_hours = 6`) empties today's
    conversations in its copy without counting them first: restored, the day has its tickets
    and its survey comments back, but its questions' figures (asked, by the FAQ, by staff, the
    median) read 0. A person needs the copy to keep today's counts (reduce them, then empty
    the texts), or §17/§19 to say that today's question figures are lost with a restore."""
    b, client = open_bridge()
    _answered_conversation(client)
    thursday = date(2026, 11, 26)
    assert b.app.state.questions.figures(thursday, thursday)["total"]["asked"] == 1
    taken = take_backup(b.settings, tmp_path / "backups")
    copy = next(taken.folder / f["name"] for f in taken.manifest["files"] if f["role"] == "questions")
    db = sqlite3.connect(copy)
    try:
        rows = db.execute("SELECT day, service, asked FROM day_counts").fetchall()
    finally:
        db.close()
    assert ("2026-11-26", "accueil", 1) in rows, rows


def test_a_restart_with_a_phone_waiting_for_an_answer_logs_no_error(tmp_path):
    """The walk restarts the bridge, as §19's changes need (and §16, §17): with one citizen's
    ticket page open (its question's long poll) the stop takes the whole 5 s of uvicorn's
    graceful wait, then logs `level=error logger=uvicorn.error msg="Cancel 1 running task(s),
    timeout graceful shutdown exceeded"` (with a hall screen's event stream open, also
    `Exception in ASGI application` and a traceback). Every `systemctl restart suivant` in
    opening hours puts errors in the journal that are no fault; an IT person who alerts on
    errors, or reads §18's logs, needs a stop that ends the waiting requests itself."""
    config = tmp_path / "mairie.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "refuse_outside_hours = true", "refuse_outside_hours = false")
        + f"\n[mqtt]\nembedded_port = {free_port()}\n", encoding="utf-8")
    bridge = BridgeProcess(config, tmp_path / "queue.db")
    bridge.start()
    try:
        request = urllib.request.Request(f"{bridge.url}/api/tickets", method="POST",
                                         data=b'{"service": "accueil"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as r:
            ticket = json.loads(r.read())["ticket"]["id"]
        with urllib.request.urlopen(f"{bridge.url}/api/tickets/{ticket}/questions", timeout=5) as r:
            version = json.loads(r.read())["version"]

        def wait_for_an_answer():
            try:
                urllib.request.urlopen(f"{bridge.url}/api/tickets/{ticket}/questions"
                                       f"?after={version}&wait=25", timeout=30).read()
            except OSError:
                pass
        phone = threading.Thread(target=wait_for_an_answer, daemon=True)
        phone.start()
        time.sleep(1)  # the long poll is in
    finally:
        bridge.stop()
    errors = [line for line in bridge.log_tail(20_000).splitlines() if "level=error" in line]
    assert errors == [], errors


def test_a_full_faq_is_said_in_words_in_the_questions_panel(settings, clock):
    """§19 step 5, « Ajouter à la FAQ »: a service's FAQ holds 50 entries at most
    (architecture.md). The 51st, saved from the panel, is refused by the site file's check
    (422 invalid_config, `services[0].faq: 51 entries: 50 at most per service`), and the admin
    reads only « L'opération a été refusée (code : invalid_config). »: nothing says the FAQ is
    full, nor that an entry must go first (the administration page says why for the same
    refusal). A person needs the reason in words."""
    from chromium import browser_page
    from live_server import running_server
    admin = {"Authorization": "Bearer demo-admin"}
    with running_server(settings, clock) as server:
        ticket = server.post("/api/tickets", json={"service": "accueil"}).json()["ticket"]["id"]
        server.post(f"/api/tickets/{ticket}/questions", json={"text": QUESTION})
        conversation = server.http.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]
        server.post(f"/api/questions/{conversation}/answer", headers=AGENT, json={"text": REPLY})
        for n in range(48):  # the example's accueil has 2: 50 in all
            server.post(f"/api/questions/{conversation}/faq", headers=admin,
                        json={"question": f"Question {n} ?", "answer": "Réponse."})
        with browser_page() as page:
            page.goto(f"{server.url}/guichet?guichet=1")
            page.wait_for_selector("#login:not([hidden])")
            page.fill("#token", "demo-admin")
            page.click("#login-button")
            card = page.wait_for_selector("article.question")
            card.query_selector(".to-faq summary").click()
            card.query_selector(".to-faq button[type=submit]").click()
            said = page.wait_for_selector(".to-faq .error").inner_text()
    assert "code : invalid_config" not in said and "50" in said, said


def test_the_demo_leaves_no_folder_behind_once_stopped(tmp_path):
    """README: « Run the demo — the example town hall on a temporary database … Ctrl-C stops
    it ». Stopped with Ctrl-C, `suivant demo` leaves its folder (/tmp/suivant-demo-XXXX: the
    queue, the staff file with the demo's password hashes, the questions' and survey's files,
    the site copy with every FAQ entry the walk added) for good: this machine had 130 of them.
    A person trying the demo needs it to remove what it made (as `make network-demo` does:
    « Ctrl-C stops everything and deletes its files »), or the README to say where it stays."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    demo = subprocess.Popen(
        [sys.executable, "-m", "host_bridge.cli", "demo", "--no-traffic",
         "--port", str(free_port()), "--desk-port", str(free_port())],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in demo.stdout:
            if "Ctrl-C stops the demo" in line:
                break
        made = [p.name for p in tmp_path.iterdir() if p.name.startswith("suivant-demo-")]
        assert made, "the demo's folder was not under TMPDIR"
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)  # seconds alone; far longer under a loaded test run
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith("suivant-demo-")]
    assert left == [], f"left behind: {left}"
