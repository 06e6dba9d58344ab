"""A site made by `suivant init`, served by `suivant serve --root-path /suivant` behind Debian's
Caddy with TLS under https://localhost:PORT/suivant/, as docs/operations.md §15 sets it up:
the kiosk gives a ticket whose page opens under the prefix, an administrator signs in at the
console and calls it, and every request the pages make stays under the prefix, in https."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chromium
from host_bridge.cli import main
from simulators.bridge_process import BridgeProcess
from support import free_port

# Caddy, a bridge and Chromium: about 6 s. Debian's caddy comes with `make test` (a missing
# one fails the test: no skip to hide it)
pytestmark = pytest.mark.slow
PASSWORD = "un mot de passe assez long"
CADDYFILE = """{{
	admin off
	skip_install_trust
	http_port {http}
	https_port {https}
}}

https://localhost:{https} {{
	tls internal
	redir /suivant /suivant/
	handle_path /suivant/* {{
		reverse_proxy 127.0.0.1:{bridge}
	}}
}}
"""


def made_by_init(folder: Path, public_url: str, monkeypatch) -> Path:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["init", "--site", "Mairie de Test", "--config-dir", str(folder / "etc"),
                 "--data-dir", str(folder / "lib"), "--unit-dir", str(folder / "unit"),
                 "--user", "nobody", "--admin-password-stdin", "--public-url", public_url,
                 "--root-path", "/suivant"]) == 0
    site = folder / "etc" / "site.toml"
    text = site.read_text(encoding="utf-8").replace("refuse_outside_hours = true",
                                                    "refuse_outside_hours = false")
    site.write_text(text + f"\n[mqtt]\nembedded_port = {free_port()}\n", encoding="utf-8")
    return site


def caddy(folder: Path, https: int, bridge: int) -> subprocess.Popen:
    (folder / "Caddyfile").write_text(CADDYFILE.format(http=free_port(), https=https,
                                                       bridge=bridge), encoding="utf-8")
    env = {**os.environ, "XDG_DATA_HOME": str(folder / "caddy"),
           "XDG_CONFIG_HOME": str(folder / "caddy")}
    proc = subprocess.Popen(["caddy", "run", "--config", str(folder / "Caddyfile"), "--adapter",
                             "caddyfile"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # its port answers once the certificate is made
        try:
            import ssl
            import urllib.request
            urllib.request.urlopen(f"https://localhost:{https}/suivant/api/health", timeout=2,
                                   context=ssl._create_unverified_context()).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("caddy did not answer within 15 s")


def test_the_pages_work_under_the_prefix_behind_caddy_with_tls(tmp_path, monkeypatch):
    https = free_port()
    base = f"https://localhost:{https}/suivant"
    bridge = BridgeProcess(made_by_init(tmp_path, base, monkeypatch), tmp_path / "lib" / "suivant.db",
                           extra=("--root-path", "/suivant"))
    bridge.start()
    proxy = None
    try:
        proxy = caddy(tmp_path, https, bridge.port)
        monkeypatch.setattr(chromium, "FLAGS", [*chromium.FLAGS, "--ignore-certificate-errors"])
        with chromium.browser_page() as page:
            asked: list[str] = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(f"{base}/borne")
            page.click("#services button")
            page.wait_for_selector("#ticket-link")
            link = page.get_attribute("#ticket-link", "href")
            assert link.startswith("/suivant/ticket/")
            page.goto(f"https://localhost:{https}{link}")
            page.wait_for_selector("#label:not(:empty)")
            label = page.inner_text("#label")

            page.goto(f"{base}/guichet?guichet=1")
            page.fill("#user", "admin")
            page.fill("#token", PASSWORD)
            page.click("#login-button")
            page.wait_for_selector("#desk:not([hidden]) #actions button")
            page.click("button#open")
            page.wait_for_selector("button#pause")
            page.click("button#next")
            page.wait_for_function(
                f"() => document.querySelector('#current').textContent === '{label}'")
            # the sessions are bearer tokens in the page's storage: no cookie to secure
            assert page.context.cookies() == []
        elsewhere = [u for u in asked if not u.startswith(f"{base}/")]
        assert elsewhere == []
        assert f"{base}/api/events" in {u.split("?")[0] for u in asked}
    finally:
        if proxy is not None:
            proxy.kill()
            proxy.wait(10)
        bridge.stop()
