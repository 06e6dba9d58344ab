"""host_bridge/log_format.py: one line per event, key=value or JSON, values that cannot forge a
line, libraries kept quiet at debug, and a clear refusal of an unknown format or level."""
from __future__ import annotations

import io
import json
import logging

import pytest

from host_bridge import log_format


@pytest.fixture
def configured():
    """log_format.configure on a buffer; the root logger's handlers and levels, and the format
    configured (json_lines: cli.main logs a failure instead of printing it), put back."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {n: logging.getLogger(n).level for n in ("host_bridge", "simulators", "urllib3")},
             log_format._format)
    buffer = io.StringIO()

    def configure(fmt=None, level=None):
        log_format.configure(fmt, level, stream=buffer)
        return buffer
    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    log_format._format = saved[3]


def test_text_lines_are_key_value_with_the_event_s_fields(configured):
    out = configured("text", "info")
    logging.getLogger("host_bridge.links").info(
        "device %s", "offline", extra={"event": "device_offline", "device": "term-2", "n": 3})
    line = out.getvalue()
    assert line.count("\n") == 1
    assert "level=info logger=host_bridge.links" in line
    assert 'msg="device offline" event=device_offline device=term-2 n=3' in line


def test_a_newline_or_quote_in_a_value_cannot_forge_a_second_line(configured):
    out = configured("text", "info")
    logging.getLogger("host_bridge").warning(
        "refused", extra={"device": 'x"\nlevel=error msg=forged'})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert 'device="x\\"\\nlevel=error msg=forged"' in lines[0]


def test_json_lines_parse_and_carry_the_traceback_in_one_line(configured):
    out = configured("json", "info")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("host_bridge.bus").exception("listener failed", extra={"event": "x"})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert (record["level"], record["logger"], record["msg"], record["event"]) == \
        ("error", "host_bridge.bus", "listener failed", "x")
    assert "RuntimeError: boom" in record["exc"] and record["ts"].endswith("+00:00")


def test_debug_is_for_the_bridge_s_own_loggers_not_the_http_libraries(configured):
    """urllib3 logs each request's path at debug: a push subscription's address."""
    out = configured("text", "debug")
    logging.getLogger("host_bridge.notifications").debug("own detail")
    logging.getLogger("urllib3.connectionpool").debug('"POST /fcm/send/secret HTTP/1.1" 201')
    logging.getLogger("some.library").debug("chatter")
    text = out.getvalue()
    assert "own detail" in text and "/fcm/send/secret" not in text and "chatter" not in text


def test_the_environment_chooses_when_the_command_line_does_not(configured, monkeypatch):
    monkeypatch.setenv("SUIVANT_LOG_FORMAT", "json")
    monkeypatch.setenv("SUIVANT_LOG_LEVEL", "warning")
    out = configured()
    logging.getLogger("host_bridge").info("not shown")
    logging.getLogger("host_bridge").warning("shown")
    assert [json.loads(line)["msg"] for line in out.getvalue().splitlines()] == ["shown"]


@pytest.mark.parametrize("fmt, level, says", [
    ("xml", "info", "log format 'xml': choose text or json"),
    ("text", "verbose", "log level 'verbose': choose one of debug, info, warning, error")])
def test_an_unknown_format_or_level_is_refused_naming_the_choices(configured, fmt, level, says):
    root = logging.getLogger()
    before = list(root.handlers)
    with pytest.raises(ValueError, match=says):
        log_format.configure(fmt, level)
    assert root.handlers == before  # nothing changed


def test_serve_with_a_bad_log_format_in_the_environment_says_so_and_starts_nothing(
        monkeypatch, capsys):
    from host_bridge.cli import main
    from support import EXAMPLE
    monkeypatch.setenv("SUIVANT_LOG_FORMAT", "xml")
    root = logging.getLogger()
    before = list(root.handlers)
    assert main(["serve", "--config", str(EXAMPLE), "--port", "0"]) == 2
    assert "suivant: log format 'xml': choose text or json" in capsys.readouterr().err
    assert root.handlers == before


def test_to_the_journal_each_line_carries_its_priority(configured, tmp_path, monkeypatch):
    """systemd names its stream in JOURNAL_STREAM; `<4>` makes a warning a warning there."""
    import os
    with open(tmp_path / "journal", "w") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        log_format.configure("text", "info", stream=stream)
        logging.getLogger("host_bridge").warning("disk slow")
        logging.getLogger("host_bridge").info("fine")
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino + 1}")  # not this file
        log_format.configure("json", "info", stream=stream)
        logging.getLogger("host_bridge").info("elsewhere")
    lines = (tmp_path / "journal").read_text().splitlines()
    assert lines[0].startswith("<4>ts=") and "disk slow" in lines[0]
    assert lines[1].startswith("<6>ts=")
    assert lines[2].startswith('{"ts"')
