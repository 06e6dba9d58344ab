"""The bridge answering, its broker taking its account, and each board heard lately."""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone

from ..site_config import Settings
from ..store.sqlite_copy import file_uri
from .bridge_view import NO_TOKEN, NOT_THIS_SITE, BridgeView
from .broker_probe import ProbeError, probe
from .report import Finding, fail, ok, skip, warn

SERVICE = "suivant"  # the systemd unit `suivant init` writes; named in the advice


def serving_pid(db_path: str) -> int | None:
    """The pid of a live `suivant serve` holding this database's lock (store/bridge_lock.py),
    from what the bridge wrote in the lock file: read, never locked (a bridge starting at
    that moment would find it taken)."""
    try:
        with open(f"{db_path}.lock", "rb") as f:
            said = f.read(200).decode("utf-8", "replace")
        pid = int(said.rsplit("(pid ", 1)[1].rstrip(")"))
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return pid if b"serve" in f.read(4096).split(b"\0") else None
    except (OSError, IndexError, ValueError):
        return None


def bridge(settings: Settings, view: BridgeView) -> list[Finding]:
    if view.stranger:
        return [fail("bridge", f"something answers at {view.url}/api/health but it is not a "
                     f"Suivant bridge ({view.error})",
                     "another program listens there: give doctor the bridge's address "
                     "(--url http://HOST:PORT, as in its unit's --host and --port)")]
    if view.health is None:
        found = f"nothing answers at {view.url}/api/health ({view.error})"
        pid = serving_pid(settings.db_path)
        if pid is not None:
            return [fail("bridge", f"{found}, yet a bridge (pid {pid}) serves this database",
                         f"it listens elsewhere (give doctor its address: --url http://HOST:PORT,"
                         f" as in its unit's --host and --port), or it hangs: systemctl restart "
                         f"{SERVICE}")]
        return [fail("bridge", found,
                     f"start the bridge: systemctl start {SERVICE}; why it stopped: "
                     f"journalctl -u {SERVICE} -n 50. If it listens elsewhere, give "
                     f"doctor --url http://HOST:PORT")]
    site = view.health.get("site")
    if site != settings.site.id:
        return [fail("bridge", f"{view.url} serves site {site!r}, not {settings.site.id!r}",
                     "doctor is looking at another site's bridge: give the right --url, or "
                     "the right --config")]
    day = view.health.get("day") or "no day started yet"
    return [ok("bridge", f"{view.url} answers: {day}, last event #{view.health.get('last_seq')}")]


def broker(settings: Settings, view: BridgeView) -> list[Finding]:
    mqtt = settings.mqtt
    where = f"{'mqtts' if mqtt.tls else 'mqtt'}://{mqtt.host}:{mqtt.port}"
    kind = "the embedded broker (inside the bridge)" if mqtt.embedded else f"the broker {where}"
    account = f" as {mqtt.username}" if mqtt.username else ""
    state = (view.health or {}).get("mqtt")
    if state == "connected":  # its own connection proves it; a second one would push it off
        return [ok("broker", f"the bridge is connected to {kind}{account}")]
    if view.health is not None and state is None:
        return [warn("broker", f"{view.url} does not say whether it reaches {kind}",
                     "this bridge is older than this doctor: look for 'MQTT' in its log "
                     f"(journalctl -u {SERVICE} -n 50)")]
    if mqtt.embedded:  # it lives in the bridge: whatever else answers there is not it
        if view.stranger:
            return [warn("broker", f"{kind} cannot be checked: no bridge found",
                         "see the bridge line")]
        if view.health is None:
            return [fail("broker", f"{kind} is down with the bridge",
                         _broker_advice(settings, ""))]
        return [fail("broker", f"the bridge is not connected to {kind}",
                     f"restart the bridge (systemctl restart {SERVICE}); its log says why")]
    pid = serving_pid(settings.db_path) if view.health is None else None
    if pid is not None:  # it may be connected: a second connection would push it off
        return [warn("broker", f"{kind} not checked: the bridge (pid {pid}) runs but does not "
                     f"answer at {view.url}, and it may be connected with this account",
                     "see the bridge line; doctor checks the broker once it finds the bridge")]
    try:
        probe(mqtt, mqtt.client_id or f"suivant-bridge-{settings.site.id}")
    except ProbeError as exc:
        return [fail("broker", f"{kind} {exc}", _broker_advice(settings, exc.kind))]
    if state == "disconnected":
        return [warn("broker", f"{kind} takes the bridge's account{account}, but the bridge is "
                     "not connected to it right now",
                     "it reconnects within 30 s by itself; if this lasts, restart the bridge "
                     f"(systemctl restart {SERVICE}) and read its log")]
    return [ok("broker", f"{kind} takes the bridge's account{account}")]


