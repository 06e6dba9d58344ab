"""What a review of the citizens' questions found (issue 17), each test failing before its
fix: counts and late flags across a reopened or transferred conversation, the late notice
after the ticket ended, a FAQ answer counted on an ended ticket, one ticket taking every
waiting place, and in the real demo's pages (headless Chromium) the console's closed list
folding under an admin's hands, a FAQ entry attached by its place after a reorder, the
message cap read as the ticket's end, the panel at counters that take no questions, the
phone's typing and focus kept; and a restore's file put aside reduced to its counts.

The app as tests/questions/conftest.py builds it (the example town hall, reception counters
1 and 2 answer, the clock on Thursday 26 November 2026, 10:00 in Paris)."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from support import AGENT

from chat_support import QUESTION, REPLY, ask, rows, take_ticket
from chat_support import chat_settings

AGAIN = "Et pour un mineur ?"


def _conversation_id(client) -> str:
    return client.get("/api/questions", headers=AGENT).json()["conversations"][0]["id"]


def _today(clock):
    day = clock.now().date()
    return day, day


# ----- counts ---------------------------------------------------------------------------------

def test_time_to_first_answer_counts_from_the_question_not_from_an_earlier_closed_one(client, desk, clock):
    """A citizen asks at 10:00 and closes it themselves (« Ma question est réglée »); at 15:00
    they ask again and the desk answers in 2 minutes. The supervision page's « median time to
    the first staff answer » says 302 minutes: store.add times the answer from the
    conversation's first opening, which reopen() never moves. It should say 2."""
    tid = take_ticket(client)
    ask(client, tid)
    assert client.post(f"/api/tickets/{tid}/questions/close").json()["status"] == "closed"
    clock.advance(5 * 3600)
    ask(client, tid, AGAIN)
    clock.advance(120)
    r = client.post(f"/api/questions/{_conversation_id(client)}/answer", headers=AGENT,
                    json={"text": REPLY})
    assert r.status_code == 200, r.text
    figures = desk.figures(*_today(clock))
    assert figures["total"]["first_answer_median_minutes"] == 2.0


def test_a_question_asked_before_a_transfer_stays_counted_in_its_service(client, desk, clock):
    """A citizen of « Accueil » asks, the desk answers; the ticket is then transferred to
    « État civil » and the citizen asks a second question there. The questions' figures then
    show État civil with 2 questions (1 answered by staff) and Accueil with none:
    store.reopen() rewrites the conversation's service, so the first round moves with it.
    Accueil should keep its question and its answer; État civil gets the new one."""
    tid = take_ticket(client, "accueil")
    ask(client, tid)
    clock.advance(60)
    assert client.post(f"/api/questions/{_conversation_id(client)}/answer", headers=AGENT,
                       json={"text": REPLY}).status_code == 200
    assert client.post(f"/api/tickets/{tid}/questions/close").status_code == 200
    assert client.post("/api/counters/1/open", headers=AGENT).status_code == 200
    called = client.post("/api/counters/1/next", headers=AGENT).json()["counter"]["ticket"]
    assert called["label"] == client.get(f"/api/tickets/{tid}").json()["ticket"]["label"]
    assert client.post("/api/counters/1/transfer", headers=AGENT,
                       json={"service": "etat-civil"}).status_code == 200
    clock.advance(60)
    ask(client, tid, AGAIN)
    services = desk.figures(*_today(clock))["services"]
    assert services.get("accueil", {}).get("asked") == 1
    assert services.get("accueil", {}).get("by_staff") == 1
    assert services["etat-civil"]["asked"] == 1


# ----- the late notice ---------------------------------------------------------------------------

def test_a_new_question_after_the_citizen_closed_the_last_one_is_not_late_at_once(client, clock):
    """A citizen asks at 10:00, nobody answers, they close it (« Ma question est réglée »). At
    10:30 they ask something else: at once their phone says « Personne n'a encore pu vous
    répondre : votre question sera traitée au guichet » and the desk's panel shows it « sans
    réponse depuis 30 min — délai dépassé », first in the list: waiting_since() counts from
    the first unanswered citizen message of the whole conversation, the closed round's too.
    A question asked a second ago is not late."""
    tid = take_ticket(client)
    ask(client, tid)
    client.post(f"/api/tickets/{tid}/questions/close")
    clock.advance(30 * 60)
    view = ask(client, tid, AGAIN)
    assert view["status"] == "open"
    assert view["late"] is False
    listed = client.get("/api/questions", headers=AGENT).json()["conversations"][0]
    assert listed["late"] is False
    assert listed["waiting_since"] == clock.now().isoformat()


