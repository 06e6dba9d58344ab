"""The agent console (/guichet) in headless Chromium on the real `suivant demo` (issue 13): a
priority ticket said in words with its category; no transfer to the ticket's own service, and
the API's refusal of one in plain words; « Absent » undone within its minute; the whole console
run with the keyboard alone, the focus always shown; axe-core clean in French and English.
Screenshots go to test-output/console-*.png."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

CMI = "Carte mobilité inclusion « priorité » ou « invalidité »"  # examples/mairie.toml


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"console-{name}.png"), full_page=True)


def sign_in(page, demo: Demo, counter: int, lang: str = "fr") -> None:
    """Open the console of `counter` and sign in as the demo's agent, by the keyboard alone:
    the one place to change if the sign-in form changes (today: the login left empty, the
    demo's agent token as the password)."""
    page.goto(f"{demo.api}/guichet?guichet={counter}&lang={lang}")
    page.wait_for_selector("#login:not([hidden])")
    tab_to(page, "token")
    page.keyboard.type("demo-agent")
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk:not([hidden]) #actions button#next")


FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {id: e.id, visible: e.matches(':focus-visible') && s.outlineStyle !== 'none'
          && parseFloat(s.outlineWidth) >= 2, html: e.outerHTML.slice(0, 90)};
}"""


def tab_to(page, target: str, limit: int = 40) -> None:
    """Tab (forward, round the page) until the control `target` has the focus; every control
    passed on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:
            continue
        assert focus["visible"], f"focus not shown on {focus['html']}"
        if focus["id"] == target:
            return
    raise AssertionError(f"#{target} never reached with Tab")


def press(page, target: str) -> None:
    """The keyboard's click: Tab to it, Enter."""
    tab_to(page, target)
    page.keyboard.press("Enter")


def api_refusal(demo: Demo, path: str, body: dict) -> tuple[int, dict]:
    try:
        demo.post(path, body)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    raise AssertionError(f"{path} {body} was accepted")


def current_is(page, label: str) -> None:
    page.wait_for_function(f"() => document.querySelector('#current').textContent === '{label}'")


@pytest.mark.parametrize("lang, words", [("fr", "Ticket prioritaire"), ("en", "Priority ticket")])
def test_the_agent_sees_in_words_that_the_ticket_in_service_is_a_priority_one(demo: Demo,
                                                                               lang, words):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil"})
    demo.post("/api/tickets", {"service": "accueil", "category": "cmi"})
    with browser_page() as page:
        sign_in(page, demo, 1, lang)
        assert page.inner_text('dd[data-waiting="accueil"]') == \
            {"fr": "2 en attente, dont 1 prioritaire", "en": "2 waiting, 1 of them priority"}[lang]
        page.click("button#next")
        current_is(page, "A002")  # the priority ticket goes first
        priority = page.inner_text("#current-priority")
        assert words in priority and CMI in priority
        assert words in page.get_attribute("#current", "aria-label")
        shot(page, f"priority-{lang}")
        page.click("button#finish")
        page.wait_for_function("() => document.querySelector('#current').textContent === '—'")
        page.click("button#next")  # then the ordinary one: nothing said
        current_is(page, "A001")
        page.wait_for_selector("#current-priority", state="hidden")


def test_the_console_offers_no_transfer_to_the_tickets_own_service(demo: Demo):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil"})
    with browser_page() as page:
        sign_in(page, demo, 1)
        page.click("button#next")
        current_is(page, "A001")
        options = page.eval_on_selector_all("#transfer-to option", "os => os.map(o => o.value)")
        assert "accueil" not in options
        assert options == ["etat-civil", "passeports-cni", "urbanisme"]
        page.select_option("#transfer-to", "etat-civil")
        page.click("#transfer")
        page.wait_for_function("() => document.querySelector('#current').textContent === '—'")
        assert page.inner_text("#message") == "A001 transféré vers État civil."

        # the API refuses it with its own code, and the page says so in its words
        page.click("button#next")
        current_is(page, "A001")  # état civil, counter 1's second service: A001 again
        code, body = api_refusal(demo, "/api/counters/1/transfer", {"service": "etat-civil"})
        assert (code, body["error"]) == (409, "same_service")
        page.evaluate("""() => {  // as a page left open since before the transfer would send it
          const s = document.querySelector('#transfer-to');
          s.append(Object.assign(document.createElement('option'), {value: 'etat-civil'}));
          s.value = 'etat-civil';
        }""")
        page.click("#transfer")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message") == \
            "Ce ticket est déjà dans ce service : choisissez-en un autre."
        assert "Aucun guichet" not in page.inner_text("#message")


