"""The bridge behind a reverse proxy (Caddy, nginx) that terminates TLS and may serve it under
a prefix (https://intranet.mairie.fr/suivant/).

The proxy strips the prefix and says so with `suivant serve --root-path /suivant`: uvicorn
puts it in each request's scope, so the pages' <base href> (web/pages.py), the ticket QR
codes' and other links' addresses (request.base_url) carry it. X-Forwarded-Proto and
X-Forwarded-For are believed from the addresses in --forwarded-allow-ips only (uvicorn's
ProxyHeadersMiddleware): a link then says https when the proxy did. The Host header is the
proxy's to pass on (Caddy does; nginx needs `proxy_set_header Host $host`).
"""
from __future__ import annotations

import argparse
import re
from typing import Any

_ROOT_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+){1,8}$")


def root_path(text: str) -> str:
    """An argparse type: "" or /a/b, without a trailing slash."""
    if text and not _ROOT_PATH.match(text) or len(text) > 200:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a path prefix such as /suivant (letters, digits, . _ ~ -; no trailing /)")
    return text


def uvicorn_options(prefix: str, forwarded_allow_ips: str) -> dict[str, Any]:
    return {"root_path": prefix, "proxy_headers": True,
            "forwarded_allow_ips": forwarded_allow_ips}
