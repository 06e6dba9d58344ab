"""The whole firmware of each role — config.json, App, link task, state machine — boots and
works under CPython and under real MicroPython (source and .mpy), with an in-memory peer
playing broker and bridge or bus master (check_app_boot.py). Under MicroPython also with the
board's own HAL (hal_esp32 and its drivers) on stand-in `machine`/`network` modules.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from checker_runs import FORMS
from firmware_builds import firmware_as_mpy
from micropython_wasm import FIRMWARE, REPO, run

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_app_boot.py"
CONFIGS = sorted(p.name for p in FIRMWARE.glob("config.example.*.json"))


def _ok_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("app boot ")
            and ": ok " in line]


def test_every_role_has_an_example_config() -> None:
    roles = {name.split(".")[2] for name in CONFIGS}
    assert roles == {"counter", "display", "hall", "feedback"}


def test_each_role_boots_under_cpython() -> None:
    done = subprocess.run([sys.executable, str(CHECKER), *(str(FIRMWARE / c) for c in CONFIGS)],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PYTHONPATH": f"{FIRMWARE}:{REPO}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(_ok_lines(done.stdout)) == len(CONFIGS), done.stdout


def test_a_broken_boot_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text('{"schema": 1}')
    done = subprocess.run([sys.executable, str(CHECKER), str(bad)], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={"PYTHONPATH": f"{FIRMWARE}:{REPO}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "FAIL app boot" in done.stdout and "C2" in done.stdout, done.stdout


@pytest.mark.parametrize("hal", ["simulator", "esp32"])
@pytest.mark.parametrize("form", FORMS)
def test_each_role_boots_under_micropython(form: str, hal: str, tmp_path: Path) -> None:
    firmware = FIRMWARE if form == "source" else firmware_as_mpy(tmp_path / "firmware")
    result = run(CHECKER, files={"/firmware": firmware, "/simulators": REPO / "simulators",
                                 "/board_stubs": REPO / "simulators" / "board_stubs",
                                 "/tests/firmware/check_app_boot.py": CHECKER},
                 args=[*(["--esp32"] if hal == "esp32" else []),
                       *(f"/firmware/{c}" for c in CONFIGS)],
                 sys_path=["/tests/firmware", "/firmware", "/", "/board_stubs"], cwd="/")
    assert result.returncode == 0, result.output
    assert len(_ok_lines(result.stdout)) == len(CONFIGS), result.output


# ---- start.run: what main.py does with a config.json it refuses -----------------------------

START_SCRIPT = """
import json, machine
machine.RECORD = []
from suivant_fw import start
start.run("/config.json")
print("RETURNED")
print("WIRES " + json.dumps(machine.RECORD))
"""


@pytest.mark.parametrize("role, code", [("counter", "C2"), ("display", "C5")])
def test_a_refused_config_shows_its_code_prints_why_and_returns_to_the_repl(
        role: str, code: str, tmp_path: Path) -> None:
    from test_board_drivers import Wires
    from suivant_fw import segments
    from suivant_fw.pins_default import PINS
    config = json.loads((FIRMWARE / f"config.example.{role}.json").read_text())
    if code == "C2":
        del config["site"]
    else:
        config["broker"]["port"] = 70000
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = run(START_SCRIPT, files={"/firmware": FIRMWARE, "/board_stubs": REPO / "simulators" / "board_stubs",
                                      "/config.json": tmp_path / "config.json"},
                 sys_path=["/firmware", "/board_stubs"], cwd="/")
    assert result.returncode == 0, result.output
    assert f"suivant: /config.json refused: {code} " in result.stdout, result.stdout
    assert "RETURNED" in result.stdout  # back to the REPL, not looping or resetting
    wires = json.loads(result.stdout.split("WIRES ", 1)[1])
    display = PINS[role]["display"]
    w = Wires()
    clk, dio = w.pin("clk"), w.pin("dio")
    for gpio, level in wires:
        if gpio == display["clk"]:
            clk(level)
        elif gpio == display["dio"]:
            dio(level)
    assert [0xC0, *segments.to_bytes(segments.fit(code))] in w.transactions()
