"""`[notifications.sms]` of a site's config: the provider, and the inbound webhook's secret.

Secrets (API key, token, password, inbound secret) are read from files named here, never
written in the site's config (it is shown to administrators and sent to central). Every
refusal is a ValueError naming the key and what it expects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .providers import BREVO_URL, BodyKind, HttpProvider, basic_auth, brevo

PROVIDERS = ("brevo", "http")
METHODS = ("POST", "PUT", "GET")
BODIES = ("json", "form", "query")
AUTHS = ("none", "bearer", "basic", "header")
INBOUND_AUTHS = ("header", "hmac")
MAX_SECRET = 4096  # bytes of a secret file
MIN_INBOUND_SECRET = 16  # characters: a guessable secret lets anyone cancel tickets by SMS

_KEYS = {"provider", "url", "method", "body", "template", "headers", "auth", "auth_file",
         "auth_header", "api_key_file", "sender", "timeout_seconds", "retries",
         "inbound_secret_file", "inbound_auth", "inbound_header", "inbound_from", "inbound_text"}


@dataclass(frozen=True)
class SmsSettings:
    provider: HttpProvider
    retries: int = 3
    inbound_secret: bytes | None = None  # None: no inbound webhook
    inbound_auth: str = "header"
    inbound_header: str = "X-Suivant-Secret"
    inbound_from: str = "from"  # the fields of the provider's inbound body (JSON or form)
    inbound_text: str = "text"
    kind: str = field(default="http")


def parse(table: dict[str, Any], base_dir: str | Path) -> SmsSettings:
    """From the config's `[notifications.sms]`; file names are relative to `base_dir` (the
    config file's folder)."""
    if not isinstance(table, dict):
        raise ValueError("[notifications.sms]: expected a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ValueError(f"[notifications.sms] unknown key {unknown[0]!r} "
                         f"(known: {', '.join(sorted(_KEYS))})")
    base = Path(base_dir)
    kind = _choice(table, "provider", PROVIDERS, None)
    timeout = _number(table, "timeout_seconds", 10, 1, 60)
    sender = _text(table, "sender", "")
    if kind == "brevo":
        if not (sender.isalnum() and len(sender) <= 11) and not (sender.isdigit() and len(sender) <= 15):
            raise ValueError("[notifications.sms] sender: Brevo expects up to 11 letters and "
                             f"digits or 15 digits (got {sender!r})")
        key = _secret(table, "api_key_file", base, required=True).decode().strip()
        provider = brevo(key, sender, _url(table, BREVO_URL), timeout)
    else:
        url = _url(table, None)
        method = _choice(table, "method", METHODS, "POST")
        body = _choice(table, "body", BODIES, "query" if method == "GET" else "json")
        if method == "GET" and body != "query":
            raise ValueError("[notifications.sms] body: a GET request carries its fields in the "
                             f"query: expected \"query\" (got {body!r})")
        template = table.get("template")
        if not isinstance(template, dict) or not template:
            raise ValueError("[notifications.sms] template: expected a table of the fields to "
                             "send, with {number} (or {digits}) and {text} in their values")
        flat = repr(template)
        if "{text}" not in flat or ("{number}" not in flat and "{digits}" not in flat
                                    and "{number}" not in url and "{digits}" not in url):
            raise ValueError("[notifications.sms] template: must hold {text} and {number} "
                             "(or {digits}: the number without its +)")
        if body != "json" and any(not isinstance(v, (str, int, float)) for v in template.values()):
            raise ValueError(f"[notifications.sms] template: a {body} body takes flat values only")
        headers = _headers(table)
        headers.update(_auth(table, base))
        provider = HttpProvider(url, method, cast(BodyKind, body), template, headers, sender, timeout)
    inbound = None
    if "inbound_secret_file" in table:
        inbound = _secret(table, "inbound_secret_file", base, required=True).strip()
        if len(inbound) < MIN_INBOUND_SECRET:
            raise ValueError(f"[notifications.sms] inbound_secret_file: the secret must be at "
                             f"least {MIN_INBOUND_SECRET} characters (a random one: "
                             f"`openssl rand -hex 32`)")
    inbound_auth = _choice(table, "inbound_auth", INBOUND_AUTHS, "header")
    default_header = "X-Suivant-Secret" if inbound_auth == "header" else "X-Suivant-Signature"
    return SmsSettings(provider, int(_number(table, "retries", 3, 0, 10)), inbound, inbound_auth,
                       _text(table, "inbound_header", default_header),
                       _text(table, "inbound_from", "from"), _text(table, "inbound_text", "text"),
                       kind)


def _text(table: dict, key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"[notifications.sms] {key}: expected a text of 200 characters at most "
                         f"(got {value!r})")
    return value


def _choice(table: dict, key: str, allowed: tuple[str, ...], default: str | None) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise ValueError(f"[notifications.sms] {key}: expected one of {', '.join(allowed)} "
                         f"(got {value!r})")
    return value


def _number(table: dict, key: str, default: float, low: float, high: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"[notifications.sms] {key}: expected a number from {low:g} to {high:g} "
                         f"(got {value!r})")
    return float(value)


def _url(table: dict, default: str | None) -> str:
    url = table.get("url", default)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValueError(f"[notifications.sms] url: expected an http:// or https:// address "
                         f"(got {url!r})")
    return url


def _headers(table: dict) -> dict[str, str]:
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or len(headers) > 20 or any(
            not isinstance(k, str) or not isinstance(v, str) for k, v in headers.items()):
        raise ValueError("[notifications.sms] headers: expected a table of at most 20 "
                         "name = \"value\" texts")
    return dict(headers)


def _auth(table: dict, base: Path) -> dict[str, str]:
    auth = _choice(table, "auth", AUTHS, "none")
    if auth == "none":
        if "auth_file" in table:
            raise ValueError("[notifications.sms] auth_file: given but auth is \"none\"")
        return {}
    secret = _secret(table, "auth_file", base, required=True).decode().strip()
    if auth == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    if auth == "basic":
        if ":" not in secret:
            raise ValueError("[notifications.sms] auth_file: basic auth expects user:password")
        return {"Authorization": basic_auth(secret)}
    return {_text(table, "auth_header", "X-Api-Key"): secret}


def _secret(table: dict, key: str, base: Path, required: bool) -> bytes:
    name = table.get(key)
    if name is None and not required:
        return b""
    if not isinstance(name, str) or not name:
        raise ValueError(f"[notifications.sms] {key}: expected the name of a file holding the secret")
    path = base / name
    try:
        data = path.read_bytes()[:MAX_SECRET + 1]
    except OSError as exc:
        raise ValueError(f"[notifications.sms] {key}: cannot read {path} "
                         f"({exc.strerror or type(exc).__name__})") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"[notifications.sms] {key}: {path} is not UTF-8 text") from None
    if len(data) > MAX_SECRET or not data.strip():
        raise ValueError(f"[notifications.sms] {key}: {path} must hold a secret of "
                         f"1 to {MAX_SECRET} bytes")
    return data
