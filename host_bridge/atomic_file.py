"""A text file written all or nothing (a reader never sees half of it: a broker reloading, a
bridge starting), with its rights from the first byte (a secret is never readable by others,
even for a moment). Through the descriptor mkstemp opened: nothing placed in the folder (a
symlink) can redirect the write, the mode or the owner elsewhere."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int,
                 chown: Callable[[int], None] | None = None) -> None:
    """`chown(fd)`: gives the file its owner or group before it is in place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(fd, mode)
            if chown is not None:
                chown(fd)
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
