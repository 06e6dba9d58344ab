"""A firmware build installed on a board as a whole: the board runs the old build or the new
one, never a mix, whatever moment the power is lost.

    report = install(board, files, progress)   # files: firmware_build.role_files(...)

The layout (firmware/fw_swap.py holds the board's side, and OTA updates will use it too):
1. leftovers of an interrupted flash first: the board's own recovery (fw_swap.recover, the
   code main.py runs at boot) puts a whole build in place, then suivant_fw.new/.old go;
2. the root sources (fw_swap.py, main.py) each replaced whole (temp, rename), before any
   folder is renamed: the boot-time recovery is on the board before it can be needed;
3. suivant_fw.new/ written whole: a file the current build already holds identical is copied
   on the board, the others are sent; every hash read back, then MANIFEST written last (temp,
   rename): the marker that the folder is complete;
4. rename suivant_fw -> suivant_fw.old, rename suivant_fw.new -> suivant_fw, remove .old.
A board whose build is already exactly this one (every hash, nothing more) is left alone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .board import Board, ProvisioningError
from .firmware_build import FIRMWARE, MANIFEST, PACKAGE, ROOT_SOURCES, sha256

NEW = PACKAGE + ".new"
OLD = PACKAGE + ".old"
MARGIN = 4096  # bytes of flash left free after writing (file system overhead)

Progress = Callable[[str, int, int], None]


@dataclass
class Installed:
    sent: list[str] = field(default_factory=list)  # crossed the cable
    unchanged: list[str] = field(default_factory=list)  # not sent (copied on the board)
    swapped: bool = False  # False: the board already held exactly this build


def recover(board: Board) -> None:
    """What the board does at boot (fw_swap.recover), then the leftovers removed."""
    source = (FIRMWARE / "fw_swap.py").read_text()
    board.run(source + "\nrecover()\n", "finishing an interrupted swap")
    board.remove_tree(NEW)
    board.remove_tree(OLD)


def install(board: Board, files: dict[str, bytes], flash_free: int,
            progress: Progress | None = None) -> Installed:
    recover(board)
    prefix = PACKAGE + "/"
    package = {p[len(prefix):]: d for p, d in files.items() if p.startswith(prefix)}
    root = {p: d for p, d in files.items() if p in ROOT_SOURCES}
    present = board.listdir(PACKAGE) or []
    now = board.hashes([prefix + n for n in present] + list(root))
    current = {p[len(prefix):]: h for p, h in now.items() if p.startswith(prefix) and h}
    root_changed = {p: d for p, d in root.items() if now.get(p) != sha256(d)}
    same = current == {n: sha256(d) for n, d in package.items()}
    need = sum(map(len, root_changed.values())) + (0 if same else sum(map(len,
                                                                           package.values())))
    if need + MARGIN > flash_free:  # the new build sits beside the old until the swap
        raise ProvisioningError(
            f"the board's flash is too full: {flash_free // 1024} KB free, "
            f"{(need + MARGIN) // 1024} KB needed (the new build is written beside the old "
            "one); nothing was changed (erase old files with mpremote)")
    done = Installed()
    for path, data in root.items():
        if path in root_changed:
            board.write_file(path, data, progress)
        (done.sent if path in root_changed else done.unchanged).append(path)
    if same:
        done.unchanged += sorted(prefix + n for n in package)
        return done
    _write_new(board, package, current, progress, done)
    if PACKAGE in (board.listdir("/") or []):
        board.run(f"import os\nos.rename({PACKAGE!r}, {OLD!r})", "setting the old build aside")
    board.run(f"import os\nos.rename({NEW!r}, {PACKAGE!r})", "putting the new build in place")
    board.remove_tree(OLD)
    done.swapped = True
    return done


def _write_new(board: Board, package: dict[str, bytes], current: dict[str, str],
               progress: Progress | None, done: Installed) -> None:
    marker = MANIFEST[len(PACKAGE) + 1:]
    board.run(f"import os\nos.mkdir({NEW!r})", f"creating {NEW}")
    try:
        for name, data in sorted(package.items()):
            if name == marker:
                continue
            if current.get(name) == sha256(data):
                board.copy(f"{PACKAGE}/{name}", f"{NEW}/{name}")
                done.unchanged.append(f"{PACKAGE}/{name}")
            else:
                board.send(f"{NEW}/{name}", data, progress, label=f"{PACKAGE}/{name}")
                done.sent.append(f"{PACKAGE}/{name}")
        got = board.hashes([f"{NEW}/{n}" for n in package if n != marker])
        wrong = [p for p, h in got.items() if h != sha256(package[p[len(NEW) + 1:]])]
        if wrong:
            raise ProvisioningError(f"read back differs from what was written: "
                                    f"{', '.join(wrong)}; the board keeps its firmware")
        board.write_file(f"{NEW}/{marker}", package[marker])  # last: the build is whole
    except ProvisioningError:
        board.remove_tree(NEW)  # the board keeps its build; a half .new is never swapped in
        raise
