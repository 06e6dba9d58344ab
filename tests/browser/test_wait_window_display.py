"""The wait as a clock-time window (issue 18) on the phone's ticket page and the kiosk, at a
phone's size and a kiosk's: « vers 10 h 40 — entre 10 h 35 et 10 h 50 (12 à 24 min) », from
the API's own fields (the hours as the bridge wrote them, in the site's zone), updated live
when a counter calls the next ticket and as time passes; on a fresh day, too little history:
the guess and why it is uncertain, never a range. The hall screen keeps minutes, with no range
when uncertain. axe on each screen; screenshots in test-output/wait-window-*.png.

The bridge runs on a hand-moved clock (tests/live_server.py): a day's history is made by
calling tickets minutes apart through the API, as a counter would."""
from __future__ import annotations

import re

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from live_server import Server, running_server
from support import AGENT
from test_hall_screen import FAST, serve_results

PHONE = (390, 844)
KIOSK = (1280, 800)
SIZES = pytest.mark.parametrize("size", [PHONE, KIOSK], ids=["phone", "kiosk"])
WHY = {"fr": {"little_history": "trop peu de tickets servis aujourd'hui",
              "counters_changed": "un guichet vient d'ouvrir ou de fermer"},
       "en": {"little_history": "too few tickets served today",
              "counters_changed": "a counter just opened or closed"}}
# what the pages say, as a shape: the formatter's words are checked against the API's fields
RELIABLE = {"fr": r"vers \d{1,2}\xa0h\xa0\d\d — entre \d{1,2}\xa0h\xa0\d\d et \d{1,2}\xa0h\xa0\d\d \([1-9]\d* à \d+ min\)",
            "en": r"around \d\d:\d\d — between \d\d:\d\d and \d\d:\d\d \([1-9]\d* to \d+ min\)"}


def clock_of(iso: str, lang: str) -> str:
    """The hour as its ISO string's own digits say it (the site's offset); non-breaking spaces
    in French, so that « 10 h 40 » is never cut across two lines."""
    hour, minute = re.search(r"T(\d\d):(\d\d)", iso).groups()
    return f"{hour}:{minute}" if lang == "en" else f"{int(hour)}\u00a0h\u00a0{minute}"


def nbsp(text: str) -> str:
    """« 10 h 40 » as the pages write it."""
    return re.sub(r"(\d) h (\d\d)", "\\1\u00a0h\u00a0\\2", text)


def words(e: dict, lang: str = "fr", short: bool = False) -> str:
    """What the pages must say for this estimate (suivant.js waitWords); `short`: the kiosk's
    service buttons, the guess alone."""
    fr = lang == "fr"
    lo, hi = e["low_minutes"], e["high_minutes"]
    if hi <= 1:
        return "moins d'une minute" if fr else "under a minute"
    around, start, end = (clock_of(e[k], lang) for k in ("expected_at", "earliest_at", "latest_at"))
    if short:  # one line of a button in large text: the guess alone
        if not e["reliable"]:
            return f"vers {around} environ" if fr else f"around {around} (uncertain)"
        return f"vers {around}" if fr else f"around {around}"
    if not e["reliable"]:
        why = WHY[lang][e["uncertain_because"]]
        return (f"vers {around} (environ {e['minutes']} min) — estimation incertaine : {why}" if fr
                else f"around {around} (about {e['minutes']} min) — uncertain estimate: {why}")
    minutes = (("plus de deux heures" if fr else "over two hours") if lo >= 120
               else (f"jusqu'à {hi} min" if fr else f"up to {hi} min") if lo <= 0
               else f"{lo} à {hi} min" if fr else f"{lo} to {hi} min")
    window = ("" if start == end else (f" — d'ici {end}" if fr else f" — by {end}") if lo <= 0
              else f" — entre {start} et {end}" if fr else f" — between {start} and {end}")
    return f"{'vers' if fr else 'around'} {around}{window} ({minutes})"


def etat_civil(server: Server) -> dict:
    return next(s for s in server.http.get("/api/services").json()["services"]
                if s["id"] == "etat-civil")


