"""RDV Service Public's webhooks, checked and read: pure functions, no I/O.

What RDV-SP sends (betagouv/rdv-service-public: app/jobs/webhook_job.rb,
app/models/concerns/webhook_deliverable.rb, app/blueprints/rdv_blueprint.rb): a POST whose
body is `{"data": <the rdv>, "meta": {"model": "Rdv", "event": "created"|"updated"|
"destroyed", "webhook_reason": ..., "timestamp": <ISO 8601>}}` and whose `X-Lapin-Signature`
header is the hex HMAC-SHA256 of the raw body with the endpoint's shared secret. A refused
delivery is retried by RDV-SP with the same body (so the same timestamp) for about 8 days.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from .. import keys
from ..model import Appointment
from .settings import Settings

SOURCE = "rdv-service-public"
SIGNATURE_HEADER = "X-Lapin-Signature"
MAX_BODY = 256 * 1024  # an rdv with its users, agents and place is a few KB
_ID = re.compile(r"^[0-9]{1,20}$")
_BOOKED = ("unknown", "waiting")     # RDV-SP's statuses of an rdv still to come
_CANCELLED = ("excused", "revoked")  # cancelled by the citizen or the agent
_OUTCOMES = ("seen", "noshow")       # already decided (often by our own report)


class Refused(Exception):
    """A webhook not taken: the HTTP status to answer, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Upsert:
    appointment: Appointment


@dataclass(frozen=True)
class Cancel:
    external_id: str
    source: str = SOURCE


@dataclass(frozen=True)
class Ignore:
    """A well-formed message about something this site does not keep (another service, another
    place, another day): answered 200, so RDV-SP does not retry it for days. `forget`: an rdv
    changed into one of those (its motif, place or day changed) leaves the site's list, if it
    was in it."""
    reason: str
    forget: str | None = None  # the rdv id to take out of the list


Change = Upsert | Cancel | Ignore


def sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str | None) -> str:
    """The signature, normalised (lower case), if it is the body's; else Refused 401."""
    if not signature:
        raise Refused(401, "signature_missing", f"no {SIGNATURE_HEADER} header")
    given = signature.strip().lower()
    # compared as bytes: compare_digest refuses non-ASCII str, and a bad header is just bad
    if not hmac.compare_digest(given.encode("utf-8", "replace"), sign(secret, body).encode()):
        raise Refused(401, "signature_invalid",
                      f"{SIGNATURE_HEADER} is not the body's HMAC-SHA256 with this site's secret")
    return given


def check_size(size: int, cap: int = MAX_BODY) -> None:
    if size > cap:
        raise Refused(413, "body_too_large", f"the body is over {cap} bytes, the most accepted here")


def decode(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(422, "invalid_json", "the body is not JSON in UTF-8") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict) \
            or not isinstance(payload.get("data"), dict):
        raise Refused(422, "invalid_payload", "expected an object with 'meta' and 'data' objects")
    return payload


def sent_at(payload: dict[str, Any]) -> datetime:
    """meta.timestamp: when RDV-SP made the message (kept through its retries)."""
    value = payload["meta"].get("timestamp")
    if not isinstance(value, str) or len(value) > 40:
        raise Refused(422, "invalid_payload", "meta.timestamp is missing: its age cannot be told")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(422, "invalid_payload", f"meta.timestamp is not ISO 8601 ({value!r})") from None
    if at.tzinfo is None:
        raise Refused(422, "invalid_payload", f"meta.timestamp has no UTC offset ({value!r})")
    return _in(at, timezone.utc, "meta.timestamp")  # its age is then always computable


def _in(at: datetime, tz: tzinfo | None, where: str) -> datetime:
    """`at` in `tz`; Refused 422 when its offset takes it past year 1 or 9999."""
    try:
        return at.astimezone(tz)
    except OverflowError:
        raise Refused(422, "invalid_payload", f"{where} is out of range ({at.isoformat()})") from None


