"""The hall screen (/salle) on a real `suivant demo`, at the TV sizes a site has: the latest call
and every call of its history whole on the screen, nothing cut, nothing on top of another; the
site's results shown in turn when no call is fresh; the call heard when it is shown; the sound
button by keyboard; axe-core clean in French and English. Screenshots in
test-output/hall-<w>x<h>.png for a reviewer."""
from __future__ import annotations

import time

import pytest

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

SIZES = [(1280, 720), (1366, 768), (1920, 1080), (3840, 2160)]
HISTORY = 7  # the calls the hall keeps below the newest one

# every box a person reads: the title, the clock, the newest call, each call of the history,
# the results panel and the sound button (when shown)
BOXES = """() => {
  const seen = (e) => e && !e.closest('[hidden]') && getComputedStyle(e).display !== 'none'
    && getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length;
  const parts = ['#site', '#clock', '#now', '#sound', '#results', ...Array.from(
    document.querySelectorAll('#history li'), (_, i) => `#history li:nth-child(${i + 1})`)];
  return parts.map((sel) => [sel, document.querySelector(sel)]).filter(([, e]) => seen(e))
    .map(([sel, e]) => { const r = e.getBoundingClientRect();
      return {sel, x: r.left, y: r.top, right: r.right, bottom: r.bottom,
              clipped: e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1}; });
}"""


def call_eight(demo: Demo) -> list[str]:
    """Eight calls, newest last: two rounds of « Suivant » at the four counters (the second
    after the site's 2 s guard time, which would answer the same ticket again)."""
    for n in (1, 2, 3, 4):
        demo.post(f"/api/counters/{n}/open")
    for service in ("accueil", "etat-civil", "passeports-cni", "urbanisme") * 2:
        demo.post("/api/tickets", {"service": service})  # each counter's own first service
    labels = []
    for round_ in range(2):
        if round_:
            time.sleep(2.2)  # the guard time is the bridge's rule, not something to wait_for
        for n in (1, 2, 3, 4):
            labels.append(demo.post(f"/api/counters/{n}/next")["counter"]["ticket"]["label"])
    return labels


def layout_faults(page) -> list[str]:
    width, height = page.evaluate("[innerWidth, innerHeight]")
    boxes = page.evaluate(BOXES)
    faults = []
    scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    if scroll[0] > width or scroll[1] > height:
        faults.append(f"the page scrolls: {scroll} in {width}x{height}")
    for b in boxes:
        if b["x"] < 0 or b["y"] < 0 or b["right"] > width + 0.5 or b["bottom"] > height + 0.5:
            faults.append(f"{b['sel']} leaves the screen: {b}")
        if b["clipped"]:
            faults.append(f"{b['sel']} cuts its own text")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["x"] < b["right"] - 0.5 and b["x"] < a["right"] - 0.5 and \
                    a["y"] < b["bottom"] - 0.5 and b["y"] < a["bottom"] - 0.5:
                faults.append(f"{a['sel']} and {b['sel']} overlap")
    return faults


def test_the_newest_call_and_its_whole_history_fit_every_tv_size(demo: Demo):
    with browser_page(1280, 720) as page:
        page.add_init_script(SOUND_OFF)  # its button on screen too
        page.goto(demo.api + "/salle")
        page.wait_for_selector("#sound:not([hidden])")
        labels = call_eight(demo)
        page.wait_for_function(f"() => document.querySelector('#now-label')?.textContent === '{labels[-1]}'")
        page.wait_for_function(f"() => document.querySelectorAll('#history li').length === {HISTORY}")
        faults = {}
        OUTPUT.mkdir(exist_ok=True)
        for w, h in SIZES:
            page.set_viewport_size({"width": w, "height": h})
            page.wait_for_function(f"() => innerWidth === {w} && innerHeight === {h}")
            page.screenshot(path=str(OUTPUT / f"hall-{w}x{h}.png"))
            history = page.eval_on_selector_all("#history li", "ls => ls.map(l => l.textContent)")
            assert [x.split(" ")[0] for x in history] == labels[-2::-1], history
            faults[f"{w}x{h}"] = layout_faults(page)
    assert all(f == [] for f in faults.values()), faults


# ---- results in the reception area (Services Publics+) -------------------------------------

# The public figures the hall reads at /api/results: the same JSON as the supervisor's
# /api/indicators (its total, services and satisfaction) over the last 30 days, without a
# token. Until the bridge serves it the hall shows the live waits alone; this stands in for it.
RESULTS = {"from": "2026-11-07", "to": "2026-12-06", "days": ["2026-12-04", "2026-12-05"],
           "total": {"issued": 412, "served": 380, "wait_mean": 11.4, "wait_median": 9.0,
                     "within_target": 0.87},
           "services": {}, "satisfaction": {"votes": 134, "satisfied": 0.92, "net": 0.85}}
FAST = "window.suivantHallTiming = {fresh: 2500, calls: 800, results: 1500}"
# A TV whose browser keeps sound off until someone allows it (headless Chromium may start it at
# once, since the test's own scripts count as a touch): the page must offer its button.
SOUND_OFF = """{
  const Real = window.AudioContext;
  window.AudioContext = class extends Real { constructor(...a) { super(...a); this.suspend(); } };
}"""


def serve_results(page) -> None:
    import json
    page.route("**/api/results", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(RESULTS)))


