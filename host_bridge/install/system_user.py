"""The service's own unprivileged user, and files handed to it: only when run as root (a
non-root init writes into folders of its own and owns what it writes)."""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from .layout import InitRefused


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_user(name: str, home: Path) -> bool:
    """The system user `name` (and its group), made if missing: True if made now."""
    try:
        pwd.getpwnam(name)
        return False
    except KeyError:
        pass
    if shutil.which("adduser"):  # Debian's: a system user and a group of its name, no login
        command = ["adduser", "--system", "--group", "--home", str(home), "--no-create-home",
                   "--quiet", name]
    else:
        command = ["useradd", "--system", "--user-group", "--home-dir", str(home),
                   "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise InitRefused(f"cannot create the system user {name!r} ({' '.join(command)}): "
                          f"{done.stderr.strip() or done.returncode}")
    return True


def ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def hand_over(paths: list[Path], owner: tuple[int, int] | None) -> None:
    """`paths` (files and folders init made, not what a folder holds) to the service user,
    when root."""
    if owner is None:
        return
    for path in paths:
        os.chown(path, *owner, follow_symlinks=False)
