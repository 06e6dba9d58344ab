"""What a site and central say to each other over NATS (docs/network.md): subjects and the JSON
of each message, encoded and checked here and nowhere else. Pure: no NATS, no database.

A check refuses with `WireError(reason)`, `reason` a stable code that central counts by.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

from ..domain.events import EVENT_TYPES
from ..store.event_codec import FIELD_KINDS, encode_compact, event_from_json

VERSION = 1
STREAM = "SUIVANT_EVENTS"
EVENTS_SUBJECTS = "suivant.site.*.events"
STATES_SUBJECTS = "suivant.site.*.state"
REQUESTS_SUBJECTS = "suivant.central.*.*"  # suivant.central.<verb>.<site>
VERBS = ("cursor", "history", "config")
MAX_EVENT_BYTES = 16_384  # an event's message; the largest real one is under 2 KB
MAX_STATE_BYTES = 65_536  # a state carries the site's services (names, targets)
MAX_REQUEST_BYTES = 1_024
HISTORY_PAGE = 500  # events per `history` answer, at most

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # as site_config's [site] id


class WireError(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def events_subject(site: str) -> str:
    return f"suivant.site.{site}.events"


def state_subject(site: str) -> str:
    return f"suivant.site.{site}.state"


def request_subject(verb: str, site: str) -> str:
    return f"suivant.central.{verb}.{site}"


def inbox_prefix(site: str) -> str:
    """Each site reads its answers on inboxes of its own: the server lets it subscribe there
    only, so no site can read another's answers (its history)."""
    return f"_INBOX_{site}"


def msg_id(site: str, seq: int, again: int = 0) -> str:
    """JetStream's de-duplication key (header Nats-Msg-Id): a re-publish after a lost ack is
    dropped by the server inside its window, and by central's primary key after it. `again`
    numbers a deliberate re-sending of what the stream dropped (its window remembers the ids
    of dropped messages too)."""
    return f"{site}:{seq}" if not again else f"{site}:{seq}:{again}"


def site_of_subject(subject: str, kind: str) -> str:
    """suivant.site.<site>.<kind> -> site."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[:2] != ["suivant", "site"] or parts[3] != kind \
            or not SITE_ID.match(parts[2]):
        raise WireError("bad_subject", subject)
    return parts[2]


def request_of_subject(subject: str) -> tuple[str, str]:
    """suivant.central.<verb>.<site> -> (verb, site)."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[:2] != ["suivant", "central"] or parts[2] not in VERBS \
            or not SITE_ID.match(parts[3]):
        raise WireError("bad_subject", subject)
    return parts[2], parts[3]


# ----- one event of the site's history ------------------------------------------------------
def encode_event(site: str, seq: int, prev: int, day: str, kind: str, at: str,
                 body_json: str) -> bytes:
    """From the site's stored row (body_json as stored: the event's fields). `prev` is the
    sequence number of the event the site sent before this one (0: none), so central knows it
    has every event up to a point even where the site's retention left gaps."""
    return (f'{{"v":{VERSION},"site":{json.dumps(site)},"seq":{seq},"prev":{prev},'
            f'"day":{json.dumps(day)},"type":{json.dumps(kind)},"at":{json.dumps(at)},'
            f'"body":{body_json}}}').encode()


