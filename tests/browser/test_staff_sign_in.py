"""An agent signs in at the console with their own login and password (issue 13), calls a
ticket, and the audit log says it was them; a wrong password is said in plain French, the
password never stays in the form, signing out ends the session. On the real `suivant demo`."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from chromium import OUTPUT, browser_page
from demo_process import Demo, demo  # noqa: F401  (demo: the fixture)

PASSWORD = "claire-au-guichet-2"


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"staff-{name}.png"), full_page=True)


def me_status(demo: Demo, token: str) -> int:
    req = urllib.request.Request(demo.api + "/api/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_an_agent_signs_in_with_login_and_password_and_calls_a_ticket(demo: Demo):
    from axe import serious_violations
    demo.post("/api/staff/accounts", {"login": "claire", "name": "Claire Martin", "role": "agent",
                                      "counters": [2], "password": PASSWORD}, token="demo-admin")
    label = demo.post("/api/tickets", {"service": "etat-civil"})["ticket"]["label"]
    with browser_page() as page:
        page.goto(demo.api + "/guichet?guichet=2")
        page.wait_for_selector("#login:not([hidden])")
        assert page.inner_text("label[for=user]") == "Identifiant"
        assert page.inner_text("label[for=token]") == "Mot de passe"
        assert serious_violations(page) == []
        shot(page, "sign-in")

        page.fill("#user", "claire")
        page.fill("#token", "pas-le-bon-mot-de-passe")
        page.click("#login-button")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message") == "Identifiant ou mot de passe incorrect."
        assert page.input_value("#token") == ""  # typed again, never kept
        assert page.evaluate("document.activeElement.id") == "token"
        shot(page, "sign-in-refused")

        page.fill("#token", PASSWORD)
        page.press("#token", "Enter")  # the keyboard is enough
        page.wait_for_selector("#desk:not([hidden]) #actions button")
        assert page.inner_text("#who") == "Claire Martin"
        assert page.input_value("#token") == ""
        page.click("button#open")
        page.wait_for_selector("button#pause")
        page.click("button#next")
        page.wait_for_function(f"() => document.querySelector('#current').textContent === '{label}'")
        shot(page, "console")
        token = page.evaluate("sessionStorage.getItem('suivant-token')")
        assert token not in ("demo-agent", None) and me_status(demo, token) == 200

        entries = demo.get("/api/staff/audit", token="demo-admin")["entries"]
        done = [(e["actor"], e["action"], e["counter"], e["label"]) for e in entries]
        assert ("claire", "sign_in", 2, None) in done  # ?guichet=2: she sits at counter 2
        assert ("claire", "counter_opened", 2, None) in done
        assert ("claire", "called", 2, label) in done
        assert PASSWORD not in json.dumps(entries)

        page.click("#logout")
        page.wait_for_selector("#login:not([hidden])")
        assert me_status(demo, token) == 401  # the session ended on the server too
        assert page.evaluate("sessionStorage.getItem('suivant-token')") is None

        # a session ended elsewhere (an administrator disabled the account, the day ended):
        # the page says so in plain words and asks to sign in again
        page.fill("#user", "claire")
        page.fill("#token", PASSWORD)
        page.click("#login-button")
        page.wait_for_selector("#desk:not([hidden])")
        demo.post("/api/staff/sign-out", token=page.evaluate("sessionStorage.getItem('suivant-token')"))
        page.reload()
        page.wait_for_selector("#login:not([hidden])")
        assert page.inner_text("#message") == "Votre session est terminée : reconnectez-vous."


def test_the_sign_in_form_speaks_english_and_says_when_an_account_is_locked(demo: Demo):
    demo.post("/api/staff/accounts", {"login": "paul", "name": "Paul Durand", "role": "supervisor",
                                      "password": PASSWORD}, token="demo-admin")
    with browser_page() as page:
        page.goto(demo.api + "/supervision?lang=en")
        page.wait_for_selector("#login:not([hidden])")
        assert page.inner_text("label[for=user]") == "Login"
        assert page.inner_text("label[for=token]") == "Password"
        for _ in range(5):
            page.fill("#user", "paul")
            page.fill("#token", "wrong-password-typed")
            page.click("#login-button")
            page.wait_for_selector("#message .error")
            page.evaluate("document.getElementById('message').replaceChildren()")
        page.fill("#user", "paul")
        page.fill("#token", PASSWORD)
        page.click("#login-button")
        page.wait_for_selector("#message .error")
        assert page.inner_text("#message").startswith("Too many failed attempts: try again in 15 min")
        shot(page, "locked-en")
        # the config's tokens still sign in, with the login left empty
        page.fill("#user", "")
        page.fill("#token", "demo-superviseur")
        page.click("#login-button")
        page.wait_for_selector("#login[hidden]", state="attached")
        assert page.inner_text("#who") == "superviseur"


def test_the_demo_has_named_agents_with_the_password_its_banner_gives(demo: Demo):
    banner = "".join(demo.output)
    assert "(login camille or sacha)" in banner and "demo password:       suivant-demo" in banner
    accounts = demo.get("/api/staff/accounts", token="demo-admin")["accounts"]
    assert [(a["login"], a["role"]) for a in accounts] == [
        ("alex", "admin"), ("camille", "agent"), ("dominique", "supervisor"), ("sacha", "agent")]
    with browser_page() as page:
        page.goto(demo.api + "/guichet?guichet=1")
        page.fill("#user", "camille")
        page.fill("#token", "suivant-demo")
        page.click("#login-button")
        page.wait_for_selector("#desk:not([hidden]) #actions button")
        assert page.inner_text("#who") == "Camille Martin"


def test_an_agent_who_changes_counter_sits_at_the_new_one(demo: Demo):
    """The counter's board acts for the named agent sitting there: choosing another counter in
    the console moves her seat (the audit then gives that board's presses to her)."""
    demo.post("/api/staff/accounts", {"login": "claire", "name": "Claire Martin", "role": "agent",
                                      "counters": [2, 3], "password": PASSWORD}, token="demo-admin")
    with browser_page() as page:
        page.goto(demo.api + "/guichet")
        page.wait_for_selector("#login:not([hidden])")
        page.fill("#user", "claire")
        page.fill("#token", PASSWORD)
        with page.expect_request("**/api/staff/counter") as first:
            page.click("#login-button")
        assert json.loads(first.value.post_data) == {"counter": 2}  # her first counter
        page.wait_for_selector("#desk:not([hidden]) #actions button")
        with page.expect_request("**/api/staff/counter") as moved:
            page.select_option("#counter", "3")
        assert json.loads(moved.value.post_data) == {"counter": 3}
        assert moved.value.response().status == 200
