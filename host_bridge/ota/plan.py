"""`suivant device update`: which boards, which build, in which order.

    rollout, steps = plan(store, devices, wave=5, confirm_s=300)

One build per (role, link) among the chosen boards, compiled now from the firmware folder
(what `device flash` would install: the package only — main.py and fw_swap.py, the boot's own
code, are not updated over the air, so a bad build can never break the step that rolls it
back). Step 0: one canary per role (the first by id); then waves of `wave` boards, by id.
"""
from __future__ import annotations

from ..links.registry import Device
from ..provisioning.firmware_build import (MPY_SUB_VERSION, MPY_VERSION, PACKAGE, role_files,
                                           version_of)
from .store import UpdateStore

# MicroPython 1.27's .mpy format without a native architecture: bytecode any board loads
BOARD_MPY = MPY_VERSION | MPY_SUB_VERSION << 8
CONFIRM_S = 300  # a trial build keeps running this long, online, before it confirms itself


def update_files(role: str, link: str) -> tuple[str, list[tuple[str, bytes]]]:
    """(version, [(board path, data)]) of the package, its MANIFEST last (the mark of a whole
    build on the board, fw_swap.py)."""
    files = role_files(role, link, BOARD_MPY)
    manifest = f"{PACKAGE}/MANIFEST"
    ordered = sorted((p, d) for p, d in files.items()
                     if p.startswith(PACKAGE + "/") and p != manifest)
    return version_of(files), ordered + [(manifest, files[manifest])]


def steps(devices: list[Device], wave: int) -> list[list[Device]]:
    ordered = sorted(devices, key=lambda d: d.id)
    canaries: dict[str, Device] = {}
    for d in ordered:
        canaries.setdefault(d.role, d)
    rest = [d for d in ordered if canaries[d.role] is not d]
    return [list(canaries.values())] + [rest[i:i + wave] for i in range(0, len(rest), wave)]


def plan(store: UpdateStore, devices: list[Device], wave: int,
         confirm_s: int = CONFIRM_S) -> tuple[int, list[list[Device]], dict[tuple[str, str], int]]:
    if not devices:
        raise ValueError("no board to update")
    if wave < 1:
        raise ValueError("--wave is at least 1")
    builds: dict[tuple[str, str], int] = {}
    for role, link in sorted({(d.role, d.link) for d in devices}):
        version, files = update_files(role, link)
        builds[role, link] = store.add_build(role, link, version, files).build
    order = steps(devices, wave)
    targets = [(d.id, builds[d.role, d.link], i) for i, step in enumerate(order) for d in step]
    return store.start_rollout(targets, wave, confirm_s), order, builds
