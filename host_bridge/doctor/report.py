"""What one check found, and the report a person reads: a line per check, advice per problem."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Status(enum.Enum):
    OK = "OK"
    SKIP = "SKIP"  # nothing to check (no printer, no [backup]): counts as OK
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    status: Status
    check: str  # "database", "broker", ...
    found: str  # one line: what was found
    advice: str = ""  # a WARN or FAIL: what to do, in plain words


def ok(check: str, found: str) -> Finding:
    return Finding(Status.OK, check, found)


def skip(check: str, found: str) -> Finding:
    return Finding(Status.SKIP, check, found)


def warn(check: str, found: str, advice: str) -> Finding:
    return Finding(Status.WARN, check, found, advice)


def fail(check: str, found: str, advice: str) -> Finding:
    return Finding(Status.FAIL, check, found, advice)


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when all is well, 1 when something deserves a look, 2 when something is broken."""
    statuses = {f.status for f in findings}
    return 2 if Status.FAIL in statuses else 1 if Status.WARN in statuses else 0


def render(findings: list[Finding]) -> str:
    width = max((len(f.check) for f in findings), default=0)
    lines = []
    for f in findings:
        lines.append(f"{f.status.value:<4}  {f.check:<{width}}  {f.found}")
        if f.advice:
            lines.append(f"{'':<4}  {'':<{width}}  -> {f.advice}")
    count = {s: sum(f.status is s for f in findings) for s in Status}
    code = exit_code(findings)
    verdict = ("all is well" if code == 0 else "something deserves a look" if code == 1
               else "something is broken: see the advice above")
    lines.append(f"{count[Status.OK] + count[Status.SKIP]} OK, {count[Status.WARN]} "
                 f"warning(s), {count[Status.FAIL]} failure(s): {verdict}")
    return "\n".join(lines)
