"""`suivant`: run the bridge, check a site config, run the demo, make staff tokens; the device
registry and the broker's config (cli_devices.py); the named staff accounts (staff/cli.py);
the network's central service (central/cli.py); today's appointments (appointments/cli.py)."""
from __future__ import annotations

import argparse
import dataclasses
import errno
import hashlib
import logging
import os
import secrets
import socket
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import bundled, cli_files
from .arg_types import bounded
from .cli_devices import CliError, add_parsers
from .site_config import ConfigError, Settings, load, read_toml
from .appointments import cli as appointments_cli
from .backup import cli as backup_cli
from .central import cli as central_cli
from .doctor import cli as doctor_cli
from .install import cli as install_cli
from .install.proxy import root_path as proxy_root_path
from .staff import cli as agent_cli
from .site_versions import running_version
from .toml_writer import dumps

DEMO_TOKENS = {"agent": "demo-agent", "supervisor": "demo-superviseur", "admin": "demo-admin",
               "kiosk": "demo-borne"}
# The demo's named accounts (login, name, role), all with DEMO_PASSWORD: printed in its banner
DEMO_ACCOUNTS = (("camille", "Camille Martin", "agent"), ("sacha", "Sacha Bernard", "agent"),
                 ("dominique", "Dominique Petit", "supervisor"), ("alex", "Alex Durand", "admin"))
DEMO_PASSWORD = "suivant-demo"


class UsageError(Exception):
    def __init__(self, message: str, in_use: bool = False):
        super().__init__(message)
        self.in_use = in_use


_port = bounded(int, 0, 65535, "port", "a port number")
_pace = bounded(float, 0.1, 1000, "pace")


