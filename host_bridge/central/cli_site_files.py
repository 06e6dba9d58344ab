"""`suivant central publish-config` and `config-versions`: a site's file published from central,
and which version each site applied (site_files.py does the work).

    suivant central publish-config --config central.toml --site mairie-a mairie-a.toml
    suivant central config-versions --config central.toml
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
from pathlib import Path

from .cli_errors import CentralCliError


def _connect(config):  # -> an async psycopg connection, or CentralCliError
    import psycopg

    async def connect():
        try:
            return await psycopg.AsyncConnection.connect(config.postgres, autocommit=True,
                                                         connect_timeout=10)
        except psycopg.Error as e:
            raise CentralCliError(f"cannot reach central's PostgreSQL: {e}") from None
    return connect()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid: the publication says none
        return ""


def cmd_publish(args: argparse.Namespace) -> int:
    from . import db, site_files
    from .config import load
    config = load(args.config)
    if config.site(args.site) is None:
        raise CentralCliError(f"no site {args.site!r} in {args.config}")
    path = Path(args.file)
    try:
        if path.stat().st_size > site_files.MAX_BYTES:
            raise CentralCliError(f"{path}: at most {site_files.MAX_BYTES // 1024} KB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise CentralCliError(f"cannot read {path} ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise CentralCliError(f"{path}: not UTF-8 text") from None
    try:
        checked = site_files.check(args.site, text, str(path))
    except site_files.PublishRefused as e:
        raise CentralCliError(f"refused, nothing published: {e}") from None

    async def run() -> int:
        conn = await _connect(config)
        try:
            await db.migrate(conn)
            await db.sync_sites(conn, config.sites)
            return await site_files.publish(conn, args.site, text, args.by or _user())
        finally:
            await conn.close()
    try:
        version = asyncio.run(run())
    except site_files.PublishRefused as e:
        raise CentralCliError(f"refused, nothing published: {e}") from None
    print(f"published {path} as version {version} of {args.site} ({checked.name}); a site with "
          "[network] apply_config = true takes it within a minute")
    if checked.not_applied:
        print("not applied there, the site keeps its own: " +
              ", ".join(f"[{t}]" for t in checked.not_applied))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    import psycopg

    from . import site_files
    from .config import load
    config = load(args.config)
    try:
        with psycopg.connect(config.postgres, autocommit=True, connect_timeout=10) as conn:
            rows = site_files.versions(conn)
    except psycopg.Error as e:
        raise CentralCliError(f"cannot read central's PostgreSQL: {e}") from None
    print(f"{'site':<40} {'published':>9} {'applied':>8}  refused")
    for v in rows:
        refused = "" if v.refused is None else \
            f"version {v.refused.get('version')}: {v.refused.get('reason')}"
        print(f"{v.site:<40} {v.published if v.published is not None else '-':>9} "
              f"{v.applied if v.applied is not None else '-':>8}  {refused}")
    return 0


def add_parsers(csub: argparse._SubParsersAction) -> None:
    s = csub.add_parser("publish-config", help="publish a site's file: checked, kept as its "
                                               "next version; the site applies it if it takes "
                                               "central's files ([network] apply_config)")
    s.add_argument("--config", required=True, help="central TOML file")
    s.add_argument("--site", required=True, help="the site's id (its file's [site] id)")
    s.add_argument("--by", help="who publishes it (default: this system user)")
    s.add_argument("file", help="the site's TOML file")
    s.set_defaults(func=cmd_publish)
    s = csub.add_parser("config-versions", help="each site's published and applied version")
    s.add_argument("--config", required=True, help="central TOML file")
    s.set_defaults(func=cmd_versions)
