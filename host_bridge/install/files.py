"""Writing an installed site's files: all or nothing, private from the first byte."""
from __future__ import annotations

import os
from pathlib import Path

from ..atomic_file import write_atomic


def writable(folder: Path) -> bool:
    """Whether init may make or write in `folder` (its nearest existing ancestor)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def names(folder: Path) -> set[str]:
    return set(os.listdir(folder)) if folder.is_dir() else set()


def make_private(paths: list[Path]) -> None:
    """The files among `paths` (those init made) readable by the service's group at most."""
    for path in paths:
        if path.is_file() and not path.is_symlink():
            path.chmod(path.stat().st_mode & 0o640)


def write(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    """All or nothing, `mode` from the start, then handed to the service user."""
    write_atomic(path, text, mode, None if owner is None else lambda fd: os.fchown(fd, *owner))