def _bind_check(host: str, port: int) -> int:
    """The port we could listen on (0: one the OS picks); UsageError if it cannot be bound.
    Binds as uvicorn does: a port left in TIME_WAIT by a killed bridge is not "taken"."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}",
                             in_use=exc.errno == errno.EADDRINUSE) from None
        return s.getsockname()[1]


def _free_port(host: str, wanted: int, what: str = "") -> int:
    """`wanted` if it can be bound; otherwise say so and pick a free one."""
    try:
        return _bind_check(host, wanted)
    except UsageError as exc:
        if not exc.in_use:
            raise
    print(f"{what + ' ' if what else ''}port {wanted} on {host} is taken; using a free one instead",
          file=sys.stderr)
    return _bind_check(host, 0)


def _serve(settings: Settings, host: str, port: int, banner: str = "",
           extras: Callable[[Any], list[str]] | None = None, clock: Any = None,
           proxy: dict[str, Any] | None = None) -> int:
    """Build, start the links, then `extras(bridge)` (the demo's boards and desk view: it
    returns lines for the banner), then serve HTTP until stopped."""
    import uvicorn  # imported here: check-config stays fast and needs no server

    from .bootstrap import build
    from .store.bridge_lock import DatabaseInUse, LockNotOpened
    from .store.sqlite_store import SchemaMismatch

    try:
        bridge = build(settings, clock, serving=True)
    except DatabaseInUse as exc:
        raise UsageError(f"{exc}: one bridge per database; stop that one first") from None
    except LockNotOpened as exc:
        raise UsageError(str(exc)) from None
    except (sqlite3.Error, SchemaMismatch) as exc:
        raise UsageError(f"cannot open the store {settings.db_path}: {exc}") from None
    try:
        try:
            bridge.start_links()
        except SchemaMismatch as exc:  # a side file (staff, appointments) from a newer Suivant
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise UsageError(f"{exc}: set [mqtt] embedded_port, or url to use a running "
                             "broker") from None
        mqtt = settings.mqtt
        lines = extras(bridge) if extras else []
        say = _sayer()
        say(f"Suivant {running_version()} bridge for {settings.site.name}: "
            f"http://{host}:{port}/  (store: {settings.db_path})")
        say(f"  devices: MQTT {'embedded broker' if mqtt.embedded else 'broker'} "
            f"{'mqtts' if mqtt.tls else 'mqtt'}://{mqtt.host}:{mqtt.port}, "
            f"{len(bridge.registry.all())} registered ({settings.devices_path})")
        if settings.network is not None:
            say(f"  network: events and state to central at {', '.join(settings.network.urls)} "
                f"as {settings.network.user} (GET /api/health shows the link)")
        for line in lines:
            say(line)
        if banner:
            say(banner)
        from .api.limits import server_options  # connections and request heads bounded
        # uvicorn's loggers go to the handler log_format set (log_config=None); no access
        # log: a request's path can hold a ticket's id, which opens its page
        config = uvicorn.Config(bridge.app, host=host, port=port, log_level="warning",
                                log_config=None, access_log=False,
                                **server_options(bridge.app.state.limits), **(proxy or {}))
        _Server(config, bridge).run()
    finally:
        bridge.close()
    return 0


def _Server(config: Any, bridge: Any) -> Any:
    """uvicorn's server, which also tells the bridge's long polls (the citizens' questions)
    that it stops: they answer at once, instead of holding the stop until its grace period
    ends and uvicorn logs an error."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            questions = getattr(bridge.app.state, "questions", None)
            if questions is not None:
                questions.changes.close()

    return Server(config)


def _sayer(level: int = logging.INFO, file: Any = None) -> Callable[[str], None]:
    """How `serve` says a line of its own (the banner, a deprecation): printed, or, when the
    logs are JSON lines, logged (a collector reads every line of the journal as JSON)."""
    from . import log_format
    if not log_format.json_lines():
        return lambda line: print(line, file=file)
    logger = logging.getLogger("host_bridge.serve")
    return lambda line: logger.log(level, line.strip(), extra={"event": "start"})


def _logging(fmt: str | None = None, level: str | None = None) -> None:
    from . import log_format
    try:
        log_format.configure(fmt, level)
    except ValueError as exc:  # from SUIVANT_LOG_FORMAT / SUIVANT_LOG_LEVEL
        raise UsageError(str(exc)) from None


def cmd_serve(args) -> int:
    settings = load(args.config)
    _logging(args.log_format, args.log_level)
    if args.db:  # the queue only: the registry stays the site file's, which `suivant device
        settings = dataclasses.replace(settings, db_path=args.db)  # --config` changes
    _bind_check(args.host, args.port)  # fail with a clear message before building anything
    clock = None
    if args.sim_start or args.sim_speed or args.sim_epoch:
        from datetime import datetime

        from .service.clock import AcceleratedClock
        if not (args.sim_start and args.sim_speed and args.sim_epoch):
            raise UsageError("--sim-start, --sim-speed and --sim-epoch go together")
        try:
            clock = AcceleratedClock(datetime.fromisoformat(args.sim_start), args.sim_speed,
                                     args.sim_epoch)
        except ValueError as exc:
            raise UsageError(f"simulated clock: {exc}") from None
    warn = _sayer(logging.WARNING, sys.stderr)
    for line in [*settings.warnings, *shared_agent_tokens(settings, args.config)]:
        warn(line)
    from .install.proxy import uvicorn_options  # behind a reverse proxy (install/proxy.py)
    return _serve(settings, args.host, args.port, clock=clock,
                  proxy=uvicorn_options(args.root_path, args.forwarded_allow_ips))


def shared_agent_tokens(settings: Settings, file: str) -> list[str]:
    """A warning per [[users]] token of role agent: people sign in with named accounts now;
    tokens are for machines (kiosk, hall screen, scripts). Deprecated, still accepted."""
    out = []
    for u in settings.users:
        if u.role == "agent":
            counters = f" --counters {','.join(map(str, u.counters))}" if u.counters else ""
            out.append(f"warning: [[users]] {u.name!r} is a shared agent token (deprecated: its "
                       f"actions name no person). Give each agent an account — suivant agent add "
                       f"--config {file} LOGIN --name \"First Last\" --role agent{counters} — then "
                       f"remove this token; keep tokens for machines")
    return out


def cmd_check_config(args) -> int:
    settings = load(args.file)
    site = settings.site
    print(f"{args.file}: valid — {site.name}: {len(site.services)} services, "
          f"{len(site.counters)} counters, {len(site.categories)} priority categories, "
          f"{len(settings.users)} staff tokens{_named_accounts(settings)}")
    for line in [*settings.warnings, *shared_agent_tokens(settings, args.file)]:
        print(line)  # on stdout: the file is valid; stderr is for what stops it
    return 0


def _named_accounts(settings: Settings) -> str:
    """", N named accounts" from the staff file beside the database (`suivant agent`, `suivant
    init`), when it exists and this user may read it; "" otherwise (a file checked elsewhere)."""
    from .staff import staff_path
    from .staff.store import active_accounts
    path = staff_path(settings.db_path)
    count = active_accounts(path) if Path(path).is_file() else None
    return "" if count is None else f", {count} named account{'s' if count != 1 else ''}"


def cmd_demo(args) -> int:
    load(args.config)  # refused here, with its file: key: reason, before anything is made
    _logging(None, os.environ.get("SUIVANT_LOG_LEVEL") or "warning")  # the banner stays readable
    folder = Path(tempfile.mkdtemp(prefix="suivant-demo-"))
    try:
        return _demo(args, folder)
    finally:  # a demo leaves nothing behind: its queue, accounts, questions, site copy
        shutil.rmtree(folder, ignore_errors=True)


def _demo(args, folder: Path) -> int:
    # the demo runs on a copy of the config, open at any hour: the administration page
    # writes its changes there, never into the example
    doc = read_toml(args.config)
    doc.setdefault("rules", {})["refuse_outside_hours"] = False
    # the example's appointments are at 09:00-11:45: the demo books the same citizens from now on
    from simulators.demo_appointments import demo_calendars, visitor_lines
    booked = demo_calendars(doc, Path(args.config).resolve().parent, folder,
                            datetime.now(ZoneInfo(doc.get("site", {}).get("timezone",
                                                                            "Europe/Paris"))))
    copy = folder / "site.toml"
    copy.write_text(dumps(doc, f"The demo's copy of {args.config}"), encoding="utf-8")
    settings = load(copy)
    db = folder / "demo.db"
    broker = settings.mqtt
    if broker.embedded:
        broker = dataclasses.replace(broker, port=_free_port("127.0.0.1", 1883,
                                                             "the demo broker's MQTT"))
    settings = dataclasses.replace(settings, db_path=str(db), mqtt=broker,
                                   devices_path=str(db.with_name("devices.db")))
    demo_accounts(settings)
    port = _free_port(args.host, args.port)
    base = f"http://{args.host}:{port}"
    logins = {role: " or ".join(a[0] for a in DEMO_ACCOUNTS if a[2] == role)
              for role in ("agent", "supervisor", "admin")}
    banner = "\n".join([
        f"  kiosk:               {base}/borne#kiosk={DEMO_TOKENS['kiosk']}   (signed in: "
        "not rate-limited)",
        f"  hall screen:         {base}/salle   (click it once to hear the calls)",
        f"  agent console:       {base}/guichet?guichet=1   (login {logins['agent']})",
        f"  supervision:         {base}/supervision   (login {logins['supervisor']})",
        f"  administration:      {base}/admin   (login {logins['admin']})",
        f"  demo password:       {DEMO_PASSWORD}   (every demo login above)",
        f"  API docs (OpenAPI):  {base}/docs",
        f"  live events (SSE):   {base}/api/events",
        f"  demo staff tokens:   agent={DEMO_TOKENS['agent']}  "
        f"supervisor={DEMO_TOKENS['supervisor']}  admin={DEMO_TOKENS['admin']}   (scripts; "
        "a shared agent token is deprecated for people)",
        "  try:  curl -X POST -H 'Content-Type: application/json' "
        f"-d '{{\"service\": \"etat-civil\"}}' {base}/api/tickets",
        f"        curl -X POST -H 'Authorization: Bearer demo-agent' {base}/api/counters/1/open",
        f"        curl -X POST -H 'Authorization: Bearer demo-agent' {base}/api/counters/1/next",
        f"  boards (virtual): curl -H 'Authorization: Bearer demo-superviseur' {base}/api/devices",
        *visitor_lines(booked),
        "  Ctrl-C stops the demo.",
    ])
    desk_port = _free_port(args.host, args.desk_port, "the desk view's")

    def boards(bridge: Any) -> list[str]:
        from simulators.demo import start_demo
        return start_demo(bridge, args.host, desk_port, base,
                          pace=None if args.no_traffic else args.pace, booked=booked)
    return _serve(settings, args.host, port, banner, extras=boards)


def demo_accounts(settings: Settings, actor: str = "demo") -> None:
    """The demo's named accounts in its staff file (the network demo's sites too). Hashed with
    cheap Argon2 parameters (their password is printed anyway, and the demo starts for every
    page test): the first sign-in hashes each again with the real ones."""
    from argon2 import PasswordHasher

    from .service.clock import SiteClock
    from .staff import StaffDirectory, staff_path
    from .staff.passwords import Passwords
    clock = SiteClock(settings.site.timezone)
    staff = StaffDirectory(staff_path(settings.db_path), clock, clock.tz,
                           passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024,
                                                              parallelism=1)))
    try:
        for login, name, role in DEMO_ACCOUNTS:
            staff.create(actor, login, name, role, [], DEMO_PASSWORD, via="demo")
    finally:
        staff.close()