def rdv_id(payload: dict[str, Any]) -> str:
    return _id(payload["data"].get("id"), "data.id")


def parse(payload: dict[str, Any], settings: Settings, now: datetime) -> Change:
    """What the message changes in the site's list; Refused 422 when it is malformed.
    `now`: aware, in the site's zone (its date is the site's today)."""
    meta, data = payload["meta"], payload["data"]
    if meta.get("model") != "Rdv":
        return Ignore("not_an_rdv")  # the endpoint may also be subscribed to users, absences...
    event = meta.get("event")
    if event not in ("created", "updated", "destroyed"):
        raise Refused(422, "invalid_payload", f"meta.event is not created, updated or destroyed ({event!r})")
    external_id = _id(data.get("id"), "data.id")
    motif = _id(_object(data, "motif").get("id"), "data.motif.id")
    lieu = data.get("lieu")
    at = _in(_aware(data.get("starts_at"), "data.starts_at"), now.tzinfo, "data.starts_at")
    forget = None if event == "created" else external_id
    if settings.lieux:
        place = _id(lieu.get("id"), "data.lieu.id") if isinstance(lieu, dict) else None
        if place not in settings.lieux:
            return Ignore("other_place", forget)
    service = settings.motifs.get(motif)
    if service is None:
        return Ignore("unmapped_motif", forget)
    if data.get("collectif") is True:
        return Ignore("collective", forget)  # a group session is not a queue's appointment
    if at.date() < now.date():
        return Ignore("past_day")
    if at.date() > now.date() + timedelta(days=settings.horizon_days):
        return Ignore("beyond_horizon", forget)
    status = data.get("status")
    if event == "destroyed" or status in _CANCELLED:
        return Cancel(external_id)
    if status in _OUTCOMES:
        return Ignore("outcome_known")
    if status not in _BOOKED:
        raise Refused(422, "invalid_payload", f"data.status is not an rdv status ({status!r})")
    user = _first_user(data)
    return Upsert(Appointment(
        source=SOURCE, external_id=external_id, service=service, at=at,
        code=_code(data, external_id, settings.code), ants=_ants(user),
        initials=initials(user.get("last_name"), user.get("first_name"))))


def initials(last_name: Any, first_name: Any) -> str | None:
    """The initials of "family name first name", as the other sources keep them (keys.py:
    "Durand Jeanne" -> "DJ", three letters at most). Nothing else of the names is kept."""
    names = [n[:100] for n in (last_name, first_name) if isinstance(n, str)]
    return keys.initials_of(" ".join(names))


def _first_user(data: dict[str, Any]) -> dict[str, Any]:
    for p in data.get("participations") or ():
        if isinstance(p, dict) and p.get("status") not in _CANCELLED and isinstance(p.get("user"), dict):
            return p["user"]
    users = data.get("users")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        return users[0]
    return {}


def _ants(user: dict[str, Any]) -> str | None:
    value = user.get("ants_pre_demande_number")
    # absent or not a pre-demande number: the rdv is still kept, without it
    return keys.ants_number(value[:40]) if isinstance(value, str) else None


def _code(data: dict[str, Any], external_id: str, field: str) -> str | None:
    """Stored as the check-in compares it (keys.compact: "5f0c-8a3e" -> "5F0C8A3E")."""
    if field == "id":
        return external_id
    if field == "uuid":
        value = data.get("uuid")
        if not isinstance(value, str) or not 0 < len(value) <= 64 or not keys.compact(value):
            raise Refused(422, "invalid_payload", "data.uuid is missing (the configured code)")
        return keys.compact(value)
    return None


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise Refused(422, "invalid_payload", f"data.{key} is missing")
    return value


def _id(value: Any, where: str) -> str:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not _ID.match(text):
        raise Refused(422, "invalid_payload", f"{where} is not a numeric id ({value!r:.40})")
    return text


def _aware(value: Any, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Refused(422, "invalid_payload", f"{where} is not an ISO 8601 time with its offset "
                      f"({value!r:.40})")
    return at
