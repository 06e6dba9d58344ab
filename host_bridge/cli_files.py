"""`suivant files`: where the files shipped with Suivant are (the example site, the firmware,
the pin maps), one of them alone for scripts (`--where examples`), and a copy of the example
site to read, edit or run (`--copy-examples DIR`)."""
from __future__ import annotations

import argparse
import contextlib
import errno
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
    try:
        _copy_all_or_nothing(bundled.examples(), dest)
    except OSError as e:  # under a file, no right to write, a full disk...
        raise CliError(f"cannot copy the examples into {dest}: {_why(e)}; give a new or empty "
                       "folder you may write to; nothing was copied") from None
    names = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    site = dest / bundled.EXAMPLE_SITE
    print(f"copied the example town hall into {dest}: {', '.join(names)}")
    print(f"try it: suivant check-config {site}; suivant demo --config {site}")
    return 0


def _copy_all_or_nothing(source: Path, dest: Path) -> None:
    if dest.is_symlink() and not dest.exists():
        raise CliError(f"{dest} is a symbolic link to {dest.readlink()}, which does not exist: "
                       "give a new folder; nothing was copied")
    existed = dest.exists()
    if existed and (not dest.is_dir() or any(dest.iterdir())):
        raise CliError(f"{dest} exists and is not an empty folder: give a new one; nothing was "
                       "copied")
    made = [p for p in (dest, *dest.parents) if not p.exists()]  # what a failure takes back
    try:
        # by hand, not copytree: it goes on past a failure and sums them up in one raw list;
        # copyfile, not copy2: the copies are the user's to edit, whatever the installed mode
        dest.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.rglob("*")):  # a folder before what it holds
            if "__pycache__" in path.parts:
                continue
            target = dest / path.relative_to(source)
            if path.is_dir():
                target.mkdir()
            else:
                shutil.copyfile(path, target)
    except BaseException:
        with contextlib.suppress(OSError):  # the first failure is the one to tell
            for child in dest.iterdir() if existed else ():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        for folder in made:  # dest first, then the parents it needed
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _why(error: OSError) -> str:
    plain = {errno.ENOTDIR: "a part of that path is a file, not a folder",
             errno.EACCES: "you may not write there", errno.EPERM: "you may not write there",
             errno.EROFS: "that disk is read-only", errno.ENOSPC: "the disk is full"}
    return plain.get(error.errno, error.strerror or str(error))