def cmd_restore(args) -> int:
    """The site's database made again from central (network/restore.py does the work), or a
    backup folder put back (backup/restore.py)."""
    if args.source is not None and args.from_central:
        raise UsageError("restore from a backup folder or --from-central, not both")
    if args.source is not None:
        if args.force or args.allow_gaps:
            raise UsageError("--force and --allow-gaps go with --from-central only")
        return backup_cli.cmd_restore_backup(args)
    if not args.from_central:
        raise UsageError("say what to restore from: a backup folder (suivant restore FOLDER "
                         "--config SITE.toml) or --from-central")
    from .network.restore import RestoreError, restore
    settings = load(args.config)
    if settings.network is None:
        raise UsageError(f"{args.config} has no [network] table: this site is in no network, "
                         "central has nothing of it")
    try:
        done = restore(settings.site.id, settings.network, args.db or settings.db_path,
                       force=args.force, allow_gaps=args.allow_gaps)
    except RestoreError as exc:
        raise UsageError(f"restore: {exc}; nothing was changed") from None
    print("\n".join(done.lines()))
    return 0


def cmd_hash_token(args) -> int:
    token = args.token or secrets.token_urlsafe(24)
    if not args.token:
        print(f"token:        {token}   (give it to the person; it is not stored)")
    print(f"token_sha256: {hashlib.sha256(token.encode()).hexdigest()}   (put this in the config)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="suivant", description="Suivant queue-management host bridge.")
    p.add_argument("--version", action="version", version=f"suivant {running_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the bridge for a site")
    s.add_argument("--config", required=True, help="site TOML file")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=_port, default=8080, help="HTTP port (default 8080)")
    s.add_argument("--root-path", default="", type=proxy_root_path,
                   help="behind a reverse proxy under a prefix "
                   "(e.g. /suivant): the prefix the proxy strips; pages and links use it")
    s.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="addresses of the proxies whose X-Forwarded-Proto/For are trusted "
                        "(default 127.0.0.1; '*' trusts anyone)")
    s.add_argument("--db", help="SQLite file of the queue (default: [store] path of the config); "
                                "the device registry stays [store] devices_path of the config, "
                                "the one `suivant device --config` uses")
    s.add_argument("--log-format", choices=("text", "json"),
                   help="log lines as key=value text (default) or JSON (SUIVANT_LOG_FORMAT)")
    s.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                   help="the bridge's own log level (default info; SUIVANT_LOG_LEVEL)")
    sim = s.add_argument_group("simulated time (an accelerated day: python -m simulators.day)")
    sim.add_argument("--sim-start", help="the simulated time at --sim-epoch, ISO 8601 with offset")
    sim.add_argument("--sim-speed", type=float, help="how many times faster than real time")
    sim.add_argument("--sim-epoch", type=float, help="the real instant (Unix time) it starts")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("check-config", help="validate a site TOML file (exit 0 when valid)")
    s.add_argument("file")
    s.set_defaults(func=cmd_check_config)

    s = sub.add_parser("demo", help="the example town hall on a temporary database: virtual boards, traffic, the pages")
    s.add_argument("--config", default=str(bundled.example_site()),
                   help=f"site TOML (default: the example town hall shipped with Suivant, "
                        f"{bundled.example_site()}; `suivant files --copy-examples DIR` copies "
                        "it to edit)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_port, default=8080, help="HTTP port; a free one if taken (default 8080)")
    s.add_argument("--desk-port", type=_port, default=8090,
                   help="the desk view's port (the virtual boards); a free one if taken")
    s.add_argument("--no-traffic", action="store_true",
                   help="no simulated citizens and agents: every button is yours")
    s.add_argument("--pace", type=_pace, default=10.0,
                   help="how many times quicker than life the simulated citizens and agents "
                        "are (default 10: a service lasts about a minute)")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("hash-token", help="make a staff token and the SHA-256 the config stores")
    s.add_argument("token", nargs="?", help="hash this token instead of making a new one")
    s.set_defaults(func=cmd_hash_token)

    s = sub.add_parser("restore", help="put a backup back (suivant backup), or make the site's "
                                       "database again from central's copy of its history")
    s.add_argument("source", nargs="?", help="a backup folder `suivant backup` made (or its "
                                             "manifest.json); checked before anything changes")
    s.add_argument("--from-central", action="store_true",
                   help="from the network's central (its [network] table) instead")
    s.add_argument("--config", required=True, help="site TOML file")
    s.add_argument("--db", help="the database to write (default: [store] path of the config)")
    s.add_argument("--force", action="store_true",
                   help="replace a database that holds events (it is kept aside, renamed)")
    s.add_argument("--allow-gaps", action="store_true",
                   help="restore even if central misses events in the middle of the history")
    s.set_defaults(func=cmd_restore)
    add_parsers(sub, _port)
    cli_files.add_parsers(sub)
    backup_cli.add_parsers(sub)
    agent_cli.add_parsers(sub)
    central_cli.add_parsers(sub)
    appointments_cli.add_parsers(sub)
    doctor_cli.add_parsers(sub)
    install_cli.add_parsers(sub, _port)
    return p


def _failed(args, message: str, prefix: str = "") -> None:
    """A command's failure: printed, or, when serve's logs are JSON lines (or asked to be: it
    may fail before it configured them), logged at error: a collector reads every line."""
    from . import log_format
    if not log_format.json_lines():
        if not (hasattr(args, "log_format") and log_format.json_asked(args.log_format)):
            print(prefix + message, file=sys.stderr)
            return
        log_format.configure("json", "info")  # not the environment's level: it may be the fault
    logging.getLogger("host_bridge.serve").error(message, extra={"event": "start_failed"})


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        _failed(args, f"invalid config: {exc}")
        return 2
    except (UsageError, CliError, agent_cli.AgentCliError, central_cli.CentralCliError,
            appointments_cli.AppointmentsCliError, install_cli.InitRefused,
            backup_cli.BackupCliError) as exc:
        _failed(args, str(exc), "suivant: ")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
