"""examples/prometheus/suivant-alerts.yml: every expression names only metrics a bridge's
/metrics exports (plus Prometheus's `up` and node_exporter's), so a renamed metric cannot
leave a rule that never fires; promtool (Debian's `prometheus` package, which `make test`
installs) checks the file and plays the rules on made-up series."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from host_bridge.bootstrap import build
from support import ROOT, SUPERVISOR

RULES = ROOT / "examples" / "prometheus" / "suivant-alerts.yml"
# node_exporter's filesystem metrics (prometheus-node-exporter), and Prometheus's own `up`
OUTSIDE = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",),
            "summary": ("_count", "_sum")}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions,
    keywords, label matchers, strings, durations or the labels of on()/by()."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(on|ignoring|by|without|group_left|group_right)\s*\([^)]*\)", " ", expr)
    found = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        if m.group(2) is None and m.group(1).lower() not in KEYWORDS:
            found.add(m.group(1))
    return found


def rules() -> list[dict]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [r for group in doc["groups"] for r in group["rules"]]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> set[str]:
    """Every name a staff scrape shows, a board registered and a backup taken so that their
    series exist."""
    from datetime import datetime

    from host_bridge.service.clock import ManualClock
    from support import PARIS, example_settings
    folder = tmp_path_factory.mktemp("alerts")
    bridge = build(example_settings(folder), ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    try:
        bridge.registry.add("term-1", "counter", 1)
        from host_bridge.backup.schedule import ScheduledBackups
        bridge.app.state.backups = ScheduledBackups(bridge.settings)  # as start_links does
        bridge.app.state.backups.run_once()
        with TestClient(bridge.app) as client:
            text = client.get("/metrics", headers=SUPERVISOR).text
    finally:
        bridge.close()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + s for s in SUFFIXES.get(family.type, ()))
        names.update(s.name for s in family.samples)
    return names


def test_the_parser_finds_the_names_and_only_them():
    assert metric_names('up{job="suivant"} == 0') == {"up"}
    assert metric_names("a == 0 and on(instance) b == 1") == {"a", "b"}
    assert metric_names('rate(x_total{code=~"a|b"}[5m]) > bool 1') == {"x_total"}
    assert metric_names("sum by (service) (y) / ignoring(le) z offset 5m") == {"y", "z"}


def test_the_alert_file_covers_the_four_cases_the_issue_names():
    names = {r["alert"] for r in rules()}
    assert {"SuivantBoardOffline", "SuivantServicePastTarget", "SuivantBridgeDown",
            "SuivantDiskNearlyFull", "SuivantBackupFailed", "SuivantBackupLate"} <= names
    assert all({"summary", "description"} <= set(r["annotations"]) for r in rules())
    board = next(r for r in rules() if r["alert"] == "SuivantBoardOffline")
    assert board["for"] == "2m" and "suivant_site_open" in board["expr"]


def test_every_expression_reads_only_metrics_the_bridge_or_node_exporter_exports(exported):
    for rule in rules():
        unknown = metric_names(rule["expr"]) - exported - OUTSIDE
        assert not unknown, f"{rule['alert']}: {sorted(unknown)} not exported by /metrics"


PROMTOOL = shutil.which("promtool") or "promtool"  # missing: FileNotFoundError names it
SERIES = {"job": "suivant", "instance": "b:8080"}
# during opening hours, term-1 silent from minute 1, the hall board heard throughout;
# accueil's first ticket waiting from minute 0 against a 10-minute target
INPUT = [
    ("suivant_site_open", {}, "1x15"),
    ("suivant_device_online", {"device": "term-1", "role": "counter", "counter": "1"}, "1 0x14"),
    ("suivant_device_online", {"device": "hall", "role": "hall", "counter": ""}, "1x15"),
    ("suivant_longest_wait_seconds", {"service": "accueil"}, "0+60x15"),
    ("suivant_wait_target_seconds", {"service": "accueil"}, "600x15"),
    # a backup at time 0 that worked, daily in name (60 s here); then one fails at minute 5
    ("suivant_backup_last_timestamp_seconds", {}, "0x80"),
    ("suivant_backup_period_seconds", {}, "60x80"),
    ("suivant_backup_last_ok", {}, "1x4 0x20"),
]
# (alert, minute, the labels of the one alert expected then, or None: none, {{ $value }} shown)
EXPECTED = [
    ("SuivantBoardOffline", 2, None, ""),
    ("SuivantBoardOffline", 4, {"device": "term-1", "role": "counter", "counter": "1"}, ""),
    ("SuivantServicePastTarget", 11, None, ""),
    ("SuivantServicePastTarget", 13, {"service": "accueil"}, "13m 0s"),
    ("SuivantBackupFailed", 8, None, ""),
    ("SuivantBackupFailed", 11, {}, ""),
    ("SuivantBackupLate", 65, None, ""),  # 3,660 s old from minute 61, then 10 minutes
    ("SuivantBackupLate", 75, {}, ""),
]


def _series(name: str, labels: dict) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in {**SERIES, **labels}.items()) + "}"


def _rendered(rule: dict, labels: dict, value: str) -> dict:
    """The rule's annotations as Prometheus fills them in, for promtool's exact comparison."""
    def fill(text):
        text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], text)
        return re.sub(r"\{\{ \$value \| humanizeDuration \}\}", value, text)
    return {k: fill(v) for k, v in rule["annotations"].items()}


def unit_tests() -> dict:
    by_name = {r["alert"]: r for r in rules()}
    checks = []
    for alert, minute, labels, value in EXPECTED:
        expected = []
        if labels is not None:
            full = {**SERIES, **labels, **by_name[alert]["labels"]}
            expected.append({"exp_labels": full,
                             "exp_annotations": _rendered(by_name[alert], full, value)})
        checks.append({"eval_time": f"{minute}m", "alertname": alert, "exp_alerts": expected})
    return {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "alert_rule_test": checks,
        "input_series": [{"series": _series(n, labels), "values": v}
                         for n, labels, v in INPUT]}]}


def test_promtool_accepts_the_file_and_the_rules_fire_when_they_should(tmp_path):
    checked = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    cases = tmp_path / "cases.yml"
    cases.write_text(yaml.safe_dump(unit_tests()), encoding="utf-8")
    played = subprocess.run([PROMTOOL, "test", "rules", str(cases)], capture_output=True,
                            text=True, timeout=60)
    assert played.returncode == 0, played.stdout + played.stderr