def _int(data: dict[str, Any], name: str, low: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2 ** 62:
        raise WireError("malformed", f"{name} must be an integer ≥ {low}")
    return value


def _json_object(payload: bytes, limit: int) -> dict[str, Any]:
    if len(payload) > limit:
        raise WireError("too_large", f"{len(payload)} bytes (at most {limit})")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as e:
        raise WireError("malformed", f"not JSON: {e}") from None
    if not isinstance(data, dict):
        raise WireError("malformed", "not a JSON object")
    if data.get("v") != VERSION:
        raise WireError("unknown_version", f"v={data.get('v')!r}")
    return data


def decode_event(subject: str, payload: bytes) -> dict[str, Any]:
    """A checked event: {site, seq, prev, day, type, at, body (JSON text, compact)}. The
    event must decode as the site would replay it (event_codec), so central stores nothing it
    could not read back."""
    site = site_of_subject(subject, "events")
    data = _json_object(payload, MAX_EVENT_BYTES)
    if data.get("site") != site:
        raise WireError("wrong_site", f"{data.get('site')!r} on {site}'s subject")
    seq = _int(data, "seq", 1)
    prev = _int(data, "prev", 0)
    if prev >= seq:
        raise WireError("malformed", f"prev {prev} is not before seq {seq}")
    kind, day, at, body = data.get("type"), data.get("day"), data.get("at"), data.get("body")
    if kind not in EVENT_TYPES:
        raise WireError("malformed", f"unknown event type {kind!r}")
    try:
        date.fromisoformat(day)
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        raise WireError("malformed", "day or at is not an ISO date/time") from None
    if when.tzinfo is None:
        raise WireError("malformed", "at has no UTC offset")
    if not isinstance(body, dict) or body.get("at") != at:
        raise WireError("malformed", "body is not the event's fields")
    _check_fields(kind, body)
    text = encode_compact(body)
    try:
        event_from_json(kind, text)
    except (TypeError, ValueError, KeyError) as e:
        raise WireError("malformed", f"not a {kind}: {e}") from None
    return {"site": site, "seq": seq, "prev": prev, "day": day, "type": kind, "at": at,
            "body": text}


def _fits(kind: str, value: Any) -> bool:
    if kind.endswith(" | None"):
        return value is None or _fits(kind[:-7], value)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value)
    if kind == "str":
        return isinstance(value, str) and len(value) <= 200
    if kind.startswith("tuple"):
        return isinstance(value, list) and len(value) <= 32 and all(
            isinstance(v, str) and len(v) <= 200 for v in value)
    if not isinstance(value, str):
        return False
    try:
        (date if kind == "date" else datetime).fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_fields(kind: str, body: dict[str, Any]) -> None:
    """Exactly the event's fields, each of its type (a field added since may be absent, as in
    the site's own older rows): what central stores, it can read back and replay."""
    kinds = dict(FIELD_KINDS[EVENT_TYPES[kind]])
    extra = set(body) - set(kinds)
    if extra:
        raise WireError("malformed", f"{kind} has no field {sorted(extra)[0]!r}")
    for name, value in body.items():
        if not _fits(kinds[name], value):
            raise WireError("malformed", f"{kind}.{name} is not a {kinds[name]}")


# ----- a site's state, every few seconds (core NATS: only the latest matters) ---------------
def encode_state(site: str, state: dict[str, Any]) -> bytes:
    return encode_compact({"v": VERSION, "site": site, **state}).encode()


def decode_state(subject: str, payload: bytes) -> dict[str, Any]:
    site = site_of_subject(subject, "state")
    data = _json_object(payload, MAX_STATE_BYTES)
    if data.get("site") != site:
        raise WireError("wrong_site", f"{data.get('site')!r} on {site}'s subject")
    for name in ("last_seq", "published_seq"):
        _int(data, name, 0)
    info = data.get("site_info")
    if not isinstance(info, dict) or not isinstance(info.get("services"), list) \
            or not isinstance(info.get("timezone"), str) or not isinstance(info.get("name"), str):
        raise WireError("malformed", "site_info must give name, timezone and services")
    for s in info["services"]:
        if not isinstance(s, dict) or not isinstance(s.get("id"), str) \
                or not isinstance(s.get("name"), str) \
                or not isinstance(s.get("target_wait_minutes"), (int, float)):
            raise WireError("malformed", "each service needs id, name, target_wait_minutes")
    now = data.get("now")
    if not isinstance(now, dict):
        raise WireError("malformed", "now must be an object")
    return data


# ----- a site's requests to central ---------------------------------------------------------
def decode_request(payload: bytes) -> dict[str, Any]:
    if not payload:
        return {}
    data = _json_object(payload, MAX_REQUEST_BYTES)
    return data


def encode_answer(answer: dict[str, Any]) -> bytes:
    return encode_compact({"v": VERSION, **answer}).encode()


def decode_answer(payload: bytes) -> dict[str, Any]:
    data = _json_object(payload, 64 * 1024 * 1024)
    if "error" in data:
        raise WireError(str(data["error"]), str(data.get("detail", "")))
    return data
