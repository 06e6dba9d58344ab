"""A citizen's phone and the reception's console side by side on the real `suivant demo`
(issue 17): a question answered by the FAQ before it is sent; another answered live by the
agent (the phone beeps, its alerts on); the conversation closed; the survey answered once the
ticket is served, and counted as a phone vote. Screenshots: test-output/questions-*.png;
axe-core clean on both pages at each step."""
from __future__ import annotations

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from test_console_agent import current_is, sign_in

PHONE = {"width": 390, "height": 844}
# counts the page's beeps (WebAudio oscillators started), as test_ticket_alerts does
BEEPS = """() => {
  window.__beeps = 0;
  const start = AudioScheduledSourceNode.prototype.start;
  AudioScheduledSourceNode.prototype.start = function (...a) { window.__beeps++; return start.apply(this, a); };
}"""
FAQ_QUESTION = "Comment obtenir un acte de naissance ?"  # examples/mairie.toml, État civil


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"questions-{name}.png"), full_page=True)


def clean(page, where: str) -> None:
    assert serious_violations(page) == [], where


def ask(phone, text: str) -> None:
    phone.fill("#question-text", text)
    phone.click("#question-send")


def test_a_question_answered_by_the_faq_another_by_the_agent_then_the_survey(demo: Demo):
    demo.post("/api/counters/1/open")
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    with browser_page(**PHONE) as phone:
        console = phone.context.browser.new_page(viewport={"width": 1280, "height": 900})
        phone.add_init_script(f"({BEEPS})()")
        phone.goto(f"{demo.api}/ticket/{ticket['id']}")
        phone.wait_for_selector("#questions:not([hidden]) #question-text")
        assert "ne donnez pas d'informations personnelles" in phone.inner_text("#questions").lower()
        phone.click("#alerts-on")  # the tap that lets the page sound later
        clean(phone, "phone, before any question")

        # 1. « Comment avoir un acte de naissance ? » — the FAQ answers before anything is sent
        ask(phone, "Comment avoir un acte de naissance pour mon fils ?")
        phone.wait_for_selector("#matches")
        assert FAQ_QUESTION in phone.inner_text("#matches")
        shot(phone, "1-phone-faq-matches")
        clean(phone, "phone, FAQ matches shown")
        phone.click(f"#matches .match:has-text('{FAQ_QUESTION}') button")
        phone.wait_for_selector("#questions-note:has-text('réglée')")
        assert phone.query_selector("#thread") is None  # nothing was sent to the desk

        # 2. a question the FAQ does not answer goes to the console, answered live
        sign_in(console, demo, 1)
        console.wait_for_selector("#questions-panel:not([hidden]) #questions-none")
        ask(phone, "Puis-je venir avec ma mère qui marche mal ?")
        phone.wait_for_selector("#matches, #thread")
        if phone.query_selector("#matches"):  # the matcher found something near: not it
            phone.click("#send-anyway")
        phone.wait_for_selector("#thread .msg.citizen")
        card = console.wait_for_selector(f"article.question:has-text('{ticket['label']}')")
        assert "Puis-je venir avec ma mère" in card.inner_text()
        # seen from the counter's buttons: a badge at the top links down to the panel
        assert "1 question d'usager en attente" in console.inner_text("#questions-badge")
        shot(console, "2-console-question")
        clean(console, "console with an open question")
        beeps = phone.evaluate("window.__beeps")
        console.fill("article.question textarea", "Oui, bien sûr : un siège vous attend au guichet 1.")
        console.click("article.question button[type=submit]")
        phone.wait_for_selector("#thread .msg.staff:has-text('un siège vous attend')")
        phone.wait_for_selector("#questions-note:has-text('répondu')")
        phone.wait_for_function(f"window.__beeps > {beeps}")  # the answer rang
        shot(phone, "3-phone-answered")
        clean(phone, "phone with an answer")

        # the citizen replies; the agent closes the conversation
        ask(phone, "Merci beaucoup !")
        console.wait_for_selector("article.question .msg.citizen:has-text('Merci beaucoup')")
        console.click("article.question button.close-normal")
        phone.wait_for_selector("#questions-state")  # closed: the phone says so, live
        console.wait_for_selector("#questions-none")
        assert console.is_hidden("#questions-badge")

        # 3. called and served: the survey, once
        console.click("button#next")
        current_is(console, ticket["label"])
        console.click("button#finish")
        phone.wait_for_selector("#survey:not([hidden]) #survey-form")
        assert "Êtes-vous satisfait de l'accueil ?" in phone.inner_text("#survey")
        clean(phone, "phone with the survey")
        phone.check("#score-3")
        phone.fill("#survey-comment", "On m'a bien renseigné, merci.")
        phone.click("#survey-send")
        phone.wait_for_selector("#survey-thanks")
        shot(phone, "4-phone-survey-thanks")
        console.close()

    phone_votes = demo.get(_today_indicators(demo), token="demo-superviseur")["satisfaction"]
    assert phone_votes["by_source"]["phone"]["votes"] == 1
    assert phone_votes["by_source"]["phone"]["by_score"]["3"] == 1
    twice = _post_status(demo, f"/api/tickets/{ticket['id']}/survey", {"score": 4})
    assert twice == 409  # once per ticket


def _today_indicators(demo: Demo) -> str:
    day = demo.get("/api/site").get("today") or _local_today()
    return f"/api/indicators?from={day}&to={day}"


def _local_today() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo
    return datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def _post_status(demo: Demo, path: str, body: dict) -> int:
    import urllib.error
    try:
        demo.post(path, body)
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200


@pytest.mark.parametrize("lang", ["en"])
def test_the_question_box_speaks_english_when_asked(demo: Demo, lang):
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]
    with browser_page(**PHONE) as phone:
        phone.goto(f"{demo.api}/ticket/{ticket['id']}?lang={lang}")
        phone.wait_for_selector("#questions:not([hidden]) #question-text")
        text = phone.inner_text("#questions")
        assert "Do not give personal information" in text
        assert "Ask reception a question" in text
        clean(phone, "phone in English")
