"""`suivant doctor --config /etc/suivant/site.toml`: check a running site, say what to do."""
from __future__ import annotations

import argparse
import os
import stat
import sys

from ..arg_types import bounded
from .bridge_view import DEFAULT_URL, unit_url
from .checks import DEADLINE_S, run_all
from .report import exit_code, render

DEFAULT_CONFIG = "/etc/suivant/site.toml"
MAX_TOKEN = 4096
_quiet = bounded(float, 30, 86400, "--quiet-after", "a number of seconds")


class DoctorError(Exception):
    """Doctor cannot start (an unreadable token file): said on stderr, exit 2."""


def _token(path: str | None) -> str | None:
    if path is None:
        return None
    try:  # O_NONBLOCK: a FIFO given by mistake must not hold doctor before the check below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise DoctorError(f"{path} is not a regular file: give the file holding "
                                  "the token")
            data = f.read(MAX_TOKEN + 65)  # a token, a newline; no more
        text = "" if len(data) > MAX_TOKEN + 64 else data.decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DoctorError(f"cannot read the token file {path}: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    if not text or len(text) > MAX_TOKEN or any(c.isspace() for c in text):
        raise DoctorError(f"{path} should hold one token (one line, no spaces)")
    return text


def cmd_doctor(args: argparse.Namespace) -> int:
    try:
        token = _token(args.token_file)
    except DoctorError as exc:
        print(f"suivant doctor: {exc}", file=sys.stderr)
        return 2
    url = args.url
    if url is None:
        found = unit_url(args.config)
        url = found[0] if found else DEFAULT_URL
    findings = run_all(args.config, url, token, args.quiet_after)
    print(render(findings))
    return exit_code(findings)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser(
        "doctor", help="check a running site: config, database, bridge, broker, boards, "
                       "printer, clock, backup; says what to do about each problem",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Each check prints OK, WARN or FAIL (SKIP: nothing to check), what it found and, "
               "for a problem,\nwhat to do. Exit status: 0 all OK, 1 a warning, 2 a failure. "
               f"A run takes at most\n{DEADLINE_S:g} s, even with everything down. See "
               "docs/operations.md, section 18.")
    d.add_argument("--config", default=DEFAULT_CONFIG,
                   help=f"the site file the bridge runs on (default {DEFAULT_CONFIG})")
    d.add_argument("--url", help="the bridge's address (default: from the systemd unit that "
                                 f"serves this site file, else {DEFAULT_URL})")
    d.add_argument("--token-file", metavar="FILE",
                   help="a file holding a supervisor's token: to see when each board was last "
                        "heard (GET /api/devices)")
    d.add_argument("--quiet-after", type=_quiet, default=180.0, metavar="SECONDS",
                   help="a board not heard for this long is quiet (default 180: three of its "
                        "status messages)")
    d.set_defaults(func=cmd_doctor)
