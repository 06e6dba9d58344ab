"""Review of issue 16's structured logs (host_bridge/log_format.py), as a hostile tester."""
from __future__ import annotations

import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from host_bridge import log_format


def _line(**extra) -> str:
    record = logging.makeLogRecord({"name": "host_bridge.links.device_gateway",
                                    "levelno": logging.WARNING, "levelname": "WARNING",
                                    "msg": "refused a line from a board", **extra})
    return log_format.KeyValueFormatter().format(record)


def test_a_control_character_in_a_stranger_s_device_id_is_escaped_in_a_text_line():
    """Bug: _BARE (`[^\\s"=\\\\]`) lets any character that is not whitespace, a quote, '=' or
    a backslash through unquoted, control characters included. The device id of a refused line
    comes from a stranger's MQTT topic (mqtt_gateway._on_messages -> gateway.reject logs it):
    an ESC sequence or a NUL is then written raw into the journal (journalctl shows the whole
    line as "[blob data]", or, with -a, sends the escape to the reader's terminal). JSON lines
    escape them (json.dumps); the key=value lines should quote them the same way."""
    for evil in ("x\x1b[2Jy", "x\x00y", "x\x07y"):
        line = _line(event="bad_device_message", device=evil, reason="bad_mac")
        assert not any(ord(ch) < 0x20 for ch in line), repr(line)


def test_json_lines_escape_del_and_the_c1_controls_too():
    """json.dumps(ensure_ascii=False) escapes only the controls below 0x20: DEL and the C1
    controls (0x9b is a terminal's one-byte CSI) went out raw in the JSON lines."""
    for evil in ("x\x7fy", "x\x9b2Jy", "x\x85y"):
        line = log_format.JsonFormatter().format(logging.makeLogRecord(
            {"name": "host_bridge", "levelname": "WARNING", "msg": "refused", "device": evil}))
        assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in line), repr(line)
        assert json.loads(line)["device"] == evil


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_value_gives_one_line_without_controls_that_reads_back(value):
    record = logging.makeLogRecord({"name": "host_bridge", "levelname": "INFO", "msg": "m",
                                    "device": value})
    text = log_format.KeyValueFormatter().format(record)
    dumped = log_format.JsonFormatter().format(record)
    for line in (text, dumped):
        assert len(line.splitlines()) == 1
        assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in line), repr(line)
    assert json.loads(dumped)["device"] == value
    shown = text.rpartition(" device=")[2]
    assert (json.loads(shown) if shown.startswith('"') else shown) == (value or "")


def test_serve_with_json_logs_says_why_it_cannot_start_as_a_json_line(tmp_path):
    """Bug: `suivant serve --log-format json` writes "only JSON lines" (3865aab: the banner and
    the deprecations go through the log), but a start that fails — the port taken here, the
    database held by another bridge, a store it cannot open — is cli.main's plain
    `suivant: cannot listen on ...` line (UsageError printed, not logged): the one line a log
    collector most needs is the one it cannot parse. Should go through the log as a JSON line
    (level error) when the logs are JSON."""
    import shutil
    import socket
    import subprocess
    import sys

    from support import EXAMPLE
    shutil.copy(EXAMPLE, tmp_path / "site.toml")
    shutil.copy(EXAMPLE.parent / "passeports-cni.ics", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "host_bridge.cli", "serve", "--config",
             str(tmp_path / "site.toml"), "--log-format", "json", "--host", "127.0.0.1",
             "--port", str(port)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines, "serve says why it stopped"
    for line in lines:
        assert isinstance(json.loads(line), dict), line  # JSONDecodeError: a text line
