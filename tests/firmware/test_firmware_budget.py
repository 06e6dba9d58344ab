"""Issue 3's memory budgets per device role, checked under real MicroPython 1.27 (not a timing
test): the .mpy files a role's boot imports (mpy-cross, -march=xtensawin) total at most 64 KB
(met), and gc.mem_alloc() after boot (after gc.collect()).

The RAM target is 40 KB and is **missed** with the stock MicroPython firmware (the bytecode of
.mpy files loaded from the file system sits in RAM): docs/performance.md gives the figures and
what would meet it. Until then the test holds the figure under RAM_CEILING, the measured figure
rounded up, so any growth fails here and has to be looked at.

The figures come from bench/firmware_memory.py (`python -m bench.firmware_memory` prints the
full report, per module too): the whole boot of each role (config, the board's HAL and driver
on stand-in machine/network modules, the App and its link task running), in the webassembly
port (32-bit like the ESP32).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import firmware_memory as fm


@pytest.fixture(scope="module")
def figures() -> dict[str, fm.RoleFigures]:
    esp32, costs, measured = fm.measure_all()
    print("\n" + fm.report(esp32, costs, measured))
    return {f.label: f for f in measured}


def test_every_role_is_measured(figures: dict[str, fm.RoleFigures]) -> None:
    assert set(fm.ROLES) <= set(figures)
    for f in figures.values():
        # a boot imports the codec, the config and the device state machines
        for needed in ("suivant_fw.config", "suivant_fw.roles", "suivant_fw.device",
                       "suivant_fw.message", "suivant_fw.mac", "suivant_fw.app",
                       "suivant_fw.hal_esp32"):
            assert needed in f.modules, (f.label, f.modules)
        assert f.before < f.imports < f.after, f  # the measurement sees the firmware


@pytest.mark.parametrize("label", list(fm.CONFIGS))
def test_mpy_size_per_role_within_64_kb(figures: dict[str, fm.RoleFigures], label: str) -> None:
    f = figures[label]
    print(f"{label}: {f.mpy_total} B of .mpy ({len(f.modules)} modules), "
          f"budget {fm.MPY_BUDGET} B")
    assert f.mpy_total <= fm.MPY_BUDGET, (
        f"{label}: {f.mpy_total} B of .mpy > {fm.MPY_BUDGET} B; biggest: "
        f"{sorted(f.mpy_sizes.items(), key=lambda kv: -kv[1])[:4]}")


@pytest.mark.parametrize("label", list(fm.CONFIGS))
def test_ram_after_boot_does_not_grow(figures: dict[str, fm.RoleFigures], label: str) -> None:
    f = figures[label]
    print(f"{label}: gc.mem_alloc() {f.before} B before the imports, {f.imports} B after them, "
          f"{f.after} B after boot; target {fm.RAM_BUDGET} B (missed), ceiling {fm.RAM_CEILING} B")
    assert f.after <= fm.RAM_CEILING, (
        f"{label}: gc.mem_alloc() after boot is {f.after} B > {fm.RAM_CEILING} B "
        f"(imports alone: {f.imports} B; of the total, {f.port_only} B is the port's Python "
        f"binascii, io and time, C modules on the ESP32). Per module: "
        f"python -m bench.firmware_memory")


@pytest.mark.parametrize("label", list(fm.CONFIGS))
def test_a_sealed_config_boots_in_less_ram_than_an_unsealed_one(
        figures: dict[str, fm.RoleFigures], label: str) -> None:
    # the sealed boot skips the validator (suivant_fw.boot): its interned names never load
    f = figures[label]
    assert f.after < f.unsealed, (label, f.after, f.unsealed)
