"""Load and validate the site's TOML file into the domain's Site plus the bridge's settings.

Every refusal names the file, the key and the reason in one line, and nothing starts.
"""
from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.site import (
    LATE_POLICIES, NEEDS, AppointmentRules, Counter, FaqEntry, OpeningHours, PriorityCategory, Rules, Service, Site,
)
from .backup.settings import BackupSettings, parse_backup
from .network.settings import parse_network
from . import site_versions
from .printing.addresses import valid_url as valid_printer_url

ROLES = ("agent", "supervisor", "admin", "kiosk")  # kiosk: takes tickets, unlimited; acts nowhere
SYNC_MODES = ("FULL", "NORMAL", "EXTRA")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class ConfigError(ValueError):
    def __init__(self, file: str, key: str, reason: str):
        super().__init__(f"{file}: {key}: {reason}")
        self.file, self.key, self.reason = file, key, reason


@dataclass(frozen=True)
class User:
    name: str
    role: str
    token_sha256: str  # "" for a named account's session (host_bridge/staff)
    counters: tuple[int, ...] = ()  # empty: every counter
    full_name: str = ""  # a named account's name as people read it
    session: str | None = None  # a named account's session: its token's SHA-256


@dataclass(frozen=True)
class MqttSettings:
    """The broker the bridge and the boards meet on. No [mqtt] table: an embedded broker."""
    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # mqtts: the CA that signed the broker's certificate
    embedded: bool = True  # start the in-process broker (amqtt) on host:port
    client_id: str | None = None  # default suivant-bridge-<site id>


@dataclass(frozen=True)
class SerialPortSettings:
    port: str  # a device path or any pyserial URL (loop://, rfc2217://, ...)
    baud: int = 115200
    rs485: bool = False  # a bus of addressed boards that the bridge polls


@dataclass(frozen=True)
class PrinterSettings:
    url: str  # tcp://host[:port], usb:vvvv:pppp, file:/dev/usb/lp0
    footer: str = ""


@dataclass(frozen=True)
class Settings:
    site: Site
    users: tuple[User, ...]
    db_path: str = "suivant.db"
    synchronous: str = "FULL"
    retention_days: int = 400  # then a day keeps only its tally (domain/indicators.py)
    source: str = "<memory>"
    devices_path: str = "devices.db"  # the device registry (keys: keep it private)
    mqtt: MqttSettings = MqttSettings()
    serial_ports: tuple[SerialPortSettings, ...] = ()
    public_url: str | None = None  # where phones reach the pages (the ticket QR code's address)
    printer: PrinterSettings | None = None  # the kiosk's ticket printer, if it has one
    figures_per_counter: bool = False  # per-counter figures in the reports (who works where)
    limits: Any = None  # api.limits.Limits from a [limits] table; None: the defaults
    network: Any = None  # network.settings.NetworkSettings from [network]; None: an island
    notify: Any = None  # notifications.settings.NotifySettings from [notifications]
    sms: Any = None  # notifications.sms.settings.SmsSettings from [notifications.sms]; None: no SMS
    rdv_service_public: Any = None  # appointments.rdv_service_public.settings.Settings, if any
    warnings: tuple[str, ...] = ()  # deprecated keys, each with its replacement (site_versions)
    backup: BackupSettings = BackupSettings()  # [backup]: the bridge's scheduled backups
    questions: Any = None  # questions.settings.QuestionSettings from [questions] (chat, survey)


