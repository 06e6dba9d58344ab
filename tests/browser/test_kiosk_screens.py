"""Every kiosk screen fits the common kiosk screens whole, with no scrolling (issue 13: on 1280x800
and 1366x768 the ticket's QR code and « Terminé » were cut off): the service choice, a
priority chosen, the ticket, a printer that fails, another refusal and the closed site, in the
normal and the high-contrast / large-text modes. Each screen at each size is kept in
test-output/kiosk-<screen>-<w>x<h>.png for a reviewer."""
from __future__ import annotations

import json

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)
from kiosk_checks import SIZES, fit_problems, measure, readable_problems


def refuse_tickets(page, status: int, code: str, message: str) -> None:
    """The bridge's refusal of a ticket, as it would answer (the screens are the kiosk's)."""
    page.route("**/api/tickets", lambda route: route.fulfill(
        status=status, content_type="application/json",
        body=json.dumps({"error": code, "message": message})))


def check_every_size(page, screen: str, problems: dict, ticket: bool = False) -> None:
    OUTPUT.mkdir(exist_ok=True)
    for w, h in SIZES:
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(50)  # a layout pass after the resize
        m = measure(page)
        found = fit_problems(m)
        if ticket and not (m["qr"] and m["done"]):
            found.append(f"QR code inside: {m['qr']}, « Terminé » inside: {m['done']}")
        elif not ticket and m["done"] is False:
            found.append("« Terminé » outside the screen")
        if found:
            problems[f"{screen} {w}x{h}"] = found
        page.screenshot(path=str(OUTPUT / f"kiosk-{screen}-{w}x{h}.png"))


def run_every_screen(demo: Demo, contrast: bool) -> dict:
    demo.post("/api/counters/2/open")
    for _ in range(3):
        demo.post("/api/tickets", {"service": "accueil"})  # people waiting: the longer wording
    suffix = "-contrast" if contrast else ""
    problems: dict = {}
    with browser_page(1024, 768) as page:
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        if contrast:
            page.click("#contrast")
            page.wait_for_selector("html.contrast")
        check_every_size(page, "choice" + suffix, problems)
        page.click('button[data-category="cmi"]')
        page.wait_for_selector("#cancel-priority")
        check_every_size(page, "priority" + suffix, problems)
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-label")
        page.wait_for_function("() => document.querySelector('#ticket img').complete")
        check_every_size(page, "ticket" + suffix, problems, ticket=True)
        page.click("#done")
        for screen, status, code, message in [
                ("printer-failed", 503, "printer_failed", "printer tcp://127.0.0.1:1: refused"),
                ("refused", 409, "no_free_number", "no free number"),
                ("closed", 409, "site_closed", "closed")]:
            page.set_viewport_size({"width": 1024, "height": 768})
            refuse_tickets(page, status, code, message)
            page.click('button[data-service="passeports-cni"]')
            page.wait_for_selector("#ticket-error")
            check_every_size(page, screen + suffix, problems)
            page.unroute("**/api/tickets")
            page.click("#done")
            page.wait_for_selector("#choose:not([hidden])")
        # « are you still there? » over a ticket, before the kiosk goes back to the start
        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(demo.api + "/borne?ticket_idle=1&warn=600")
        page.wait_for_selector('button[data-service="etat-civil"]')
        if contrast:
            page.click("#contrast")
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#still-there", state="visible")
        check_every_size(page, "still-there" + suffix, problems, ticket=True)
    return problems


def test_every_kiosk_screen_fits_each_screen_size_without_scrolling(demo: Demo):
    problems = run_every_screen(demo, contrast=False)
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_every_kiosk_screen_fits_each_screen_size_in_high_contrast_large_text(demo: Demo):
    problems = run_every_screen(demo, contrast=True)
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


# a browser zoomed to 200 % on 1024x768 and 1280x800, and the narrowest window RGAA asks for
ZOOMED = [(512, 384), (640, 400), (320, 256)]
SPACING = ("* { line-height: 1.5 !important; letter-spacing: .12em !important;"
           " word-spacing: .16em !important; } p { margin-bottom: 2em !important; }")