def estimate_of(server: Server, ticket: dict) -> dict:
    return server.http.get(f"/api/tickets/{ticket['id']}").json()["ticket"]["estimate"]


def take(server: Server) -> dict:
    return server.post("/api/tickets", json={"service": "etat-civil"}).json()["ticket"]


def fresh_day(server: Server) -> None:
    """Counter 2 (état civil, accueil) just opened, three people waiting, nobody called yet."""
    server.post("/api/counters/2/open", headers=AGENT)
    for _ in range(3):
        take(server)


def served_day(server: Server, clock) -> None:
    """A morning of état civil at counter 2: a ticket called every 4 minutes, one arriving as
    each goes, until the range is calibrated (about a dozen called); then 3 waiting."""
    fresh_day(server)
    for _ in range(40):
        clock.advance(240)
        server.post("/api/counters/2/next", headers=AGENT)
        take(server)
        if etat_civil(server)["estimate_for_new_ticket"]["reliable"]:
            break
    assert etat_civil(server)["estimate_for_new_ticket"]["reliable"] is True


def text_is(page, selector: str, expected: str) -> None:
    """Waits until the element says `expected` (a live update on its way), then checks it."""
    try:
        page.wait_for_function("([sel, s]) => document.querySelector(sel)?.textContent === s",
                               arg=[selector, expected], timeout=10_000)
    finally:
        assert page.text_content(selector) == expected


def checked(page, name: str) -> None:
    assert serious_violations(page) == []
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"wait-window-{name}.png"), full_page=True)


# ----- the ticket page ------------------------------------------------------------------------

@SIZES
def test_the_ticket_page_shows_the_clock_window_live_and_as_time_passes(settings, clock, size):
    with running_server(settings, clock) as server:
        served_day(server, clock)
        mine = take(server)
        with browser_page(*size) as page:
            page.clock.install()  # the page's minute tick, moved on by hand below
            asked = []
            page.on("request", lambda r: asked.append(r.url) if f"/api/tickets/{mine['id']}" in r.url
                    else None)
            page.goto(f"{server.url}/ticket/{mine['id']}")
            estimate = estimate_of(server, mine)
            assert estimate["reliable"] is True and estimate["earliest_at"] < estimate["latest_at"]
            text_is(page, "#wait", f"Attente estimée : {words(estimate)}")
            assert re.fullmatch(RELIABLE["fr"], words(estimate))
            checked(page, f"ticket-{size[0]}x{size[1]}")

            # a counter calls the next ticket: one fewer ahead, the window said again
            ahead = page.text_content("#ahead")
            clock.advance(240)
            server.post("/api/counters/2/next", headers=AGENT)
            page.wait_for_function("(a) => document.getElementById('ahead').textContent !== a", arg=ahead)
            after_call = estimate_of(server, mine)
            text_is(page, "#wait", f"Attente estimée : {words(after_call)}")

            # ten minutes with no event: the page asks again at its minute's tick, and leaves
            # the keyboard's focus where it was (the buttons are not made again)
            page.focus("#give-up")
            clock.advance(600)
            later = estimate_of(server, mine)
            assert later != after_call  # the minutes left went down
            before = len(asked)
            page.clock.fast_forward(61_000)
            text_is(page, "#wait", f"Attente estimée : {words(later)}")
            assert len(asked) > before
            assert page.evaluate("document.activeElement.id") == "give-up"


def test_the_ticket_page_says_the_window_in_english(settings, clock):
    with running_server(settings, clock) as server:
        served_day(server, clock)
        mine = take(server)
        with browser_page(*PHONE) as page:
            page.goto(f"{server.url}/ticket/{mine['id']}?lang=en")
            estimate = estimate_of(server, mine)
            text_is(page, "#wait", f"Estimated wait: {words(estimate, 'en')}")
            assert re.fullmatch(RELIABLE["en"], words(estimate, "en"))
            checked(page, "ticket-en")


