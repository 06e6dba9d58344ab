"""`suivant files`: where the files shipped with Suivant are (the example site, the firmware,
the pin maps), one of them alone for scripts (`--where examples`), and a copy of the example
site to read, edit or run (`--copy-examples DIR`)."""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from . import bundled
from .cli_devices import CliError

FOLDERS = {"example-site": bundled.example_site, "examples": bundled.examples,
           "firmware": bundled.firmware, "hardware": bundled.hardware}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("files", help="where the example site, the firmware and the pin maps "
                                     "shipped with Suivant are")
    what = s.add_mutually_exclusive_group()
    what.add_argument("--copy-examples", metavar="DIR",
                      help="copy the example town hall (its site file, traffic profile, "
                           "calendar and Prometheus alerts) into DIR, a new or empty folder")
    what.add_argument("--where", choices=sorted(FOLDERS),
                      help="print that one path alone (for scripts)")
    s.set_defaults(func=cmd_files)


def cmd_files(args: argparse.Namespace) -> int:
    if args.copy_examples:
        return copy_examples(Path(args.copy_examples))
    if args.where:
        print(FOLDERS[args.where]())
        return 0
    print(f"example site:  {bundled.example_site()}   (what `suivant demo` runs)")
    print(f"examples:      {bundled.examples()}   (its traffic profile, calendar, alerts)")
    print(f"firmware:      {bundled.firmware()}   (what `suivant device flash` compiles; "
          "CONFIG.md: a board's config.json)")
    print(f"hardware:      {bundled.hardware()}   (each role's pin map, wiring and parts)")
    print("a copy of the example site to edit: suivant files --copy-examples DIR")
    return 0


def copy_examples(dest: Path) -> int:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CliError(f"{dest} exists and is not an empty folder: give a new one; nothing was "
                       "copied")
    # copyfile, not copy2: the copies are the user's to edit, whatever the installed files' mode
    shutil.copytree(bundled.examples(), dest, dirs_exist_ok=True, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns("__pycache__"))
    names = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    site = dest / bundled.EXAMPLE_SITE
    print(f"copied the example town hall into {dest}: {', '.join(names)}")
    print(f"try it: suivant check-config {site}; suivant demo --config {site}")
    return 0
