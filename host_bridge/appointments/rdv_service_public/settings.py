"""The `[appointments.rdv_service_public]` table: where the webhook's secret and the API's
credentials are, and which RDV Service Public motifs are which of the site's services.

    [appointments.rdv_service_public]
    secret_file = "rdvsp-webhook.secret"      # the webhook endpoint's shared secret
    api_url = "https://rdv.anct.gouv.fr"      # outcomes reported there (optional)
    credentials_file = "rdvsp-api.headers"    # "Authorization: Bearer ..." (or the 3 token lines)
    max_age_seconds = 600
    pull_minutes = 15                         # today's rdvs also read from the API (0: never)
    lieux = ["56"]                            # only these places (optional)
    [appointments.rdv_service_public.motifs]
    "1234" = "passeports-cni"

Secrets live in files beside the config (relative paths are from its folder), never in the
TOML: the config file is shown and edited on the administration page.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TABLE = "appointments.rdv_service_public"
# RDV-SP retries a refused webhook after 1 s, 16 s, 81 s, 4 min, 10 min... (its jobs'
# exponential backoff): 10 minutes lets the first five attempts through after a short outage.
MAX_AGE_SECONDS = 600
# rdvs are booked weeks ahead and a webhook comes once: keep those of the next three months.
HORIZON_DAYS = 92
TIMEOUT_SECONDS = 10.0
# webhooks bring changes within seconds; the pull only makes the day whole after an outage
PULL_MINUTES = 15
MAX_SECRET_FILE = 1024
MAX_CREDENTIALS_FILE = 4096
MAX_MOTIFS = 200
# The API's authentication headers: OAuth's bearer token (RDV Service Public), or the
# deprecated devise token trio (RDV Solidarités' historical instance).
CREDENTIAL_HEADERS = frozenset({"authorization", "access-token", "client", "uid"})
CODE_FIELDS = ("id", "uuid", "none")
_ID = re.compile(r"^[0-9]{1,20}$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class SettingsError(ValueError):
    """A bad table: `key` (its dotted path) and `reason`, as site_config's ConfigError takes them."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"{TABLE}.{key}: {reason}")
        self.key, self.reason = f"{TABLE}.{key}", reason


@dataclass(frozen=True)
class Settings:
    secret: bytes = field(repr=False)
    motifs: Mapping[str, str]                 # RDV-SP motif id -> the site's service id
    lieux: frozenset[str] = frozenset()       # empty: every place of the organisation
    api_url: str | None = None                # None: outcomes are not reported
    credentials: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    code: str = "id"                          # what the citizen types: the rdv's id, uuid, none
    max_age_seconds: int = MAX_AGE_SECONDS
    horizon_days: int = HORIZON_DAYS
    timeout_seconds: float = TIMEOUT_SECONDS
    pull_minutes: int = PULL_MINUTES          # 0, or no api_url: never


def parse(table: dict[str, Any], base_dir: str | Path,
          services: Iterable[str] | None = None) -> Settings:
    """The table's settings, its files read; SettingsError (a ValueError) says what is wrong.
    `services`: the site's service ids, to refuse a motif mapped to none of them."""
    if not isinstance(table, dict):
        raise SettingsError("-", "expected a table")
    known = {"secret_file", "api_url", "credentials_file", "motifs", "lieux", "code",
             "max_age_seconds", "horizon_days", "timeout_seconds", "pull_minutes"}
    for key in table:
        if key not in known:
            raise SettingsError(str(key), "unknown key (misspelt?)")
    base = Path(base_dir)
    secret = _read(base, _string(table, "secret_file"), "secret_file", MAX_SECRET_FILE).strip()
    if len(secret) < 16:
        raise SettingsError("secret_file", "the secret is shorter than 16 characters")
    api_url = table.get("api_url")
    if api_url is not None:
        api_url = _url(_string(table, "api_url"))
    credentials: tuple[tuple[str, str], ...] = ()
    if "credentials_file" in table:
        text = _read(base, _string(table, "credentials_file"), "credentials_file",
                     MAX_CREDENTIALS_FILE)
        credentials = _headers(text)
    if api_url is not None and not credentials:
        raise SettingsError("credentials_file", "missing (api_url needs the API's credentials)")
    return Settings(
        secret=secret.encode("utf-8"), motifs=_motifs(table.get("motifs"), services),
        lieux=frozenset(_ids(table.get("lieux", []), "lieux")), api_url=api_url,
        credentials=credentials, code=_choice(table, "code", CODE_FIELDS, "id"),
        max_age_seconds=_int(table, "max_age_seconds", MAX_AGE_SECONDS, 30, 86_400),
        horizon_days=_int(table, "horizon_days", HORIZON_DAYS, 0, 366),
        timeout_seconds=float(_int(table, "timeout_seconds", int(TIMEOUT_SECONDS), 1, 60)),
        pull_minutes=_int(table, "pull_minutes", PULL_MINUTES, 0, 1440))


def _string(table: dict[str, Any], key: str) -> str:
    if key not in table:
        raise SettingsError(key, "missing")
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(key, f"expected a non-empty str (got {value!r})")
    return value


def _read(base: Path, name: str, key: str, cap: int) -> str:
    path = base / name
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise SettingsError(key, f"cannot read {path} ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise SettingsError(key, f"at most {cap} bytes expected in {path}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(key, f"{path} is not UTF-8 text") from None


def _url(value: str) -> str:
    parts = urlsplit(value)
    # http only to this machine (a test double or a local proxy): the token travels in it
    secure = parts.scheme == "https" or parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError("api_url", f"expected an https:// address without query (got {value!r})")
    return value.rstrip("/")


def _headers(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or name.lower() not in CREDENTIAL_HEADERS or not value \
                or not value.isprintable() or not value.isascii():
            raise SettingsError("credentials_file", f"line {n}: expected 'Name: value' with a name "
                                f"among {', '.join(sorted(CREDENTIAL_HEADERS))}")
        out.append((name, value))
    if not out:
        raise SettingsError("credentials_file", "no header in the file")
    return tuple(out)


def _motifs(value: Any, services: Iterable[str] | None) -> dict[str, str]:
    if value is None:
        raise SettingsError("motifs", "missing")
    if not isinstance(value, dict) or not value:
        raise SettingsError("motifs", "expected a table of motif id = service id (got "
                            f"{value!r})")
    if len(value) > MAX_MOTIFS:
        raise SettingsError("motifs", f"at most {MAX_MOTIFS} motifs")
    known = None if services is None else set(services)
    out = {}
    for motif, service in value.items():
        if not _ID.match(str(motif)):
            raise SettingsError(f"motifs.{motif}", f"expected a numeric motif id (got {motif!r})")
        if not isinstance(service, str) or not _SERVICE.match(service):
            raise SettingsError(f"motifs.{motif}", f"expected a service id (got {service!r})")
        if known is not None and service not in known:
            raise SettingsError(f"motifs.{motif}", f"unknown service {service!r}")
        out[str(motif)] = service
    return out


def _ids(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_MOTIFS:
        raise SettingsError(key, f"expected a list of ids (got {value!r})")
    out = []
    for item in value:
        text = str(item) if isinstance(item, (int, str)) and not isinstance(item, bool) else ""
        if not _ID.match(text):
            raise SettingsError(key, f"expected numeric ids (got {item!r})")
        out.append(text)
    return out


def _choice(table: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise SettingsError(key, f"expected one of {', '.join(choices)} (got {value!r})")
    return value


def _int(table: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(key, f"expected int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise SettingsError(key, f"expected {low} to {high} (got {value!r})")
    return value
