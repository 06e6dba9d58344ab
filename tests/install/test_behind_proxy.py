"""The bridge behind a TLS reverse proxy that serves it under /suivant: a real `suivant serve
--root-path /suivant --forwarded-allow-ips 127.0.0.1` answering the requests such a proxy
forwards (prefix stripped, X-Forwarded-Proto/For, the public Host). The pages point at the
prefix, the QR codes at the public https address; the deprecations are said at start."""
from __future__ import annotations

import re
import shutil

import httpx
import pytest
import segno

from host_bridge.site_config import read_toml
from host_bridge.toml_writer import dumps
from host_bridge.web.pages import STATIC
from simulators.bridge_process import BridgeProcess
from support import EXAMPLE, free_port

PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.168.10.31",
           "Host": "file.mairie.example"}
PAGES = ("/", "/borne", "/salle", "/guichet", "/supervision", "/admin", "/ticket/abcdefgh12345678",
         "/rdv/12345678901")


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proxied")
    doc = read_toml(EXAMPLE)
    doc["rules"]["refuse_outside_hours"] = False
    doc["mqtt"] = {"embedded_port": free_port()}
    doc["limits"] = {"unlimited_addresses": ["127.0.0.1", "192.168.10.31"]}
    (folder / "site.toml").write_text(dumps(doc), encoding="utf-8")
    shutil.copy(EXAMPLE.parent / "passeports-cni.ics", folder)
    process = BridgeProcess(folder / "site.toml", folder / "queue.db",
                            extra=("--root-path", "/suivant", "--forwarded-allow-ips",
                                   "127.0.0.1"))
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def proxy(bridge):
    """What the proxy sends on: the path without its /suivant prefix, and its headers."""
    with httpx.Client(base_url=bridge.url, headers=PROXIED, timeout=10) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_each_page_says_its_base_is_the_prefix_and_links_relative_to_it(proxy, path):
    r = proxy.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    assert '<base href="/suivant/">' in r.text
    # nothing the page loads or links to escapes the prefix: no absolute path but the base
    assert re.findall(r'(?:href|src)="/', r.text) == ['href="/']


def test_a_mistyped_page_links_back_under_the_prefix(proxy):
    r = proxy.get("/guichett", headers={"Accept": "text/html"})
    assert r.status_code == 404 and '<base href="/suivant/">' in r.text
    assert 'href="static/suivant.css"' in r.text


# What in a page's script would leave the prefix: an absolute '/api/...' or page path; a link, a
# source or a navigation to a bare "/" (the proxy host's root) or to a bare "?..." (resolved
# against the <base href>: the site's home, not the page); a path cut with a regular expression
# anchored at "/" (rdv.js read "/suivant/rdv/K7Q2M9" as its code); the origin's root.
_LEAVES_THE_PREFIX = re.compile(r"""
    ["'`]/(api|static|ticket|rdv|sw\.js|borne|salle|guichet|supervision|admin)\b
  | \b(href|src)\s*[:=][^;,}\n]*["'`][/?]
  | \blocation(\.href)?\s*=\s*["'`][/?]
  | \blocation\.(assign|replace)\(\s*["'`][/?]
  | \bpathname\.replace\(\s*/\^\\/
  | \blocation\.origin\b""", re.VERBOSE)


def test_the_scripts_call_the_api_relative_to_the_page_s_base():
    """An absolute '/api/...' in a script would miss the prefix (the browser test below
    drives one page; this covers every script). sw.js is not under the page's base: it builds
    its addresses on its registration's scope."""
    for script in sorted(STATIC.glob("*.js")):
        if script.name == "sw.js":
            continue
        found = _LEAVES_THE_PREFIX.search(script.read_text(encoding="utf-8"))
        assert found is None, f"{script.name}: {found and found.group(0)}"


@pytest.mark.parametrize("line", [
    'el("a", { href: "/", id: "back" }, t(T.back))',  # ticket.js before the review
    'a.href = lang === "fr" ? "?lang=en" : "?lang=fr";',  # suivant.js's langLink before it
    'location.pathname.replace(/^\\/rdv\\/?/, "")',  # rdv.js before it
    'fetch("/api/tickets")', 'location.assign("/")', "location.href = '/borne'",
    "new URL(path, location.origin)"])
def test_the_scripts_check_catches_what_would_leave_the_prefix(line):
    assert _LEAVES_THE_PREFIX.search(line), line


def test_the_ticket_qr_code_holds_the_public_https_address_with_the_prefix(proxy):
    r = proxy.post("/api/tickets", json={"service": "etat-civil"})
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]["id"]
    svg = proxy.get(f"/api/tickets/{ticket}/qr.svg").content
    expected = f"https://file.mairie.example/suivant/ticket/{ticket}"
    assert svg == _qr(expected)


def test_without_the_proxy_s_word_the_address_is_plain_http(bridge):
    """The scheme comes from X-Forwarded-Proto (uvicorn believes it from --forwarded-allow-ips
    only), the host from the Host header the proxy passes on."""
    with httpx.Client(base_url=bridge.url, timeout=10) as direct:
        ticket = direct.post("/api/tickets", json={"service": "etat-civil"}).json()["ticket"]["id"]
        svg = direct.get(f"/api/tickets/{ticket}/qr.svg",
                         headers={"Host": "file.mairie.example"}).content
    assert svg == _qr(f"http://file.mairie.example/suivant/ticket/{ticket}")


def test_the_api_docs_load_their_schema_under_the_prefix(proxy):
    r = proxy.get("/docs")
    assert r.status_code == 200
    assert "/suivant/openapi.json" in r.text and "/suivant/static/docs/swagger-ui-bundle.js" in r.text


def test_serve_says_at_start_what_is_deprecated(bridge):
    log = bridge.log_path.read_text(encoding="utf-8")
    assert "warning: [[users]] 'agents' is a shared agent token (deprecated" in log


def _qr(text: str) -> bytes:
    import io
    out = io.BytesIO()  # as api/tickets.py draws it
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                     svgns=True, title="QR")
    return out.getvalue()
