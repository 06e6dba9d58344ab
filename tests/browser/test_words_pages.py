"""Every message a person reads is in the page's language and in plain words: the
administration's refusals name the service and the field, the supervision's bad period says
what is wrong with the dates, and a malformed ticket address is a page with a way back, in
French and in English."""
from __future__ import annotations

import pytest

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)


def sign_in(page, token: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#token", token)
    page.click("#login-button")


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"words-{name}.png"), full_page=True)


ADMIN_REFUSALS = {  # (the field, the value typed) -> what the page says, per language
    ("services[1].target_wait_minutes", "-5"): {
        "fr": "Non enregistré. Service État civil : l'attente cible doit être entre 1 et 1440 "
              "minutes (reçu : -5).",
        "en": "Not saved. Service État civil: the target wait must be between 1 and 1440 "
              "minutes (got: -5)."},
    ("services[1].letter", "A"): {
        "fr": "Non enregistré. Service État civil : « A » est déjà pris ailleurs pour la lettre ; "
              "chaque valeur doit être unique.",
        "en": "Not saved. Service État civil: « A » is already taken elsewhere for the letter; "
              "each value must be unique."},
    ("services[2].target_wait_minutes", "2.5"): {
        "fr": "Non enregistré. Service Passeports / CNI : l'attente cible doit être un nombre "
              "entier (reçu : 2.5).",
        "en": "Not saved. Service Passeports / CNI: the target wait must be a whole number "
              "(got: 2.5)."},
    ("rules.max_recalls", "50"): {
        "fr": "Non enregistré. Règles de la file : le nombre de rappels doit être entre 0 et 20 "
              "(reçu : 50).",
        "en": "Not saved. Queue rules: the number of recalls must be between 0 and 20 (got: 50)."},
    ("hours.monday", "08:30-12:00, 11:00-17:00"): {
        "fr": "Non enregistré. Horaires d'ouverture, lundi : deux plages se chevauchent "
              "(reçu : 08:30-12:00, 11:00-17:00).",
        "en": "Not saved. Opening hours, Monday: two ranges overlap "
              "(got: 08:30-12:00, 11:00-17:00)."},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_administration_refusal_is_said_in_plain_words_naming_the_service_and_field(demo: Demo, lang):
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + f"/admin?lang={lang}")
        sign_in(page, "demo-admin")
        page.wait_for_selector("#editor:not([hidden]) fieldset")
        for (path, value), said in ADMIN_REFUSALS.items():
            field = page.locator(f'[data-path="{path}"]')
            before = field.input_value()
            field.fill(value)
            page.click("#save")
            page.wait_for_selector("#message .error")
            assert page.inner_text("#message") == said[lang]
            assert page.evaluate("document.activeElement.dataset.path") == path
            shot(page, f"admin-refusal-{lang}")
            field.fill(before)
            page.evaluate("document.getElementById('message').replaceChildren()")


@pytest.mark.parametrize("lang, said", [
    ("fr", "La période finit le 1 mars 2026, avant de commencer le 10 mars 2026 : choisissez "
           "une date de fin après la date de début."),
    ("en", "The period ends on 1 March 2026, before it starts on 10 March 2026: choose an end "
           "date after the start date."),
])
def test_the_supervision_says_what_is_wrong_with_a_period(demo: Demo, lang, said):
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + f"/supervision?lang={lang}")
        sign_in(page, "demo-superviseur")
        page.wait_for_selector("#figures tbody tr")
        page.fill("#from", "2026-03-10")
        page.fill("#to", "2026-03-01")
        page.click("#show")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message") == said
        page.fill("#from", "2024-01-01")
        page.click("#show")
        page.wait_for_function("() => !document.querySelector('#message').textContent.includes('2026')")
        assert page.inner_text("#message") == {
            "fr": "Une période fait au plus 366 jours : demandez une année à la fois.",
            "en": "A period is at most 366 days: ask for one year at a time."}[lang]
        shot(page, f"supervision-period-{lang}")


@pytest.mark.parametrize("lang, said, back", [
    ("fr", "Cette adresse ne correspond à aucun ticket. Vérifiez-la, ou scannez à nouveau le "
           "code QR de votre ticket.", "Retour à l'accueil"),
    ("en", "This address matches no ticket. Check it, or scan your ticket's QR code again.",
     "Back to the home page"),
])
def test_a_malformed_ticket_address_is_a_page_in_the_citizens_language_with_a_way_back(demo: Demo, lang, said, back):
    with browser_page(390, 844) as page:
        response = page.goto(demo.api + f"/ticket/%3Cscript%3E?lang={lang}")
        assert response.status == 404
        page.wait_for_selector("#status .error")
        assert page.inner_text("#status .error") == said
        link = page.locator("#status a")
        assert link.inner_text() == back
        assert page.evaluate("document.documentElement.lang") == lang
        shot(page, f"ticket-malformed-{lang}")
        link.click()
        page.wait_for_url(demo.api + "/")


@pytest.mark.parametrize("lang, words, foreign", [
    ("fr", ["Délai cible (min)", "Guichets", "Ajouter : Service", "boîtier de guichet", "réseau (MQTT)"],
     ["Target wait", "counter\t", "mqtt\t"]),
    ("en", ["Target wait (min)", "Counters", "Add: Service", "counter terminal", "network (MQTT)"],
     ["Délai cible", "Identifiant", "Guichets", "Ajouter", "Horaires"]),
])
def test_the_administration_form_and_boards_speak_the_pages_language(demo: Demo, lang, words, foreign):
    with browser_page(1280, 1000) as page:
        page.goto(demo.api + f"/admin?lang={lang}")
        sign_in(page, "demo-admin")
        page.wait_for_selector("#editor:not([hidden]) fieldset")
        page.wait_for_selector("#devices tbody tr")
        text = page.inner_text("main")
        assert [w for w in words if w not in text] == []
        assert [w for w in foreign if w in text] == []
        # each « Remove » says what it removes (same words, same purpose: RGAA 6.1)
        names = page.eval_on_selector_all("button[data-remove]", "bs => bs.map(b => b.getAttribute('aria-label'))")
        assert len(names) > 5 and len(set(names)) == len(names)


def test_a_page_address_typed_wrong_is_a_page_in_both_languages(demo: Demo):
    from axe import serious_violations
    with browser_page(1280, 800) as page:
        response = page.goto(demo.api + "/guichett")
        assert response.status == 404
        assert page.inner_text("h2") == "Page introuvable"
        assert serious_violations(page) == []
        shot(page, "not-found")
        page.click("text=Retour à l'accueil")
        page.wait_for_url(demo.api + "/")
