"""The desk view in real headless Chromium, on the real `suivant demo`: clicking « Suivant » on a
terminal makes its counter display and the hall display show the ticket; the keyboard works
too. A screenshot is kept in test-output/desk-view.png for a reviewer."""
from __future__ import annotations

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

def label_of(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => e.getAttribute('aria-label')")


def test_clicking_suivant_on_a_terminal_calls_onto_its_display_and_the_hall(demo: Demo):
    demo.post("/api/counters/1/open")
    ticket = demo.post("/api/tickets", {"service": "accueil"})["ticket"]["label"]
    with browser_page() as page:
        page.goto(demo.desk + "/")
        page.wait_for_selector('.board[data-id="guichet-1"] .link.online', timeout=15000)
        # the page speaks French: the link's state in words, not the firmware's « online »
        assert page.inner_text('.board[data-id="guichet-1"] .link') == "connecté"
        page.wait_for_selector('.board[data-id="guichet-1"] .led.online')
        assert page.get_attribute('.board[data-id="guichet-1"] .led', "title") == "en ligne"
        page.wait_for_function("() => document.querySelector("
                               "'.board[data-id=\"guichet-1\"] .digits').getAttribute("
                               "'aria-label') === '----'", timeout=15000)
        page.click('.board[data-id="guichet-1"] button.next')
        page.wait_for_function(f"() => document.querySelector('.board[data-id=\"ecran-1\"] "
                               f".digits').getAttribute('aria-label') === '{ticket}'",
                               timeout=15000)
        # the hall's line read as a person says it (the bridge sends « A001>1 »)
        page.wait_for_function(f"() => document.querySelector('.board[data-id=\"salle\"] "
                               f".matrix').getAttribute('aria-label') === '{ticket} → guichet 1'",
                               timeout=15000)
        assert page.inner_text("#live") == f"{ticket} → guichet 1"
        assert label_of(page, '.board[data-id="guichet-1"] .digits') == ticket
        # drawn segment by segment (it blinks after a call: wait for a lit half-period)
        page.wait_for_function("() => document.querySelectorAll('.board[data-id=\"ecran-1\"] "
                               "svg.seg polygon.on').length > 0", timeout=5000)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "desk-view.png"), full_page=True)
        # the keyboard: 1 picks guichet 1's terminal, p is « Pause »
        page.keyboard.press("1")
        page.keyboard.press("p")
        page.wait_for_function("() => document.querySelector('.board[data-id=\"guichet-1\"] "
                               ".digits').getAttribute('aria-label') === 'PAUS'", timeout=15000)
    assert (OUTPUT / "desk-view.png").stat().st_size > 10000