def test_the_late_notice_ends_with_the_ticket(client, clock):
    """A question waits; the citizen is called and served at the counter. Ten minutes later
    the phone still shows « Personne n'a encore pu vous répondre : votre question sera traitée
    au guichet, quand vous serez appelé(e). » (the view keeps `late` true and the page shows
    it before « Votre ticket est terminé »), and the desk's panel keeps it « délai dépassé »
    and counts it in its badge. Once the ticket has ended, the question is not late any more."""
    tid = take_ticket(client, "accueil")
    ask(client, tid)
    assert client.post("/api/counters/1/open", headers=AGENT).status_code == 200
    assert client.post("/api/counters/1/next", headers=AGENT).status_code == 200
    clock.advance(60)
    assert client.post("/api/counters/1/finish", headers=AGENT).status_code == 200
    assert client.get(f"/api/tickets/{tid}").json()["ticket"]["status"] == "served"
    clock.advance(11 * 60)
    view = client.get(f"/api/tickets/{tid}/questions").json()
    assert view["can_write"] is False
    assert view["late"] is False


# ----- refusals that store something -------------------------------------------------------------

def test_a_cancelled_ticket_cannot_count_a_faq_answer(client, desk, clock):
    """The ticket is cancelled (or served, absent): asking is refused with ticket_closed, but
    POST …/questions/faq-answered still answers 204 and stores a row: the day's figures gain a
    question « answered by the FAQ » that nobody asked while waiting (any ticket id, up to 50
    entries each). A closed ticket should be refused there too, nothing stored."""
    tid = take_ticket(client)
    assert client.post(f"/api/tickets/{tid}/cancel").status_code == 200
    before = rows(desk)
    r = client.post(f"/api/tickets/{tid}/questions/faq-answered", json={"entry": 0})
    assert r.status_code == 409 and r.json()["error"] == "ticket_closed", r.text
    assert rows(desk) == before


# ----- the long poll's cap ----------------------------------------------------------------------