class TomlReader:
    """Typed access to a TOML table that remembers the key path for error messages."""

    def __init__(self, file: str, table: dict[str, Any], path: str = ""):
        self.file, self.table, self.path = file, table, path
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, reason: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), reason)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., *,
            check=None, why: str = "") -> Any:
        self.seen.add(name)
        if name not in self.table:
            if default is ...:
                raise self.fail(name, "missing")
            return default
        value = self.table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise self.fail(name, f"expected {names}, got {type(value).__name__} {value!r}")
        if check is not None and not check(value):
            raise self.fail(name, f"{why} (got {value!r})")
        return value

    def child(self, name: str, value: Any) -> TomlReader:
        if not isinstance(value, dict):
            raise self.fail(name, "expected a table")
        return TomlReader(self.file, value, self.key(name))

    def tables(self, name: str, required: bool = False) -> list[TomlReader]:
        items = self.get(name, list, ... if required else [])
        if required and not items:
            raise self.fail(name, "at least one entry is needed")
        return [self.child(f"{name}[{i}]", item) for i, item in enumerate(items)]

    def done(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            raise self.fail(extra[0], "unknown key (misspelt?)")


def _public_url(v: str) -> bool:
    return bool(re.match(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$", v))


def _positive(v: float) -> bool:
    return v > 0


def _slug(v: str) -> bool:
    return bool(_SLUG.match(v))


def _timezone(v: str) -> bool:
    try:
        ZoneInfo(v)
    # OSError: with the tzdata package installed (icalendar brings it), a folder of zones such
    # as "Europe" is opened as a file and raises IsADirectoryError, not ZoneInfoNotFoundError
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _ranges(r: TomlReader, day: str) -> tuple[tuple[time, time], ...]:
    """A day's opening ranges, sorted. Two that overlap are refused (one of them is surely a
    typo); two that touch, "08:30-12:00" and "12:00-14:00", are fine: open without a break."""
    out = []
    texts: dict[tuple[time, time], str] = {}
    for text in r.get(day, list, []):
        m = _RANGE.match(text) if isinstance(text, str) else None
        ok = m is not None and int(m[1]) < 24 and int(m[3]) < 24 and int(m[2]) < 60 and int(m[4]) < 60
        if not ok:
            raise r.fail(day, f"expected ranges like \"08:30-12:00\", got {text!r}")
        start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        if start >= end:
            raise r.fail(day, f"range {text!r} ends before it starts")
        out.append((start, end))
        texts.setdefault((start, end), text)
    out.sort()
    for before, after in zip(out, out[1:]):
        if after[0] < before[1]:
            raise r.fail(day, f"ranges {texts[before]!r} and {texts[after]!r} overlap")
    return tuple(out)


def _minutes(r: TomlReader, name: str, default: float, low: float, high: float) -> float:
    return float(r.get(name, (int, float), default, check=lambda v: low <= v <= high,
                       why=f"minutes, {low:g} to {high:g}"))


def _appointments(r: TomlReader) -> AppointmentRules:
    rules = AppointmentRules(
        callable_before_minutes=_minutes(r, "callable_before_minutes", 5, 0, 120),
        late_minutes=_minutes(r, "late_minutes", 15, 0, 240),
        late=r.get("late", str, "walk_in", check=lambda v: v in LATE_POLICIES,
                   why=f"one of {', '.join(LATE_POLICIES)}"),
        no_show_minutes=_minutes(r, "no_show_minutes", 20, 0, 480),
        ical=r.get("ical", str, None, check=lambda v: 0 < len(v) <= 2000,
                   why="a file path (from the config file's folder) or an http(s) URL"),
        refresh_minutes=_minutes(r, "refresh_minutes", 10, 1, 1440),
    )
    if rules.no_show_minutes < rules.late_minutes and rules.late == "walk_in":
        raise r.fail("no_show_minutes", f"{rules.no_show_minutes:g} is before late_minutes "
                     f"({rules.late_minutes:g}): a late citizen would be a no-show already")
    r.done()
    return rules


# A service's FAQ: read on phones, matched against citizens' questions (domain/faq_match.py),
# edited on the administration page: bounded like every input
FAQ_ENTRIES, FAQ_QUESTION_CHARS, FAQ_ANSWER_CHARS = 50, 300, 2000


def _service(r: TomlReader) -> Service:
    faq = []
    entries = r.tables("faq")
    if len(entries) > FAQ_ENTRIES:
        raise r.fail("faq", f"{len(entries)} entries: {FAQ_ENTRIES} at most per service")
    for f in entries:
        faq.append(FaqEntry(
            f.get("question", str, check=lambda v: 0 < len(v) <= FAQ_QUESTION_CHARS,
                  why=f"1 to {FAQ_QUESTION_CHARS} characters"),
            f.get("answer", str, check=lambda v: 0 < len(v) <= FAQ_ANSWER_CHARS,
                  why=f"1 to {FAQ_ANSWER_CHARS} characters")))
        f.done()
    service = Service(
        id=r.get("id", str, check=_slug, why="lowercase letters, digits and dashes"),
        letter=r.get("letter", str, check=lambda v: re.fullmatch(r"[A-Z]", v) is not None,
                     why="one capital letter A-Z"),
        name=r.get("name", str, check=bool, why="must not be empty"),
        target_wait_minutes=r.get("target_wait_minutes", int, 20, check=lambda v: 0 < v <= 1440,
                                  why="minutes, 1 to 1440"),
        default_service_minutes=float(r.get("default_service_minutes", (int, float), 8.0,
                                            check=lambda v: 0 < v <= 480, why="minutes, above 0 and at most 480")),
        faq=tuple(faq),
        colour=r.get("colour", str, None, check=lambda v: re.fullmatch(r"#[0-9a-fA-F]{6}", v)
                     is not None, why="a colour as #rrggbb"),
        appointments=_appointments(r.child("appointments", r.get("appointments", dict)))
        if "appointments" in r.table else None,
    )
    r.done()
    return service


_MQTT_URL = re.compile(r"^(mqtts?)://([^:/\s]+)(?::(\d{1,5}))?/?$")


def _mqtt(r: TomlReader | None, site_id: str) -> MqttSettings:
    if r is None:
        return MqttSettings(client_id=f"suivant-bridge-{site_id}")
    url = r.get("url", str, None)
    if url is None:
        settings = MqttSettings(
            host=r.get("embedded_host", str, "127.0.0.1", check=bool, why="must not be empty"),
            port=r.get("embedded_port", int, 1883, check=lambda v: 1 <= v <= 65535,
                       why="1 to 65535"))
    else:
        m = _MQTT_URL.match(url)
        if m is None or (m[3] is not None and not 1 <= int(m[3]) <= 65535):
            raise r.fail("url", "expected mqtt://host[:port] or mqtts://host[:port]")
        tls = m[1] == "mqtts"
        settings = MqttSettings(host=m[2], port=int(m[3] or (8883 if tls else 1883)), tls=tls,
                                embedded=False)
    username = r.get("username", str, None, check=bool, why="must not be empty")
    password = r.get("password", str, None, check=bool, why="must not be empty")
    if (username is None) != (password is None):
        raise r.fail("password" if username else "username", "username and password go together")
    ca_file = r.get("ca_file", str, None, check=bool, why="must not be empty")
    if ca_file is not None and not settings.tls:
        raise r.fail("ca_file", "only with an mqtts:// url")
    if settings.embedded and (username or ca_file):
        raise r.fail("username" if username else "ca_file",
                     "only with a url (the embedded broker is for loopback demos and tests)")
    client_id = r.get("client_id", str, f"suivant-bridge-{site_id}",
                      check=lambda v: 1 <= len(v) <= 64, why="1 to 64 characters")
    r.done()
    return replace(settings, username=username, password=password, ca_file=ca_file,
                   client_id=client_id)


def _serial_ports(rs: list[TomlReader]) -> tuple[SerialPortSettings, ...]:
    ports = []
    for r in rs:
        ports.append(SerialPortSettings(
            port=r.get("port", str, check=bool, why="a device path or a pyserial URL"),
            baud=r.get("baud", int, 115200, check=lambda v: 9600 <= v <= 921600,
                       why="9600 to 921600, as the boards accept"),
            rs485=r.get("rs485", bool, False)))
        r.done()
    _unique(rs, [p.port for p in ports], "port", "serial port")
    return tuple(ports)


def _network(v: str) -> bool:
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return False
    return True


def _limits(r: TomlReader) -> Any:
    """[limits]: what an anonymous client may do (api/limits.py has the defaults and why)."""
    from .api.limits import Limits  # only a site that changes its limits pays the import here
    d = Limits()
    addresses = r.get("unlimited_addresses", list, [])
    for i, a in enumerate(addresses):
        if not isinstance(a, str) or not _network(a):
            raise r.fail(f"unlimited_addresses[{i}]",
                         f"expected an address or network, e.g. \"192.168.10.20\" or "
                         f"\"10.0.0.0/24\", got {a!r}")
    limits = replace(
        d, unlimited_addresses=tuple(addresses),
        public_burst=r.get("public_burst", int, d.public_burst,
                           check=lambda v: 1 <= v <= 10_000, why="1 to 10000"),
        public_per_minute=float(r.get("public_per_minute", (int, float), d.public_per_minute,
                                      check=lambda v: 0 < v <= 60_000, why="above 0, to 60000")),
        max_streams=r.get("max_streams", int, d.max_streams,
                          check=lambda v: 1 <= v <= 100_000, why="1 to 100000"))
    r.done()
    return limits


def _unique(readers: list[TomlReader], values: list[Any], name: str, what: str) -> None:
    seen: set[Any] = set()
    for r, v in zip(readers, values):
        if v in seen:
            raise r.fail(name, f"{what} {v!r} is used twice")
        seen.add(v)


def _notifications_and_appointments(root: TomlReader, site: Site, folder: Path
                                    ) -> tuple[Any, Any, Any]:
    """[notifications] (with [notifications.sms]) and [appointments.rdv_service_public]: each
    capability checks its own table (its parse raises ValueError saying what is wrong)."""
    from .appointments.rdv_service_public import settings as rdv_settings
    from .notifications.settings import NotifySettings
    from .notifications.sms import settings as sms_settings
    table = dict(root.get("notifications", dict, {}))
    sms_table = table.pop("sms", None)
    try:
        notify = NotifySettings.parse(table)
    except ValueError as exc:
        raise ConfigError(root.file, "notifications", str(exc)) from None
    sms = None
    if sms_table is not None:
        try:
            sms = sms_settings.parse(sms_table, folder)
        except ValueError as exc:
            raise ConfigError(root.file, "notifications.sms", str(exc)) from None
    appointments = root.get("appointments", dict, {})
    extra = sorted(set(appointments) - {"rdv_service_public"})
    if extra:
        raise ConfigError(root.file, f"appointments.{extra[0]}", "unknown key (misspelt?): the "
                          "appointment rules of a service go in its [services.appointments]")
    rdv = None
    if "rdv_service_public" in appointments:
        try:
            rdv = rdv_settings.parse(appointments["rdv_service_public"], folder,
                                     [s.id for s in site.services])
        except rdv_settings.SettingsError as exc:  # it names the key itself
            raise ConfigError(root.file, exc.key, exc.reason) from None
    return notify, sms, rdv


def parse(data: dict[str, Any], file: str = "<config>") -> Settings:
    """The settings, or a ConfigError. A key unknown here in a file written for a newer Suivant
    is said to be one; renamed keys are read under their new name, with a warning."""
    version, refused = site_versions.written_for(data)
    if refused:
        raise ConfigError(file, site_versions.VERSION_KEY, refused)
    data, renamed = site_versions.rename_keys(data)
    for old, warning in renamed:
        if warning is None:
            raise ConfigError(file, old, f"deprecated name of {site_versions.RENAMED[old][0]}, "
                                         "which the file has too: keep only the new one")
    try:
        settings = _parse({k: v for k, v in data.items() if k != site_versions.VERSION_KEY}, file)
    except ConfigError as exc:
        if "unknown key" in exc.reason and site_versions.newer_than_running(version):
            raise ConfigError(file, exc.key, site_versions.unknown_key_reason(
                version, exc.reason)) from None
        raise
    return replace(settings, warnings=tuple(w for _, w in renamed if w))


def _parse(data: dict[str, Any], file: str) -> Settings:
    root = TomlReader(file, data)
    site_r = root.child("site", root.get("site", dict))
    rules_r = root.child("rules", root.get("rules", dict, {}))
    hours_r = root.child("hours", root.get("hours", dict, {}))
    store_r = root.child("store", root.get("store", dict, {}))
    web_r = root.child("web", root.get("web", dict, {}))
    privacy_r = root.child("privacy", root.get("privacy", dict, {}))
    printer_table = root.get("printer", dict, None)
    printer_r = None if printer_table is None else root.child("printer", printer_table)

    service_rs = root.tables("services", required=True)
    services = [_service(r) for r in service_rs]
    _unique(service_rs, [s.id for s in services], "id", "service id")
    _unique(service_rs, [s.letter for s in services], "letter", "letter")

    known = {s.id for s in services}
    counter_rs = root.tables("counters", required=True)
    counters = []
    for r in counter_rs:
        number = r.get("number", int, check=lambda v: 1 <= v <= 999, why="must be 1 to 999")
        served = r.get("services", list, check=bool, why="at least one service")
        for i, sid in enumerate(served):
            if not isinstance(sid, str):
                raise r.fail(f"services[{i}]", f"expected a service id (str), got {sid!r}")
            if sid not in known:
                raise r.fail(f"services[{i}]", f"unknown service {sid!r} (known: {', '.join(sorted(known))})")
        if len(set(served)) != len(served):
            raise r.fail("services", "a service is listed twice")
        offers = r.get("offers", list, [])
        for i, need in enumerate(offers):
            if need not in NEEDS:
                raise r.fail(f"offers[{i}]", f"unknown need {need!r} (known: {', '.join(NEEDS)})")
        if len(set(offers)) != len(offers):
            raise r.fail("offers", "a need is listed twice")
        counters.append(Counter(number, r.get("name", str, f"Guichet {number}"), tuple(served),
                                tuple(offers)))
        r.done()
    _unique(counter_rs, [k.number for k in counters], "number", "counter number")

    cat_rs = root.tables("priority_categories")
    categories = []
    for r in cat_rs:
        categories.append(PriorityCategory(r.get("id", str, check=_slug, why="lowercase letters, digits and dashes"),
                                           r.get("name", str, check=bool, why="must not be empty")))
        r.done()
    _unique(cat_rs, [k.id for k in categories], "id", "category id")

    rules = Rules(
        guard_seconds=float(rules_r.get("guard_seconds", (int, float), 2.0, check=lambda v: 0 <= v <= 60, why="0 to 60")),
        max_recalls=rules_r.get("max_recalls", int, 3, check=lambda v: 0 <= v <= 20, why="0 to 20"),
        recall_min_delay_seconds=float(rules_r.get("recall_min_delay_seconds", (int, float), 10.0,
                                                   check=lambda v: 0 <= v <= 3600, why="0 to 3600")),
        priority_max_in_row=rules_r.get("priority_max_in_row", int, 3, check=lambda v: v >= 1, why="must be ≥ 1"),
        priority_starvation_minutes=float(rules_r.get("priority_starvation_minutes", (int, float), 20.0,
                                                      check=lambda v: 0 <= v <= 1440, why="minutes, 0 to 1440")),
        refuse_outside_hours=rules_r.get("refuse_outside_hours", bool, True),
        undo_absent_seconds=float(rules_r.get("undo_absent_seconds", (int, float), 60.0,
                                              check=lambda v: 0 <= v <= 300, why="0 to 300")),
        comeback_minutes=_minutes(rules_r, "comeback_minutes", 0, 0, 120),
        comeback_after=rules_r.get("comeback_after", int, 2, check=lambda v: 0 <= v <= 50,
                                   why="0 to 50 tickets"),
        delay_minutes=_minutes(rules_r, "delay_minutes", 0, 0, 60),
    )
    rules_r.done()
    hours = OpeningHours({i: _ranges(hours_r, d) for i, d in enumerate(WEEKDAYS) if d in hours_r.table})
    hours_r.done()
    if rules.refuse_outside_hours and not any(hours.days.values()):
        raise ConfigError(file, "hours", "no opening hours while rules.refuse_outside_hours is true: "
                                         "every ticket would be refused")

    site = Site(
        id=site_r.get("id", str, check=_slug, why="lowercase letters, digits and dashes"),
        name=site_r.get("name", str, check=bool, why="must not be empty"),
        timezone=site_r.get("timezone", str, "Europe/Paris", check=_timezone, why="unknown IANA time zone"),
        services=tuple(services), counters=tuple(counters), categories=tuple(categories),
        rules=rules, hours=hours,
    )
    site_r.done()

    user_rs = root.tables("users")
    users = []
    for r in user_rs:
        users.append(User(
            name=r.get("name", str, check=_slug, why="lowercase letters, digits and dashes"),
            role=r.get("role", str, check=lambda v: v in ROLES, why=f"one of {', '.join(ROLES)}"),
            token_sha256=r.get("token_sha256", str, check=lambda v: bool(_HEX64.match(v)),
                               why="64 lowercase hex digits (see `suivant hash-token`)"),
            counters=tuple(r.get("counters", list, [])),
        ))
        numbers = {k.number for k in counters}
        for i, n in enumerate(users[-1].counters):
            if isinstance(n, bool) or not isinstance(n, int):
                raise r.fail(f"counters[{i}]", f"expected a counter number, got {n!r}")
            if n not in numbers:
                raise r.fail(f"counters[{i}]", f"unknown counter {n!r}")
        r.done()
    _unique(user_rs, [u.name for u in users], "name", "user name")
    _unique(user_rs, [u.token_sha256 for u in users], "token_sha256", "token")

    notify, sms, rdv = _notifications_and_appointments(root, site, Path(file).parent)
    mqtt_table = root.get("mqtt", dict, None)
    limits_table = root.get("limits", dict, None)
    network_table = root.get("network", dict, None)
    backup_table = root.get("backup", dict, None)
    from .questions.settings import QuestionSettings
    try:
        questions = QuestionSettings.parse(root.get("questions", dict, None),
                                           frozenset(k.number for k in counters))
    except ValueError as exc:
        raise ConfigError(file, "questions", str(exc)) from None
    settings = Settings(
        site=site, users=tuple(users),
        db_path=store_r.get("path", str, "suivant.db", check=bool, why="must not be empty"),
        synchronous=store_r.get("synchronous", str, "FULL", check=lambda v: v in SYNC_MODES,
                                why=f"one of {', '.join(SYNC_MODES)}"),
        source=file,
        retention_days=store_r.get("retention_days", int, 400, check=lambda v: 31 <= v <= 3660,
                                   why="31 to 3660 days (the detail of a day is kept that long)"),
        devices_path=store_r.get("devices_path", str, "devices.db", check=bool,
                                 why="must not be empty"),
        mqtt=_mqtt(None if mqtt_table is None else root.child("mqtt", mqtt_table), site.id),
        serial_ports=_serial_ports(root.tables("serial")),
        public_url=web_r.get("public_url", str, None, check=_public_url,
                             why="an http:// or https:// address without a query, e.g. "
                                 "https://file.mairie.fr"),
        figures_per_counter=privacy_r.get("figures_per_counter", bool, False),
        limits=None if limits_table is None else _limits(root.child("limits", limits_table)),
        network=None if network_table is None else parse_network(
            root.child("network", network_table), site.id, Path(file).parent),
        printer=None if printer_r is None else PrinterSettings(
            printer_r.get("url", str, check=valid_printer_url,
                          why="tcp://HOST[:PORT], usb:VVVV:PPPP (hex ids) or file:/dev/usb/lp0"),
            printer_r.get("footer", str, "", check=lambda v: len(v) <= 200,
                          why="at most 200 characters")),
        notify=notify, sms=sms, rdv_service_public=rdv, questions=questions,
        backup=BackupSettings() if backup_table is None else parse_backup(
            root.child("backup", backup_table), Path(file).parent),
    )
    store_r.done()
    web_r.done()
    privacy_r.done()
    if printer_r is not None:
        printer_r.done()
    root.done()
    return settings


def read_toml(path: str | Path) -> dict[str, Any]:
    """The file's TOML, or a ConfigError saying why not."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(file, "-", f"cannot read the file ({exc.strerror or exc})") from None
    try:
        # utf-8-sig: Windows Notepad starts the file with a byte order mark; TOML has none
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(file, "-", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "-", f"not valid TOML: {exc}") from None


def load(path: str | Path) -> Settings:
    file = str(path)
    settings = parse(read_toml(path), file)
    folder = Path(path).resolve().parent  # relative paths are read from the file's folder
    db, devices = Path(settings.db_path), Path(settings.devices_path)
    ca = settings.mqtt.ca_file
    return replace(settings, db_path=str(db if db.is_absolute() else folder / db),
                   devices_path=str(devices if devices.is_absolute() else folder / devices),
                   mqtt=replace(settings.mqtt, ca_file=None if ca is None else
                                str(Path(ca) if Path(ca).is_absolute() else folder / ca)))