def test_zoomed_or_respaced_text_scrolls_but_loses_nothing(demo: Demo):
    """RGAA 10.4 (200 %), 10.11 (320 px wide), 10.12 (text spacing): off the kiosk's own screen
    sizes the page may scroll down, never sideways, and no word leaves its box."""
    demo.post("/api/counters/2/open")
    problems: dict = {}
    with browser_page(1024, 768) as page:
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        page.click('button[data-category="cmi"]')

        def check(screen: str) -> None:
            for w, h in ZOOMED:
                page.set_viewport_size({"width": w, "height": h})
                page.wait_for_timeout(50)
                if found := readable_problems(measure(page)):
                    problems[f"{screen} {w}x{h}"] = found
            page.set_viewport_size({"width": 1024, "height": 768})
            spacing = page.add_style_tag(content=SPACING)
            page.wait_for_timeout(50)
            if found := readable_problems(measure(page)):
                problems[f"{screen} text spacing"] = found
            spacing.evaluate("e => e.remove()")
        check("choice")
        page.click('button[data-service="etat-civil"]')
        page.wait_for_selector("#ticket-label")
        check("ticket")
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


EIGHT = ["Accueil et renseignements", "État civil", "Passeports / CNI", "Urbanisme", "Élections",
         "Cimetière", "Affaires scolaires", "Action sociale (CCAS)"]


# the kiosk's longest waits (issue 18): a clock window, and an uncertain guess with its reason
WINDOW = {"low_minutes": 15, "high_minutes": 25, "minutes": 20, "counters_open": 1,
          "reliable": True, "uncertain_because": None, "expected_at": "2026-11-26T10:20:00+01:00",
          "earliest_at": "2026-11-26T10:15:00+01:00", "latest_at": "2026-11-26T10:25:00+01:00"}
UNCERTAIN = {**WINDOW, "reliable": False, "uncertain_because": "counters_changed"}


def test_a_town_hall_with_eight_services_fits_too(demo: Demo):
    """The demo has four services; a town hall may have eight. They fit every size in the
    normal and the large-text modes (names a size down past six). Where the choice does not fit
    (large text on the smaller screens), the priority access and the needs fold behind one
    button, and open as a step of their own that fits too."""
    services = [{"id": f"s{i}", "letter": chr(65 + i), "name": name, "waiting": 3 * i,
                 "counters_open": 1 if i % 3 else 0,
                 "estimate_for_new_ticket": WINDOW if i % 2 else UNCERTAIN}
                for i, name in enumerate(EIGHT)]
    problems: dict = {}
    with browser_page(1024, 768) as page:
        page.route("**/api/services", lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"services": services})))
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="s7"]')
        for contrast, sizes in [(False, SIZES), (True, SIZES)]:
            if contrast:
                page.click("#contrast")
            for w, h in sizes:
                page.set_viewport_size({"width": w, "height": h})
                page.wait_for_timeout(50)
                if found := fit_problems(measure(page)):
                    problems[f"{'contrast ' if contrast else ''}{w}x{h}"] = found
            page.screenshot(path=str(OUTPUT / f"kiosk-eight-services{'-contrast' if contrast else ''}.png"))
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_selector("#choose.folded #side-open")
        page.screenshot(path=str(OUTPUT / "kiosk-eight-services-contrast-folded-1024x768.png"))
        page.click("#side-open")  # the step: priority access and needs, then back
        page.wait_for_selector('button[data-category="cmi"]')
        assert page.get_attribute("#side-open", "aria-expanded") == "true"
        if found := fit_problems(measure(page)):
            problems["contrast 1024x768 side step"] = found
        page.screenshot(path=str(OUTPUT / "kiosk-eight-services-contrast-step-1024x768.png"))
        page.click('button[data-need="seated"]')
        page.click('button[data-category="cmi"]')  # a card chosen: on to the services
        page.wait_for_selector('button[data-service="s0"]')
        assert page.inner_text("#side-open").startswith("✓")
        if found := fit_problems(measure(page)):
            problems["contrast 1024x768 back to the services"] = found
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_a_site_without_priority_categories_gives_the_services_the_whole_screen(demo: Demo):
    with browser_page(1280, 800) as page:
        def without_categories(route):
            site = route.fetch().json()
            route.fulfill(json={**site, "priority_categories": []})
        page.route("**/api/site", without_categories)
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        assert page.is_hidden("#priority")
        right = page.evaluate("document.querySelector('#services').getBoundingClientRect().right")
        assert right > 1280 - 60  # no empty column left for the categories
        assert fit_problems(measure(page)) == []


def test_the_large_text_mode_is_a_fifth_larger_at_every_size(demo: Demo):
    root = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    ratios = {}
    with browser_page(1024, 768) as page:
        page.goto(demo.api + "/borne")
        page.wait_for_selector('button[data-service="etat-civil"]')
        for w, h in SIZES:
            page.set_viewport_size({"width": w, "height": h})
            normal = page.evaluate(root)
            page.click("#contrast")
            ratios[f"{w}x{h}"] = round(page.evaluate(root) / normal, 3)
            page.click("#contrast")
    assert all(r >= 1.199 for r in ratios.values()), ratios