@SIZES
def test_on_a_fresh_day_the_ticket_page_says_the_estimate_is_uncertain(settings, clock, size):
    with running_server(settings, clock) as server:
        fresh_day(server)
        mine = take(server)
        estimate = estimate_of(server, mine)
        assert estimate["reliable"] is False, estimate  # nothing called yet today
        with browser_page(*size) as page:
            page.goto(f"{server.url}/ticket/{mine['id']}")
            text_is(page, "#wait", f"Attente estimée : {words(estimate)}")
            said = page.text_content("#wait")
            assert "estimation incertaine : " in said and " entre " not in said
            checked(page, f"ticket-uncertain-{size[0]}x{size[1]}")
            page.goto(f"{server.url}/ticket/{mine['id']}?lang=en")
            text_is(page, "#wait", f"Estimated wait: {words(estimate, 'en')}")


# ----- the kiosk ------------------------------------------------------------------------------

def kiosk_line(service: dict) -> str:
    n = service["waiting"]
    people = "1 personne attend" if n == 1 else f"{n} personnes attendent"
    return f"{people} · {words(service['estimate_for_new_ticket'], short=True)}"


BUTTON = 'button[data-service="etat-civil"] .wait'


@SIZES
def test_the_kiosk_shows_the_clock_window_on_its_buttons_and_its_ticket(settings, clock, size):
    with running_server(settings, clock) as server:
        served_day(server, clock)
        with browser_page(*size) as page:
            page.goto(f"{server.url}/borne")
            text_is(page, BUTTON, kiosk_line(etat_civil(server)))
            assert re.fullmatch(r"\d+ personnes attendent · vers \d{1,2}\xa0h\xa0\d\d", page.text_content(BUTTON))
            checked(page, f"kiosk-{size[0]}x{size[1]}")

            clock.advance(240)
            server.post("/api/counters/2/next", headers=AGENT)  # live: one fewer waiting
            text_is(page, BUTTON, kiosk_line(etat_civil(server)))

            page.click('button[data-service="etat-civil"]')
            page.wait_for_selector("#ticket-label")
            link = page.get_attribute("#ticket-link", "href")
            ticket = {"id": link.rsplit("/", 1)[1]}
            text_is(page, "#ticket-wait", f"Attente estimée : {words(estimate_of(server, ticket))}.")
            checked(page, f"kiosk-ticket-{size[0]}x{size[1]}")


@SIZES
def test_on_a_fresh_day_the_kiosk_says_the_estimate_is_uncertain(settings, clock, size):
    with running_server(settings, clock) as server:
        fresh_day(server)
        assert etat_civil(server)["estimate_for_new_ticket"]["reliable"] is False
        with browser_page(*size) as page:
            page.goto(f"{server.url}/borne")
            text_is(page, BUTTON, kiosk_line(etat_civil(server)))
            assert page.text_content(BUTTON).endswith(" environ")
            checked(page, f"kiosk-uncertain-{size[0]}x{size[1]}")
            page.click('button[data-service="etat-civil"]')
            page.wait_for_selector("#ticket-label")
            ticket = {"id": page.get_attribute("#ticket-link", "href").rsplit("/", 1)[1]}
            estimate = estimate_of(server, ticket)
            assert estimate["reliable"] is False
            text_is(page, "#ticket-wait", f"Attente estimée : {words(estimate)}.")
            checked(page, f"kiosk-ticket-uncertain-{size[0]}x{size[1]}")


# ----- the shared formatter, case by case -----------------------------------------------------

AT = {"expected_at": "2026-11-26T10:40:00+01:00", "earliest_at": "2026-11-26T10:35:00+01:00",
      "latest_at": "2026-11-26T10:50:00+01:00"}
