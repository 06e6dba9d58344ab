"""The bridge's log lines: one line per event, `key=value` text by default (what `journalctl -u
suivant` shows, and what grep and the journal's own filters read), JSON lines on request
(`suivant serve --log-format json`, or SUIVANT_LOG_FORMAT=json) for a log collector.

A line carries the logger's message and the record's `extra` fields (`event=device_offline
device=board-1`). What may go in them: codes, ids of boards and services, ticket labels (A012
names nobody). Never a phone number, a push endpoint, a token, a password, a session cookie,
an SMS text or an appointment's name or reference: tests/integration/test_logs_keep_secrets.py
runs a whole scenario at debug level and looks for them.

The standard library's logging and json are enough here: two formatters of a few lines each,
where python-json-logger or structlog would add a dependency and a second way to log.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
# the attributes every LogRecord has: anything else on a record came from `extra`
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# characters a terminal or the journal acts on (ESC sequences, NUL: "[blob data]", BEL), the
# ones that break or reorder a line on screen (U+2028, bidi overrides): always escaped
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BARE = re.compile(f'^[^\\s"=\\\\{_CONTROLS}]{{1,200}}$')  # a value written without quotes
_RAW = re.compile(f"[{_CONTROLS}]")  # what json.dumps(ensure_ascii=False) leaves raw of them
# libraries that log requests' URLs and headers at debug (a push endpoint, a provider's
# token): they stay at warning whatever level the bridge's own loggers get
_QUIET = ("urllib3", "requests", "httpx", "httpcore", "asyncio", "amqtt", "transitions",
          "multipart", "uvicorn.access")


def fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_") and key not in out:
            out[key] = value
    if record.exc_info:
        out["exc"] = formatter.formatException(record.exc_info)
    return out


def _text(value: Any) -> str:
    if value is None:
        return "-"
    value = value if isinstance(value, str) else str(value)
    # quoted with JSON's escapes: a newline or a quote in a value cannot forge another line
    return value if _BARE.match(value) else _escaped(json.dumps(value, ensure_ascii=False))


def _escaped(dumped: str) -> str:
    """JSON text with the controls json.dumps leaves raw (DEL, C1...) as \\u escapes: they
    are only ever inside its strings, where the escape means the same character."""
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


# syslog priorities: under systemd a line starting with <N> is kept at priority N (the prefix
# removed), so `journalctl -p warning` finds the warnings; without it every line is "info"
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
             logging.CRITICAL: 2}


class _Formatter(logging.Formatter):
    def __init__(self, journal: bool = False):
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        line = self.line(fields(record, self))
        return f"<{_PRIORITY.get(record.levelno, 6)}>{line}" if self.journal else line

    def line(self, values: dict[str, Any]) -> str:
        raise NotImplementedError


class KeyValueFormatter(_Formatter):
    def line(self, values: dict[str, Any]) -> str:
        return " ".join(f"{k}={_text(v)}" for k, v in values.items())


class JsonFormatter(_Formatter):
    def line(self, values: dict[str, Any]) -> str:
        return _escaped(json.dumps(values, ensure_ascii=False, default=str))


def to_journal(stream: Any) -> bool:
    """Whether `stream` is the journal systemd gave the service (JOURNAL_STREAM names its
    device and inode: a redirection to a file in the unit does not count)."""
    try:
        device, inode = (int(v) for v in os.environ.get("JOURNAL_STREAM", "").split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


_format: str | None = None  # as configure() set it; None: not configured (a library's use)


def json_lines() -> bool:
    """Whether the process writes JSON lines: then every line it writes goes through the
    log (a start banner too), so that a collector can read each line of the journal."""
    return _format == "json"


def json_asked(fmt: str | None = None) -> bool:
    """Whether configure(fmt) will choose JSON lines (`fmt`, else SUIVANT_LOG_FORMAT): for a
    failure said before it ran (a site file refused, a port taken)."""
    return (fmt or os.environ.get("SUIVANT_LOG_FORMAT") or "").lower() == "json"


def configure(fmt: str | None = None, level: str | None = None, stream: Any = None) -> None:
    """Once, in the entry point: one handler on the root logger, to stderr (systemd sends it
    to the journal). `fmt` and `level` default to SUIVANT_LOG_FORMAT and SUIVANT_LOG_LEVEL,
    then text and info. ValueError names the choices for anything else."""
    fmt = (fmt or os.environ.get("SUIVANT_LOG_FORMAT") or "text").lower()
    level = (level or os.environ.get("SUIVANT_LOG_LEVEL") or "info").lower()
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: choose {' or '.join(FORMATS)}")
    if level not in LEVELS:
        raise ValueError(f"log level {level!r}: choose one of {', '.join(LEVELS)}")
    global _format
    _format = fmt
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter if fmt == "json" else KeyValueFormatter
    handler.setFormatter(formatter(journal=to_journal(stream)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(logging.INFO, getattr(logging, level.upper())))  # libraries: info at most
    for name in ("host_bridge", "simulators"):
        logging.getLogger(name).setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