def board_log(page) -> list[dict]:
    return page.evaluate("window.suivantBoard")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_results_come_in_turn_with_the_calls_and_never_hide_a_fresh_one(demo: Demo, lang):
    for n in (1, 2):
        demo.post(f"/api/counters/{n}/open")
    for service in ("accueil",) * 4 + ("etat-civil", "etat-civil", "urbanisme"):
        demo.post("/api/tickets", {"service": service})
    first = demo.post("/api/counters/1/next")["counter"]["ticket"]["label"]
    with browser_page(1280, 720) as page:
        page.add_init_script(FAST)
        serve_results(page)
        page.goto(demo.api + f"/salle?lang={lang}")
        page.wait_for_function(f"() => document.querySelector('#now-label')?.textContent === '{first}'")
        page.wait_for_selector("#results:not([hidden])", timeout=15000)
        text = page.inner_text("#results")
        page.screenshot(path=str(OUTPUT / f"hall-results-{lang}.png"))
        assert page.inner_text("#now-label") == first  # the newest call stays on screen
        assert layout_faults(page) == []
        seen = [text]
        for _ in range(3):  # every slide in turn: the live waits, then the month's results
            page.wait_for_function("(t) => !document.querySelector('#results').hidden && "
                                   "document.querySelector('#results').innerText !== t", arg=seen[-1],
                                   timeout=15000)
            seen.append(page.inner_text("#results"))
            assert layout_faults(page) == []
            if "%" in seen[-1]:
                page.screenshot(path=str(OUTPUT / f"hall-results-period-{lang}.png"))
        words = " ".join(seen)
        if lang == "fr":
            assert "Accueil et renseignements" in words and "3 personnes attendent" in words
            assert "92 % des usagers satisfaits (134 avis)" in words
            assert "87 % reçus dans le délai annoncé" in words
            assert "11 min d'attente en moyenne" in words
        else:
            assert "3 people waiting" in words and "92% of visitors satisfied (134 opinions)" in words
        # a call: the calls come back at once, and stay while it is fresh (2.5 s here)
        page.wait_for_selector("#results:not([hidden])", timeout=15000)
        second = demo.post("/api/counters/2/next")["counter"]["ticket"]["label"]
        page.wait_for_function(f"() => document.querySelector('#now-label')?.textContent === '{second}'")
        assert page.is_hidden("#results") and page.is_visible("#history")
        page.wait_for_selector("#results:not([hidden])", timeout=15000)
        log = board_log(page)
        shown = page.evaluate(f"window.suivantShown.filter((s) => s.label === '{second}')[0].at")
        back = [e["at"] for e in log if e["shows"] == "results" and e["at"] > shown]
        assert back and back[0] - shown >= 2500 - 50, (shown, log)


# ---- shown and heard at the same moment ----------------------------------------------------

# The test's own watch on the page: when #now-label changes, and when an <audio> starts
# playing (its 'playing' event), whatever the page's code does.
WATCH = """
window.testShown = {};
new MutationObserver(() => {
  const e = document.querySelector('#now-label');
  if (e && !(e.textContent in window.testShown)) window.testShown[e.textContent] = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
window.testPlaying = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  this.addEventListener('playing', () => window.testPlaying.push({src: this.src, at: performance.now()}), {once: true});
  return play.call(this);
};
if (window.speechSynthesis) speechSynthesis.getVoices = () => [];  // the bridge's voice, as a TV stick
"""


def test_a_call_is_heard_when_it_is_shown_not_seconds_later(demo: Demo):
    demo.post("/api/counters/2/open")
    for _ in range(3):
        demo.post("/api/tickets", {"service": "etat-civil"})
    with browser_page(1280, 720) as page:
        page.add_init_script(WATCH)
        page.add_init_script(SOUND_OFF)
        page.goto(demo.api + "/salle")
        page.wait_for_selector("#site:not(:empty)")
        page.click("#sound")  # sound allowed, as someone does once on the TV
        labels = []
        for i in range(2):  # the second after the guard time: it is said after the first
            if i:
                time.sleep(2.2)
            labels.append(demo.post("/api/counters/2/next")["counter"]["ticket"]["label"])
        page.wait_for_function("() => window.testPlaying.length === 2", timeout=20000)
        shown = page.evaluate("window.testShown")
        playing = page.evaluate("window.testPlaying")
        for label, heard in zip(labels, playing):
            assert "announce.wav" in heard["src"]
            assert label in shown, (label, shown)
            assert abs(heard["at"] - shown[label]) < 300, (label, shown[label], heard["at"])


# ---- keyboard and accessibility ------------------------------------------------------------

def test_the_sound_button_works_by_keyboard_and_says_the_sound_is_on(demo: Demo):
    with browser_page(1280, 720) as page:
        page.add_init_script(SOUND_OFF)
        page.goto(demo.api + "/salle")
        page.wait_for_selector("#sound:not([hidden])")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "sound"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")
        page.keyboard.press("Enter")
        page.wait_for_selector("#sound", state="hidden")
        page.wait_for_function("() => document.querySelector('#status').textContent !== ''")
        assert page.inner_text("#status") == "Son des appels activé."


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_hall_passes_the_accessibility_check_with_calls_and_results(demo: Demo, lang):
    from axe import serious_violations
    demo.post("/api/counters/2/open")
    for _ in range(3):
        demo.post("/api/tickets", {"service": "etat-civil"})
    demo.post("/api/counters/2/next")
    with browser_page(1280, 720) as page:
        page.add_init_script(FAST)
        serve_results(page)
        page.goto(demo.api + f"/salle?lang={lang}")
        page.wait_for_selector("#now-label")
        assert page.get_attribute("html", "lang") == lang
        found = {"calls": serious_violations(page)}
        page.wait_for_selector("#results:not([hidden])", timeout=15000)
        found["results"] = serious_violations(page)
    assert found == {"calls": [], "results": []}