CASES = [
    # (estimate, waitWords in French, range() for the hall and supervision, the kiosk's buttons)
    ({"low_minutes": 12, "high_minutes": 24, "minutes": 18, "reliable": True, **AT},
     "vers 10 h 40 — entre 10 h 35 et 10 h 50 (12 à 24 min)", "entre 12 et 24 min",
     "vers 10 h 40"),
    ({"low_minutes": 12, "high_minutes": 24, "minutes": 18, "reliable": False,
      "uncertain_because": "counters_changed", **AT},
     "vers 10 h 40 (environ 18 min) — estimation incertaine : un guichet vient d'ouvrir ou de fermer",
     "environ 18 min (incertain)", "vers 10 h 40 environ"),
    ({"low_minutes": 12, "high_minutes": 24, "minutes": 18, "reliable": False,
      "uncertain_because": "little_history", **AT},
     "vers 10 h 40 (environ 18 min) — estimation incertaine : trop peu de tickets servis aujourd'hui",
     "environ 18 min (incertain)", "vers 10 h 40 environ"),
    ({"low_minutes": 0, "high_minutes": 1, "minutes": 1, "reliable": True, **AT},
     "moins d'une minute", "moins d'une minute", "moins d'une minute"),
    # nobody ahead, a counter busy: never a range from 0
    ({"low_minutes": 0, "high_minutes": 6, "minutes": 3, "reliable": True,
      "expected_at": "2026-11-26T10:03:00+01:00", "earliest_at": "2026-11-26T10:01:00+01:00",
      "latest_at": "2026-11-26T10:06:00+01:00"},
     "vers 10 h 03 — d'ici 10 h 06 (jusqu'à 6 min)", "entre 0 et 6 min", "vers 10 h 03"),
    # the site's offset, not the browser's zone (the test's Chromium runs in UTC)
    ({"low_minutes": 12, "high_minutes": 24, "minutes": 18, "reliable": True,
      "expected_at": "2026-07-02T09:05:00+02:00", "earliest_at": "2026-07-02T09:00:00+02:00",
      "latest_at": "2026-07-02T09:15:00+02:00"},
     "vers 9 h 05 — entre 9 h 00 et 9 h 15 (12 à 24 min)", "entre 12 et 24 min",
     "vers 9 h 05"),
    # an older bridge's estimate, without the clock times: the minutes as before
    ({"low_minutes": 5, "high_minutes": 15}, "entre 5 et 15 min", "entre 5 et 15 min", "entre 5 et 15 min"),
    (None, "pas d'estimation : aucun guichet ouvert pour ce service",
     "pas d'estimation : aucun guichet ouvert pour ce service",
     "pas d'estimation : aucun guichet ouvert pour ce service"),
]


def test_the_shared_formatter_says_each_case(settings, clock):
    with running_server(settings, clock) as server, browser_page(*PHONE) as page:
        page.goto(f"{server.url}/borne")  # any page: suivant.js is imported from it
        page.wait_for_selector(BUTTON)
        said = page.evaluate("""async (cases) => {
            const { waitWords, range } = await import('./static/suivant.js');
            return cases.map((e) => [waitWords(e), range(e), waitWords(e, true)]);
        }""", [e for e, _, _, _ in CASES])
        assert said == [[nbsp(w), r, nbsp(k)] for _, w, r, k in CASES]
        # the oracle the page tests compare with says the same
        assert [words(e) for e, _, _, _ in CASES[:6]] == [nbsp(w) for _, w, _, _ in CASES[:6]]
        assert [words(e, short=True) for e, _, _, _ in CASES[:6]] == [nbsp(k) for _, _, _, k in CASES[:6]]


# ----- the hall screen keeps minutes, and no range when uncertain ----------------------------

@pytest.mark.parametrize("day", ["fresh", "served"])
def test_the_hall_screen_gives_minutes_and_no_range_when_uncertain(settings, clock, day):
    with running_server(settings, clock) as server:
        served_day(server, clock) if day == "served" else fresh_day(server)
        e = etat_civil(server)["estimate_for_new_ticket"]
        expected = (f"entre {e['low_minutes']} et {e['high_minutes']} min" if e["reliable"]
                    else f"environ {e['minutes']} min (incertain)")
        assert e["reliable"] is (day == "served")
        with browser_page(1280, 720) as page:
            page.add_init_script(FAST)
            serve_results(page)
            page.goto(f"{server.url}/salle")
            cell = "//tr[th[text()='État civil']]/td[@class='wait']"
            page.wait_for_selector(cell, timeout=15_000)
            assert page.text_content(cell) == expected
            assert serious_violations(page) == []