def test_absent_can_be_undone_within_the_minute_and_the_ticket_is_first_again(demo: Demo):
    demo.post("/api/counters/2/open")
    for _ in range(2):
        demo.post("/api/tickets", {"service": "etat-civil"})
    with browser_page() as page:
        page.clock.install()  # the page's countdown runs on this clock: jumped ahead below
        sign_in(page, demo, 2)
        assert page.is_hidden("#undo-absent")
        page.click("button#next")
        current_is(page, "C001")
        page.click("button#absent")
        page.wait_for_selector("#undo-absent:visible")
        assert page.inner_text("#undo-absent").startswith("Annuler « Absent » pour C001")
        assert page.inner_text("#message") == \
            "C001 marqué absent. Vous pouvez annuler pendant 1 minute."
        shot(page, "undo-absent")
        page.click("#undo-absent")
        page.wait_for_selector("#undo-absent", state="hidden")
        assert page.inner_text("#message") == "C001 est de retour à sa place dans la file."
        assert demo.get("/api/services/etat-civil/queue")["waiting"][0]["label"] == "C001"

        page.click("button#next")  # called again at once: still the first
        current_is(page, "C001")
        page.click("button#absent")
        page.wait_for_selector("#undo-absent:visible")
        assert page.evaluate("document.activeElement.id") == "undo-absent"
        page.clock.fast_forward(61_000)  # past the window: the button goes by itself
        page.wait_for_selector("#undo-absent", state="hidden")
        assert page.evaluate("document.activeElement.id") == "next"  # the focus not lost


def test_an_undo_refused_by_the_bridge_is_said_in_plain_words(demo: Demo):
    demo.post("/api/counters/2/open")
    demo.post("/api/tickets", {"service": "etat-civil"})
    with browser_page(1280, 900) as page:
        # no live events for this page: it still offers the undo when the bridge refuses it
        page.route("**/api/events*", lambda route: route.abort())
        sign_in(page, demo, 2, "en")
        page.click("button#next")
        current_is(page, "C001")
        page.click("button#absent")
        page.wait_for_selector("#undo-absent:visible")
        demo.post("/api/counters/2/undo-absent")  # undone meanwhile (the same agent, elsewhere)
        page.click("#undo-absent")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message") == \
            "Nothing to undo: the ticket is already back in line, or called again."


def test_a_keyboard_alone_runs_the_console_with_the_focus_always_shown(demo: Demo):
    """Sign in, open, Suivant, Rappel, Absent, undo, Transfert, Pause: Tab and Enter only."""
    for service in ("etat-civil", "etat-civil", "accueil"):
        demo.post("/api/tickets", {"service": service})
    with browser_page() as page:
        sign_in(page, demo, 2)
        press(page, "open")
        page.wait_for_selector("button#pause")
        press(page, "next")
        current_is(page, "C001")
        page.wait_for_timeout(10_000)  # the site's recall_min_delay_seconds
        press(page, "recall")
        page.wait_for_function("() => document.querySelector('#current-detail')"
                               ".textContent.includes('1 rappel')")
        press(page, "absent")
        page.wait_for_selector("#undo-absent:visible")
        # the focus moves to the undo: one Enter takes back a press on the wrong key
        assert page.evaluate("document.activeElement.id") == "undo-absent"
        page.keyboard.press("Enter")
        page.wait_for_selector("#undo-absent", state="hidden")
        assert page.evaluate("document.activeElement.id") == "next"
        page.keyboard.press("Enter")
        current_is(page, "C001")
        tab_to(page, "transfer-to")
        page.keyboard.press("End")  # the last service of the list: urbanisme
        assert page.input_value("#transfer-to") == "urbanisme"
        press(page, "transfer")
        page.wait_for_function("() => document.querySelector('#current').textContent === '—'")
        assert demo.get("/api/services/urbanisme/queue")["waiting"][0]["label"] == "C001"
        press(page, "pause")
        page.wait_for_selector("button#open")
        assert page.evaluate("document.activeElement.id") == "open"  # the focus stays put
        shot(page, "keyboard-paused")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_console_passes_the_accessibility_check_in_each_language(demo: Demo, lang):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil", "category": "famille"})
    demo.post("/api/tickets", {"service": "accueil"})
    with browser_page() as page:
        sign_in(page, demo, 1, lang)
        assert serious_violations(page) == []
        page.click("button#next")
        current_is(page, "A001")
        page.wait_for_selector("#current-priority:visible")
        assert serious_violations(page) == []  # a priority ticket in service
        page.click("button#absent")
        page.wait_for_selector("#undo-absent:visible")
        assert serious_violations(page) == []  # the undo offered, a message said
        shot(page, f"axe-{lang}")