def test_one_ticket_cannot_take_every_waiting_place_from_the_desk(client, desk):
    """The cap on waiting long polls (200) is shared by everyone: one ticket's holder (a
    script, or a phone with many tabs) that opens as many polls as the cap on its own
    conversation leaves the reception's panel with 503 too_many_waiting at each try, so the
    desk no longer sees questions arrive. A ticket should hold a few places at most (or the
    desk keep its own), and the desk's poll wait. Here with a cap of 4 to keep it quick."""
    tid = take_ticket(client)
    version = client.get(f"/api/tickets/{tid}/questions").json()["version"]
    desk.changes.max_waiting = 4
    threads = [threading.Thread(target=client.get, args=(f"/api/tickets/{tid}/questions",),
                                kwargs={"params": {"after": version, "wait": 3}})
               for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while desk.changes._waiting < 3 and time.monotonic() < deadline:  # a ticket's most
        time.sleep(0.01)
    try:
        listed = client.get("/api/questions", headers=AGENT).json()
        r = client.get("/api/questions", headers=AGENT,
                       params={"after": listed["version"], "wait": 1})
        assert r.status_code == 200, r.text
    finally:
        for t in threads:
            t.join(10)


# ----- the console's panel (the real `suivant demo`, headless Chromium) ----------------------------

_BROWSER = Path(__file__).resolve().parent.parent / "browser"  # chromium, the demo
if str(_BROWSER) not in sys.path:
    sys.path.insert(0, str(_BROWSER))

from chromium import browser_page  # noqa: E402
from demo_process import Demo, demo  # noqa: E402,F401  (demo: the fixture)
from test_console_agent import tab_to  # noqa: E402


def _console(page, demo: Demo, token: str, counter: int = 1) -> None:
    page.goto(f"{demo.api}/guichet?guichet={counter}")
    page.wait_for_selector("#login:not([hidden])")
    tab_to(page, "token")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk:not([hidden]) #actions button#next")


def test_the_closed_conversations_stay_open_while_an_admin_writes_a_faq_entry(demo: Demo):
    """An admin opens « Conversations closes aujourd'hui », then « Ajouter à la FAQ » under an
    answered one, and types. The next change the panel hears (any citizen's question, or the
    long poll's 25 s end) draws a new, folded <details> around the closed cards: the list
    snaps shut under the admin's hands, the focus leaves the text box and the rest of the
    typing goes nowhere. The list should stay as the admin left it, the typing in the box."""
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    demo.post(f"/api/tickets/{ticket['id']}/questions", {"text": QUESTION})
    cid = demo.get("/api/questions", token="demo-admin")["conversations"][0]["id"]
    demo.post(f"/api/questions/{cid}/answer", {"text": REPLY, "faq_entry": None}, token="demo-admin")
    demo.post(f"/api/questions/{cid}/close", {"abusive": False}, token="demo-admin")
    with browser_page() as page:
        _console(page, demo, "demo-admin")
        page.click("#questions-closed > summary")
        page.click("#questions-closed details.to-faq > summary")
        page.fill(f"#faq-a-{cid}", "")
        page.focus(f"#faq-a-{cid}")
        page.keyboard.type("Oui, apportez")
        other = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
        demo.post(f"/api/tickets/{other['id']}/questions", {"text": AGAIN})
        page.wait_for_selector("article.question textarea[id^=answer-]")  # the panel redrew
        page.keyboard.type(" aussi l'original du livret.")
        assert page.evaluate("document.getElementById('questions-closed').open") is True
        assert page.input_value(f"#faq-a-{cid}") == REPLY


def test_a_faq_entry_attached_from_the_console_is_the_one_the_agent_picked(demo: Demo):
    """The console lists a service's FAQ once (faqOf caches it for the day) and sends the
    picked entry's place in the list. An admin reorders État civil's FAQ on the
    administration page; the agent then attaches « Comment obtenir un acte de naissance ? »
    to an answer, and the citizen receives « Quelles pièces pour déclarer une naissance ? »
    instead. The citizen should get the entry the agent picked (or the agent be told the FAQ
    changed)."""
    demo.post("/api/counters/1/open")
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    demo.post(f"/api/tickets/{ticket['id']}/questions", {"text": QUESTION})
    with browser_page() as page:
        _console(page, demo, "demo-agent")
        card = page.wait_for_selector("article.question")
        page.wait_for_selector("article.question select option:has-text('acte de naissance')",
                               state="attached")
        config = demo.get("/api/admin/config", token="demo-admin")
        for s in config["services"]:
            if s["id"] == "etat-civil":
                s["faq"] = list(reversed(s["faq"]))
        demo.post("/api/admin/config", {"services": config["services"]}, token="demo-admin",
                  method="PUT")
        wanted = "Comment obtenir un acte de naissance ?"
        card.query_selector("select").select_option(label=wanted)
        card.query_selector("button[type=submit]").click()
        page.wait_for_selector("article.question .faq-note")
    sent = demo.get(f"/api/tickets/{ticket['id']}/questions")["messages"][-1]
    assert sent["from"] == "staff"
    assert sent["faq"]["question"] == wanted


def test_a_citizen_at_the_message_cap_is_not_told_their_ticket_has_ended(demo: Demo):
    """A worried citizen exchanges with the desk until their 20 messages of the day are used
    (each answered, so the pace rule never bites). The ticket still waits, but the page's
    notice, for any conversation that can take no more writing, is « Votre ticket est
    terminé : les questions se posent au guichet ou à l'accueil. »: the citizen may well
    leave the hall. The page should say they can write no more here today, ticket kept."""
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    base = f"/api/tickets/{ticket['id']}/questions"
    for n in range(20):
        demo.post(base, {"text": f"{AGAIN} ({n})"})
        if n == 0:
            cid = demo.get("/api/questions", token="demo-admin")["conversations"][0]["id"]
        if n < 19:
            demo.post(f"/api/questions/{cid}/answer", {"text": REPLY, "faq_entry": None},
                      token="demo-admin")
    assert demo.get(f"/api/tickets/{ticket['id']}")["ticket"]["status"] == "waiting"
    assert demo.get(base)["can_write"] is False
    with browser_page(390, 844) as phone:
        phone.goto(f"{demo.api}/ticket/{ticket['id']}")
        phone.wait_for_selector("#questions:not([hidden]) #thread")
        notices = phone.inner_text("#questions-notices")
        assert "Votre ticket est terminé" not in notices, notices


def test_only_the_answering_counters_console_shows_the_questions(demo: Demo):
    """The example site says `[questions] counters = [1]` (« give the questions to the
    reception counter », operations.md §19), yet the urbanisme counter's console (/guichet,
    counter 4) shows the reception's panel, its badge and « Nouvelle question de … »: the
    panel asks only whether the account may act at counter 1, and an account without a
    counters list (the demo's agents token, or any named account made without --counters)
    may act everywhere. The console of a counter that does not answer should not show them."""
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    demo.post(f"/api/tickets/{ticket['id']}/questions", {"text": QUESTION})
    with browser_page() as page:
        _console(page, demo, "demo-agent", counter=1)
        page.wait_for_selector("#questions-panel:not([hidden]) article.question")  # counter 1: yes
        other = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
        _console(other, demo, "demo-agent", counter=4)
        other.wait_for_timeout(1500)  # the panel's first read
        assert other.is_hidden("#questions-panel")
        assert other.is_hidden("#questions-badge")


def test_the_phone_keeps_the_citizens_typing_when_the_desk_closes_the_conversation(demo: Demo):
    """The desk answers; the citizen starts typing a reply (« Et pour un mineur ? ») and the
    agent, thinking it settled, presses « Clore ». The phone redraws its form for a closed
    conversation (a new text box, « Poser une question à l'accueil »): the text so far is
    copied over but the focus is gone, so on a phone the keyboard folds away and the rest of
    the sentence is typed into nothing. The box being typed in should keep the focus."""
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    demo.post(f"/api/tickets/{ticket['id']}/questions", {"text": QUESTION})
    cid = demo.get("/api/questions", token="demo-admin")["conversations"][0]["id"]
    demo.post(f"/api/questions/{cid}/answer", {"text": REPLY, "faq_entry": None}, token="demo-admin")
    with browser_page(390, 844) as phone:
        phone.goto(f"{demo.api}/ticket/{ticket['id']}")
        phone.wait_for_selector("#thread .msg.staff")
        phone.focus("#question-text")
        phone.keyboard.type("Et pour un")
        demo.post(f"/api/questions/{cid}/close", {"abusive": False}, token="demo-admin")
        phone.wait_for_selector("#questions-state")  # the phone heard the close
        phone.keyboard.type(" mineur ?")
        assert phone.input_value("#question-text") == AGAIN


# ----- retention through a restore ------------------------------------------------------------

def test_a_restore_leaves_no_conversation_beside_the_restored_site(tmp_path, clock):
    """`suivant restore` moves the files it replaces, whole, into `replaced-<time>/` beside
    the database, and nothing ever removes that folder: the questions' file goes there with
    today's conversations in clear (and any day not reduced yet), where no day change will
    reduce it. operations.md §19 promises the texts are gone once the day is over (§17 tells
    to delete the folder for the staff's hashes, not for citizens' words). After the restore
    and the next day's reduction, no file of the site should hold a citizen's question."""
    from host_bridge.backup.restore import restore_backup
    from host_bridge.backup.take import take_backup
    settings = chat_settings(tmp_path)
    b = build(settings, clock)
    with TestClient(b.app) as c:
        backups = take_backup(settings, tmp_path / "backups")  # before the question
        ask(c, take_ticket(c))
    b.close()
    restore_backup(settings, backups.folder)
    clock.advance(24 * 3600)
    b = build(settings, clock)
    try:
        b.app.state.questions.reduce()
    finally:
        b.close()
    holding = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
               if p.is_file() and "backups" not in p.parts and QUESTION.encode() in p.read_bytes()]
    assert holding == []


def test_the_focus_stays_in_the_question_box_after_the_faq_answered_it(demo: Demo):
    """A keyboard or screen-reader citizen is taken to « Oui, cela répond à ma question »
    (the page focuses it) and presses it: the page redraws the whole form and the focused
    button is gone, so the focus falls back to the top of the page (<body>) and the reader
    starts over from the site's name. The focus should land in the question box again (the
    note « Tant mieux… » is announced on its own)."""
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    with browser_page(390, 844) as phone:
        phone.goto(f"{demo.api}/ticket/{ticket['id']}")
        phone.wait_for_selector("#questions:not([hidden]) #question-text")
        phone.fill("#question-text", "Comment avoir un acte de naissance pour mon fils ?")
        phone.click("#question-send")
        phone.wait_for_selector("#matches")
        phone.keyboard.press("Enter")  # on the first « Oui, cela répond », focused by the page
        phone.wait_for_selector("#questions-note:has-text('réglée')")
        inside = phone.evaluate("document.getElementById('questions').contains(document.activeElement)")
        assert inside, phone.evaluate("document.activeElement.outerHTML.slice(0, 80)")