def _broker_advice(settings: Settings, kind: str) -> str:
    mqtt = settings.mqtt
    if mqtt.embedded:
        return ("the embedded broker runs inside the bridge: start the bridge (see the bridge "
                "line); the boards wait for it")
    if kind == "refused":
        return ("the user name and password in the site file's [mqtt] must be the ones the "
                "broker knows: run `suivant broker-config` again with this site file and reload "
                "Mosquitto (systemctl reload mosquitto)")
    if kind == "tls":
        return ("the broker's certificate must be signed by the CA in [mqtt] ca_file, name "
                f"{mqtt.host}, and be in date (check this server's clock too)")
    return (f"start Mosquitto (systemctl status mosquitto; journalctl -u mosquitto -n 50), and "
            f"check that it listens on port {mqtt.port} of {mqtt.host} and that no firewall "
            f"is in between")


def _ago(seconds: float) -> str:
    return f"{seconds / 60:.0f} min ago" if seconds >= 90 else f"{seconds:.0f} s ago"


def _name(board: dict) -> str:
    counter = board.get("counter")
    return f"{board['id']} ({board.get('role')}{f' {counter}' if counter else ''})"


def _never_heard(settings: Settings) -> tuple[list[dict], str | None]:
    """The registered boards from the registry file (read only), and those never heard at
    all (no boot ever recorded)."""
    if not os.path.exists(settings.devices_path):
        return [], None  # made at the bridge's first start, with the first `device add`
    try:
        db = sqlite3.connect(file_uri(settings.devices_path, "ro"), uri=True, timeout=1.0)
        try:
            rows = db.execute("SELECT id, role, counter, link, boot FROM devices "
                              "ORDER BY id").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [], f"{settings.devices_path}: {exc}"
    return [{"id": r[0], "role": r[1], "counter": r[2], "link": r[3], "never": r[4] is None}
            for r in rows], None


def _advice(settings: Settings, heard_once: bool, never: bool, wired: bool) -> str:
    out = []
    if heard_once:
        out.append("check its power and Wi-Fi" + (" (or its cable, for a wired one)"
                                                  if wired else ""))
    if never:
        account = "" if settings.mqtt.embedded else (", and that the broker knows its account "
                                                     "(suivant broker-config)")
        out.append("a board never heard needs flashing with this site's settings (suivant "
                   f"device flash){account}")
    return "; ".join(out)


def boards(settings: Settings, view: BridgeView, quiet_after_s: float) -> list[Finding]:
    registered, error = _never_heard(settings)
    if error is not None:
        return [fail("boards", f"cannot read the device registry {error}",
                     "check [store] devices_path in the site file; `suivant device list "
                     "--config FILE` reads the same file")]
    if not registered:
        return [skip("boards", "no boards registered")]
    never = {b["id"] for b in registered if b["never"]}
    if view.devices is None:
        no_token = view.health is not None and view.devices_error == NO_TOKEN
        why = ("the bridge is not answering" if view.health is None else
               "give doctor a supervisor's token (--token-file)" if no_token else
               "what answers is not this site's bridge" if view.devices_error == NOT_THIS_SITE
               else f"the bridge said {view.devices_error}")
        found = f"{len(registered)} registered; when each was last heard is unknown: {why}"
        how = "docs/operations.md, section 18, says how to make doctor's token" if no_token \
            else "see the bridge line"
        if never:  # the registry file says so by itself: no boot ever recorded
            listed = ", ".join(_name(b) for b in registered if b["never"])
            return [fail("boards", f"{found}; never heard at all: {listed}",
                         _advice(settings, False, True, False) + f"; {how}")]
        return [warn("boards", found, how)]
    now = datetime.now(timezone.utc)
    quiet, heard_once, unheard, wired = [], False, False, False
    for board in view.devices:
        seen = board.get("last_seen")
        age = (now - datetime.fromisoformat(seen)).total_seconds() if seen else None
        if age is not None and board.get("online") and age <= quiet_after_s:
            continue
        if board["id"] in never:
            quiet.append(f"{_name(board)}: never heard at all")
            unheard = True
            continue
        quiet.append(f"{_name(board)}: " + ("not heard since the bridge started" if age is None
                                            else f"last heard {_ago(age)}"))
        heard_once = True
        wired |= board.get("link") == "serial"
    if not quiet:
        return [ok("boards", f"{len(view.devices)} registered, all heard in the last "
                   f"{quiet_after_s:g} s")]
    return [fail("boards", f"{len(quiet)} of {len(view.devices)} quiet: {'; '.join(quiet)}",
                 _advice(settings, heard_once, unheard, wired))]
