"""`suivant central account …`: central's staff accounts from the command line (accounts.py).

    suivant central account add --config central.toml dsi --name "DSI du réseau" --role network
    suivant central account add --config central.toml occ --name "Occitanie" --role region \\
        --region Occitanie
    suivant central account list --config central.toml
    suivant central account reset-password --config central.toml occ   # unlocks, ends sessions
    suivant central account disable --config central.toml occ          # enable: the other way

Passwords are asked twice on the terminal, or read as one line from stdin with
--password-stdin: never from the command line (`ps` and the shell's history keep it).
"""
from __future__ import annotations

import argparse
from contextlib import contextmanager
from typing import Any

from ..staff.cli import read_password
from .cli_errors import CentralCliError as AccountCliError


def _accounts(args: argparse.Namespace) -> tuple[Any, set[str]]:
    from .accounts import CentralAccounts, migrate
    from .config import load
    config = load(args.config)

    @contextmanager
    def connect():
        import psycopg
        try:
            conn = psycopg.connect(config.postgres, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise AccountCliError(f"cannot reach central's PostgreSQL ({first})") from None
        with conn:
            yield conn
    with connect() as conn:
        migrate(conn)
    return CentralAccounts(connect), {s.region for s in config.sites if s.region}


def _password(args: argparse.Namespace) -> str:
    return read_password(args, AccountCliError)


def _refusal(e: Exception) -> Exception:
    return AccountCliError(f"refused, nothing changed: {e}")


def cmd_add(args: argparse.Namespace) -> int:
    from ..staff.accounts import AccountRefused
    people, regions = _accounts(args)
    try:
        user = people.add(args.login, args.name, args.role, args.region or "", _password(args),
                          regions)
    except AccountRefused as e:
        raise _refusal(e) from None
    where = f" for {user.region}" if user.region else " for every site"
    print(f"account {user.login} ({user.name}), role {user.role}{where}: it signs in at "
          "/central/")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    people, _ = _accounts(args)
    users = people.list()
    if not users:
        print("no account yet: `suivant central account add` makes one")
    for u in users:
        p = u.public()
        flags = [w for w, on in (("disabled", u.disabled), ("locked", p["locked"])) if on]
        print(f"{u.login:<20} {u.role:<8} {u.region or '(all regions)':<24} {u.name}"
              + (f"  [{', '.join(flags)}]" if flags else ""))
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from ..staff.accounts import AccountRefused
    people, _ = _accounts(args)
    if people.get(args.login) is None:
        raise AccountCliError(f"no account {args.login!r}: nothing changed")
    try:
        people.reset_password(args.login, _password(args))
    except AccountRefused as e:
        raise _refusal(e) from None
    print(f"{args.login}: new password set, account unlocked, its sessions ended")
    return 0


def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    from ..staff.accounts import AccountRefused
    people, _ = _accounts(args)
    try:
        people.set_disabled(args.login, disabled)
    except AccountRefused as e:
        raise AccountCliError(f"no account {args.login!r}: nothing changed") from e
    print(f"{args.login}: {'disabled, its sessions ended' if disabled else 'enabled'}")
    return 0


def add_parsers(csub: argparse._SubParsersAction) -> None:
    """`account` and its commands under `suivant central`."""
    p = csub.add_parser("account", help="central's staff accounts (network IT, regions)")
    asub = p.add_subparsers(dest="account_command", required=True, metavar="ACCOUNT_COMMAND")

    def command(name: str, help: str, func: Any, login: bool = True) -> argparse.ArgumentParser:
        s = asub.add_parser(name, help=help)
        s.add_argument("--config", required=True, help="central TOML file")
        if login:
            s.add_argument("login", help="1 to 40 lowercase letters, digits and dashes")
        s.set_defaults(func=func)
        return s

    s = command("add", "a new account (its password asked twice)", cmd_add)
    s.add_argument("--name", required=True, help="the person's or team's name, shown on pages")
    s.add_argument("--role", required=True, choices=("network", "region"),
                   help="network: every site; region: the sites of --region only")
    s.add_argument("--region", help="the region a `region` account sees (as in central.toml)")
    s.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from stdin (scripts)")
    command("list", "every account, its role and region", cmd_list, login=False)
    s = command("reset-password", "a new password; unlocks the account, ends its sessions",
                cmd_reset)
    s.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from stdin (scripts)")
    command("disable", "the account can no longer sign in; its sessions end now",
            lambda a: _set_disabled(a, True))
    command("enable", "the account can sign in again", lambda a: _set_disabled(a, False))
