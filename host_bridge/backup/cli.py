"""`suivant backup --config site.toml [--to FOLDER]` and `suivant restore FOLDER --config
site.toml` (cli.py's restore hands a folder here, --from-central to network/restore.py)."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from ..site_config import load
from .restore import RestoreRefused, restore_backup
from .schedule import backup_now
from .take import read_taken


class BackupCliError(Exception):
    pass


def cmd_backup(args) -> int:
    settings = load(args.config)
    if args.db:
        settings = dataclasses.replace(settings, db_path=args.db)
    if not Path(settings.db_path).is_file():
        raise BackupCliError(f"no database at {settings.db_path}: nothing to back up")
    folder = Path(args.to) if args.to else settings.backup.folder_for(settings.db_path)
    last = backup_now(settings, folder)
    if not last.ok:
        raise BackupCliError(f"{last.error}; no backup was made")
    print("\n".join(read_taken(Path(last.folder)).lines()))
    if last.removed:
        print(f"  {last.removed} older backup{'s' if last.removed > 1 else ''} removed "
              f"([backup] keep = {settings.backup.keep})")
    if last.prune_error:  # the backup is made all the same
        print(f"suivant backup: {last.prune_error}: give them to the service's user (sudo "
              f"chown -R suivant: {folder}) or remove them by hand", file=sys.stderr)
    return 0


def cmd_restore_backup(args) -> int:
    settings = load(args.config)
    if args.db:
        settings = dataclasses.replace(settings, db_path=args.db)
    try:
        done = restore_backup(settings, Path(args.source))
    except RestoreRefused as exc:
        raise BackupCliError(f"restore: {exc}; nothing was changed") from None
    print("\n".join(done.lines()))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("backup", help="copy the site's database and its files while the "
                                      "bridge runs, into a dated folder")
    s.add_argument("--config", required=True, help="site TOML file")
    s.add_argument("--to", help="the folder to put the backup in (default: [backup] folder "
                                "of the config, or backups/ beside the database)")
    s.add_argument("--db", help="the queue's database (default: [store] path of the config)")
    s.set_defaults(func=cmd_backup)
