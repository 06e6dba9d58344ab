"""Who carries the SMS: a provider's HTTP API, described by the site's config.

`HttpProvider` is generic (URL, method, headers, a body template with {number} and {text});
`brevo()` is the same thing filled in with Brevo's transactional SMS API. `send` raises
ProviderError on any failure, with a message that never holds the number or the text.
Plain `urllib`: one POST with a timeout needs no client library (deadline.py bounds the
whole call, not each read).
"""
from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from .deadline import Deadline

BodyKind = Literal["json", "form", "query"]
MAX_ANSWER = 64 * 1024  # what is read of a provider's answer (only its status matters)
_PLACEHOLDER = re.compile(r"\{(number|digits|text|sender)\}")

# https://developers.brevo.com/docs/transactional-sms-endpoints : POST, header api-key, JSON
# {sender (11 letters or 15 digits), recipient (country code and number), content}
BREVO_URL = "https://api.brevo.com/v3/transactionalSMS/send"
BREVO_TEMPLATE = {"sender": "{sender}", "recipient": "{digits}", "content": "{text}",
                  "type": "transactional", "unicodeEnabled": True}  # French accents kept


class ProviderError(Exception):
    pass


class Provider(Protocol):
    def send(self, number: str, text: str) -> None:
        """Deliver one SMS to the provider, or raise ProviderError."""


@dataclass(frozen=True)
class HttpProvider:
    url: str
    method: str = "POST"
    body: BodyKind = "json"
    template: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # auth included (settings.py)
    sender: str = ""
    timeout: float = 10.0  # each try, whole: connection to answer, however it trickles

    def request(self, number: str, text: str) -> urllib.request.Request:
        values = {"number": number, "digits": number.lstrip("+"), "text": text,
                  "sender": self.sender}
        filled = _fill(self.template, values)
        url = _fill(self.url, {k: urllib.parse.quote(v, safe="+") for k, v in values.items()})
        data = None
        headers = dict(self.headers)
        if self.body == "json":
            data = json.dumps(filled, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        elif self.body == "form":
            data = urllib.parse.urlencode(filled).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(filled)
        headers.setdefault("Accept", "application/json")
        return urllib.request.Request(url, data, headers, method=self.method)

    def send(self, number: str, text: str) -> None:
        with Deadline(self.timeout) as deadline:
            try:
                with deadline.opener().open(self.request(number, text), timeout=self.timeout) \
                        as answer:
                    status = answer.status
                    try:
                        answer.read(MAX_ANSWER)
                    except (OSError, ValueError, http.client.HTTPException):
                        pass  # the status is the answer: a 2xx was accepted, resending would repeat it
            except urllib.error.HTTPError as exc:
                exc.close()
                raise ProviderError(f"the SMS provider answered HTTP {exc.code}") from None
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
                if deadline.expired:
                    raise ProviderError(f"the SMS provider did not answer within "
                                        f"{self.timeout:g} s") from None
                # the reason's text may quote the URL, which may hold the number: its kind only
                reason = getattr(exc, "reason", exc)
                raise ProviderError(f"the SMS provider did not answer ({type(reason).__name__})") from None
        if not 200 <= status < 300:
            raise ProviderError(f"the SMS provider answered HTTP {status}")


def brevo(api_key: str, sender: str, url: str = BREVO_URL, timeout: float = 10.0) -> HttpProvider:
    return HttpProvider(url, "POST", "json", BREVO_TEMPLATE, {"api-key": api_key}, sender, timeout)


def basic_auth(credentials: str) -> str:
    """'user:password' -> the Authorization header's value."""
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _fill(template: Any, values: dict[str, str]) -> Any:
    """The template with each {placeholder} in its strings replaced, in one pass (a text that
    contains '{number}' stays as it is)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values[m[1]], template)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template
