"""Keyboard only: on the administration, supervision and ticket pages Tab reaches every
control, each shows where the focus is, and Enter does what a click does; axe-core finds
nothing serious, in French and in English."""
from __future__ import annotations

import pytest

from axe import serious_violations
from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

# Every control a person can reach, visible on screen now, marked with an index
MARK = """() => {
  const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0
      && getComputedStyle(e).visibility !== 'hidden');
  all.forEach((e, i) => e.dataset.kb = String(i));
  return all.length;
}"""
# The focused control's mark, and whether its focus shows (an outline of 2 px or more)
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {kb: e.dataset.kb ?? null, shown: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          what: e.outerHTML.slice(0, 80)};
}"""


def tab_through(page) -> None:
    """Tab from the top of the page to its end: every control reached, each with its focus shown."""
    total = page.evaluate(MARK)
    assert total > 0
    from_the_top(page)
    reached, hidden = set(), []
    for _ in range(3 * total + 10):  # a date field takes a Tab for each of its parts
        if len(reached) == total:
            break
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f is None or f["kb"] is None:
            continue
        reached.add(int(f["kb"]))
        if not f["shown"]:
            hidden.append(f["what"])
    missed = page.evaluate("(reached) => [...document.querySelectorAll('[data-kb]')]"
                           ".filter((e) => !reached.includes(Number(e.dataset.kb)))"
                           ".map((e) => e.outerHTML.slice(0, 80))", sorted(reached))
    assert missed == [], f"never reached by Tab: {missed}"
    assert hidden == [], f"focus not shown on: {hidden}"


def from_the_top(page) -> None:
    """The next Tab goes to the page's first control (as after loading it)."""
    page.evaluate("""() => {
      let start = document.getElementById('kb-start');
      if (!start) {
        start = Object.assign(document.createElement('span'), {id: 'kb-start', tabIndex: -1});
        document.body.prepend(start);
      }
      start.focus();
    }""")


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until `selector` has the focus (as a person would, never clicking)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def sign_in_by_keyboard(page, token: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    tab_to(page, "#token")
    page.keyboard.type(token)
    page.keyboard.press("Enter")


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"words-keyboard-{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_administration_by_keyboard_alone(demo: Demo, lang):
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + f"/admin?lang={lang}")
        sign_in_by_keyboard(page, "demo-admin")
        page.wait_for_selector("#editor:not([hidden]) fieldset")
        page.wait_for_selector("#devices tbody tr")
        assert serious_violations(page) == []
        tab_through(page)
        # change a name and save, keys only
        from_the_top(page)
        tab_to(page, '[data-path="services[3].name"]')
        page.keyboard.press("Control+A")
        page.keyboard.type("Urbanisme et cadastre")
        page.keyboard.press("Enter")  # Enter in a field submits the form
        page.wait_for_function("() => document.querySelector('#saved').textContent !== ''")
        assert "Urbanisme et cadastre" in [s["name"] for s in demo.get("/api/site")["services"]]
        shot(page, f"admin-{lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_supervision_by_keyboard_alone(demo: Demo, lang):
    demo.post("/api/counters/1/open")
    demo.post("/api/tickets", {"service": "accueil"})
    demo.post("/api/counters/1/next")
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + f"/supervision?lang={lang}")
        sign_in_by_keyboard(page, "demo-superviseur")
        page.wait_for_selector("#chart-hours svg")
        page.wait_for_selector("#figures tbody tr")
        assert serious_violations(page) == []
        tab_through(page)
        # a chart's table opened with Enter, then the period shown again with Enter
        from_the_top(page)
        tab_to(page, "#chart-waits summary")
        page.keyboard.press("Enter")
        assert page.locator("#chart-waits table").is_visible()
        page.evaluate("() => { document.querySelector('#figures').replaceChildren(); }")
        tab_to(page, "#show")
        page.keyboard.press("Enter")
        page.wait_for_selector("#figures tbody tr")
        assert serious_violations(page) == []  # with a chart's table open
        shot(page, f"supervision-{lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_ticket_page_by_keyboard_alone(demo: Demo, lang):
    ticket = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]
    with browser_page(390, 844) as page:
        page.goto(demo.api + f"/ticket/{ticket['id']}?lang={lang}")
        page.wait_for_selector("#faq:not([hidden]) details")
        assert serious_violations(page) == []
        tab_through(page)
        from_the_top(page)
        tab_to(page, "#faq summary")
        page.keyboard.press("Enter")
        assert page.locator("#faq details").first.get_attribute("open") is not None
        page.on("dialog", lambda d: d.accept())
        tab_to(page, "#give-up")
        page.keyboard.press("Enter")
        cancelled = {"fr": "Ticket annulé.", "en": "Ticket cancelled."}[lang]
        page.wait_for_function("(s) => document.querySelector('#status-text')?.textContent === s",
                               arg=cancelled)
        assert serious_violations(page) == []
        shot(page, f"ticket-{lang}")
        page.goto(demo.api + f"/ticket/nope%20nope?lang={lang}")
        page.wait_for_selector("#back")
        assert serious_violations(page) == []
        tab_to(page, "#back")
        page.keyboard.press("Enter")
        page.wait_for_url(demo.api + "/")
