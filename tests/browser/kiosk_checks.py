"""What the kiosk tests measure in the page: does the screen fit the viewport, is every text
large enough, where is the keyboard's focus. Shared by tests/browser/test_kiosk_*.py."""
from __future__ import annotations

# landscape kiosk screens, then portrait ones (a totem)
SIZES = [(1024, 768), (1280, 800), (1366, 768), (1920, 1080), (768, 1024), (1080, 1920)]

# Everything a citizen may have to see or touch, measured in the page: the document does not
# scroll, each visible element lies inside the viewport and its text inside its box; the
# smallest text, for the « at least 20 px » rule.
MEASURE = """() => {
  const doc = document.documentElement, vw = innerWidth, vh = innerHeight;
  const shown = (e) => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const outside = [], outside_x = [], overflowing = [], small = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!shown(e) || e.closest('.sr-only, .skip:not(:focus)')) continue;
    const r = e.getBoundingClientRect();
    const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 30);
    if (r.top < -0.5 || r.left < -0.5 || r.bottom > vh + 0.5 || r.right > vw + 0.5) outside.push(name);
    if (r.left < -0.5 || r.right > vw + 0.5) outside_x.push(name);
    if (e.matches('button, a, p, h1, h2, main div, main section') && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)) overflowing.push(name);
    const ownText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText && parseFloat(getComputedStyle(e).fontSize) < 20) small.push(name + ' ' + getComputedStyle(e).fontSize);
  }
  const box = (sel) => { const e = document.querySelector(sel);
    if (!e || !shown(e)) return null; const r = e.getBoundingClientRect();
    return r.top >= 0 && r.left >= 0 && r.bottom <= vh && r.right <= vw; };
  return { scroll_height: doc.scrollHeight, scroll_width: doc.scrollWidth, vw, vh, outside, outside_x,
           overflowing, small, qr: box('#ticket img'), done: box('#done') };
}"""

FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  return { id: e.id, tag: e.tagName.toLowerCase(), text: e.textContent.trim().slice(0, 40),
           visible: e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 3,
           inside: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth };
}"""


def measure(page) -> dict:
    return page.evaluate(MEASURE)


def fit_problems(m: dict) -> list[str]:
    problems = []
    if m["scroll_height"] > m["vh"] or m["scroll_width"] > m["vw"]:
        problems.append(f"scrolls: {m['scroll_width']}x{m['scroll_height']} in {m['vw']}x{m['vh']}")
    if m["outside"]:
        problems.append(f"outside the screen: {m['outside'][:5]}")
    if m["overflowing"]:
        problems.append(f"text out of its box: {m['overflowing'][:5]}")
    if m["small"]:
        problems.append(f"text under 20 px: {m['small'][:5]}")
    return problems


def readable_problems(m: dict) -> list[str]:
    """A zoomed or respaced page may scroll down, but loses nothing: no sideways scrolling, no
    text out of its box (RGAA 10.4, 10.11, 10.12)."""
    problems = []
    if m["scroll_width"] > m["vw"] or m["outside_x"]:
        problems.append(f"wider than the screen: {m['scroll_width']} in {m['vw']}, {m['outside_x'][:5]}")
    if m["overflowing"]:
        problems.append(f"text out of its box: {m['overflowing'][:5]}")
    return problems


# the focus ring against the colour behind the focused control: its outline or its inner ring
# (box-shadow) at 3:1 at least (RGAA 3.3)
RING = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const e = document.activeElement, s = getComputedStyle(e);
  let p = e.parentElement, bg = [255, 255, 255];
  for (; p; p = p.parentElement) { const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; } }
  const rings = [rgb(s.outlineColor).slice(0, 3)];
  if (s.boxShadow !== 'none') rings.push(rgb(s.boxShadow).slice(0, 3));
  return Math.max(...rings.map((c) => ratio(c, bg)));
}"""


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Tab until `selector` has the focus; at each step the focus is visible and on screen (past
    the last control it may leave the page once, to the browser, as it wraps around)."""
    away = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        away = away + 1 if focus is None else 0
        assert away < 2, "Tab left the focus nowhere"
        if focus is None:
            continue
        assert focus["visible"], f"focus not visible on {focus}"
        assert focus["inside"], f"focus off screen on {focus}"
        assert page.evaluate(RING) >= 3, f"focus ring under 3:1 on {focus}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus in {limit} Tabs")
