"""`suivant appointments ...`: today's appointments from the command line.

    suivant appointments import today.csv --config site.toml   # replaces the CSV's list of today
    suivant appointments list --config site.toml [--service passeports-cni]

The file is the one the bridge uses, beside the queue's ([store] path: suivant.db ->
suivant.appointments.db; --db as `suivant serve --db`); the bridge may run meanwhile.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..service.clock import SiteClock
from ..site_config import load
from . import csv_import
from .store import AppointmentStore, TooMany, appointments_path


class AppointmentsCliError(Exception):
    """A refusal to print as `suivant: <message>` with exit status 2."""


def _open(args: argparse.Namespace):
    settings = load(args.config)
    clock = SiteClock(settings.site.timezone)
    store = AppointmentStore(appointments_path(args.db or settings.db_path), clock.tz)
    return settings, clock, store


def cmd_import(args: argparse.Namespace) -> int:
    settings, clock, store = _open(args)
    try:
        path = Path(args.file)
        try:
            with open(path, "rb") as f:
                data = f.read(csv_import.MAX_BYTES + 1)
        except OSError as exc:
            raise AppointmentsCliError(f"{path}: {exc.strerror or exc}") from None
        day = clock.now().date()
        try:
            parsed = csv_import.parse(data, day, clock.tz,
                                      {s.id for s in settings.site.services})
            counts = store.replace_day(csv_import.SOURCE, day, parsed.items)
        except (csv_import.CsvRefused, TooMany, ValueError) as exc:  # all refusals
            raise AppointmentsCliError(f"{path}: {exc}; nothing was imported") from None
    finally:
        store.close()
    print(f"{day}: {counts['added']} added, {counts['updated']} updated, "
          f"{counts['cancelled']} cancelled (no longer in the file)"
          + (f"; {parsed.other_days} line(s) of other days skipped" if parsed.other_days else ""))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    settings, clock, store = _open(args)
    try:
        items = store.day(clock.now().date(), args.service)
    finally:
        store.close()
    for a in items:
        print(f"{a.at.astimezone(clock.tz):%H:%M}  {a.service:<20} {a.initials or '-':<4}"
              f"{a.code or '-':<12} {a.status.value:<13} {a.source}")
    print(f"{len(items)} appointment(s) today")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("appointments", help="today's appointments: import a CSV, list them")
    cmds = p.add_subparsers(dest="appointments_command", required=True, metavar="ACTION")
    s = cmds.add_parser("import", help="replace today's appointments from a CSV file "
                                       "(header: service,time,code,ants,initials,id)")
    s.add_argument("file", help="the CSV file (UTF-8, comma or semicolon separated)")
    s.add_argument("--config", required=True, help="site TOML file")
    s.add_argument("--db", help="the queue's database (default: [store] path of the config)")
    s.set_defaults(func=cmd_import)
    s = cmds.add_parser("list", help="today's appointments and their status")
    s.add_argument("--config", required=True, help="site TOML file")
    s.add_argument("--db", help="the queue's database (default: [store] path of the config)")
    s.add_argument("--service", help="only this service's")
    s.set_defaults(func=cmd_list)
