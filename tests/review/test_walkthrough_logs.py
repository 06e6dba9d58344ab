"""Walkthrough of operations.md §15-18 on Debian 12 (W1): `suivant serve --log-format json`
(§18: "JSON lines, for a log collector (Loki, Graylog, Elastic)") still writes its start banner
("Suivant bridge for …", "  devices: MQTT broker …") and its deprecation warnings ("warning:
[[users]] 'agents' is a shared agent token …", which §15 says go to the journal at each start)
as plain text, into the streams the journal keeps: a collector parsing each line of the unit's
journal as JSON fails on them at every start. Fails while that bug is there."""
from __future__ import annotations

import json

from simulators.bridge_process import BridgeProcess, free_port
from support import EXAMPLE


def test_serve_with_json_logs_writes_only_json_lines(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8")
                      + f"\n[mqtt]\nembedded_port = {free_port()}\n", encoding="utf-8")
    log = tmp_path / "bridge.log"
    bridge = BridgeProcess(config, tmp_path / "queue.db", log_path=log,
                           extra=("--log-format", "json"))
    bridge.start()
    bridge.stop()
    lines = [line for line in log.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("--- start ")]  # BridgeProcess's marker
    assert lines, "the bridge wrote nothing"
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not not_json, "lines that are not JSON:\n" + "\n".join(not_json)
