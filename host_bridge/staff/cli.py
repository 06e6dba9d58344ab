"""`suivant agent ...`: the site's named staff accounts from the command line.

    suivant agent add --config site.toml claire --name "Claire Martin" --role agent --counters 1,2
    suivant agent list --config site.toml
    suivant agent reset-password --config site.toml claire     # also unlocks, ends her sessions
    suivant agent disable --config site.toml claire            # enable: the other way
    suivant agent audit --config site.toml [--actor claire] [--after ID] [--limit N]

Passwords are asked twice on the terminal, or read as one line from stdin with
--password-stdin (a script's pipe): never from the command line, which `ps` and the shell's
history would keep. Every command works on the staff file beside the site's queue ([store]
path: suivant.db -> suivant.staff.db), the one the bridge uses; --db as `suivant serve --db`.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from ..service.clock import SiteClock
from ..site_config import load
from .accounts import AccountRefused
from .directory import StaffDirectory, staff_path


class AgentCliError(Exception):
    """A refusal to print as `suivant: <message>` with exit status 2."""


def _directory(args: argparse.Namespace) -> StaffDirectory:
    settings = load(args.config)
    site = settings.site
    return StaffDirectory(staff_path(args.db or settings.db_path), SiteClock(site.timezone),
                          SiteClock(site.timezone).tz,
                          frozenset(k.number for k in site.counters),
                          reserved=frozenset(u.name for u in settings.users))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_password(args: argparse.Namespace, refused: type[Exception]) -> str:
    """A new password: one line of stdin with --password-stdin, else asked twice on the
    terminal (`refused` when the two differ). Central's accounts ask the same way."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password (12 to 128 characters): ")
    if getpass.getpass("The same again: ") != first:
        raise refused("the two passwords differ: nothing changed")
    return first


def _password(args: argparse.Namespace) -> str:
    return read_password(args, AgentCliError)


def _counters(text: str) -> list[int]:
    try:
        return [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("counter numbers separated by commas, e.g. 1,2") from None


def _run(args: argparse.Namespace, fn) -> int:
    staff = _directory(args)
    try:
        fn(staff)
    except AccountRefused as exc:
        raise AgentCliError(f"nothing changed: {exc}") from None
    finally:
        staff.close()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    password = _password(args)

    def add(staff: StaffDirectory) -> None:
        a = staff.create(_actor(), args.login, args.name, args.role, args.counters or [],
                         password, via="cli")
        print(f"{a.login}: {a.name}, {a.role}"
              f"{', counters ' + ', '.join(map(str, a.counters)) if a.counters else ''} — added")
    return _run(args, add)


def cmd_list(args: argparse.Namespace) -> int:
    def show(staff: StaffDirectory) -> None:
        accounts = staff.accounts()
        for a in accounts:
            state = "disabled" if a["disabled"] else "locked" if a["locked"] else "active"
            counters = ",".join(map(str, a["counters"])) or "all"
            print(f"{a['login']:<20} {a['role']:<11} counters {counters:<12} {state:<9} {a['name']}")
        if not accounts:
            print("no named account yet: `suivant agent add --config ... LOGIN --name ...`")
    return _run(args, show)


def cmd_reset_password(args: argparse.Namespace) -> int:
    password = _password(args)

    def reset(staff: StaffDirectory) -> None:
        staff.change(_actor(), args.login, "cli", password=password)
        print(f"{args.login}: new password set, account unlocked, its sessions ended")
    return _run(args, reset)


def cmd_disable(args: argparse.Namespace, disabled: bool = True) -> int:
    def change(staff: StaffDirectory) -> None:
        staff.change(_actor(), args.login, "cli", disabled=disabled, unlock=not disabled)
        print(f"{args.login}: {'disabled, its sessions ended' if disabled else 'enabled'}")
    return _run(args, change)


def cmd_audit(args: argparse.Namespace) -> int:
    def show(staff: StaffDirectory) -> None:
        for e in staff.store.audit_after(args.after, args.limit, args.actor):
            at = datetime.fromtimestamp(e["at"], staff.tz).isoformat(timespec="seconds")
            where = f"counter {e['counter']}" if e["counter"] is not None else ""
            parts = [str(e["id"]), at, e["actor"] or "-", e["action"], where, e["label"] or "",
                     f"-> {e['target']}" if e["target"] else "", e["detail"] or "",
                     f"({e['via']})" if e["via"] else "", e["address"] or ""]
            print("  ".join(p for p in parts if p))
    return _run(args, show)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    agent = sub.add_parser("agent", help="the named staff accounts: add, list, reset a password, "
                                         "disable, read the audit log",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = agent.add_subparsers(dest="agent_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", required=True, help="site TOML file (its [store] path: the "
                                                       "staff file is beside the queue's)")
        p.add_argument("--db", help="the queue's file if the bridge runs with `serve --db`")

    p = commands.add_parser("add", help="add a named account (asks its password)")
    common(p)
    p.add_argument("login", help="lowercase letters, digits and dashes (1 to 40)")
    p.add_argument("--name", required=True, help="the person's name, as the pages show it")
    p.add_argument("--role", required=True, choices=("agent", "supervisor", "admin"))
    p.add_argument("--counters", type=_counters, help="the counters an agent may use, e.g. 1,2 "
                                                      "(default: every counter)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from stdin instead of asking it")
    p.set_defaults(func=cmd_add)

    p = commands.add_parser("list", help="every named account, its role, counters and state")
    common(p)
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("reset-password", help="set a new password (asks it); unlocks the "
                                                   "account and ends its sessions")
    common(p)
    p.add_argument("login")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from stdin instead of asking it")
    p.set_defaults(func=cmd_reset_password)

    p = commands.add_parser("disable", help="refuse the account's sign-ins and end its sessions")
    common(p)
    p.add_argument("login")
    p.set_defaults(func=cmd_disable)

    p = commands.add_parser("enable", help="accept a disabled account's sign-ins again")
    common(p)
    p.add_argument("login")
    p.set_defaults(func=lambda a: cmd_disable(a, disabled=False))

    p = commands.add_parser("audit", help="the audit log of staff actions, oldest first")
    common(p)
    p.add_argument("--actor", help="only this account's actions (a login, or a token's name)")
    p.add_argument("--after", type=int, default=0, help="entries after this id")
    p.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    p.set_defaults(func=cmd_audit)
