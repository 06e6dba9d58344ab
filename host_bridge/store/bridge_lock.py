"""`<database>.lock`: held by the bridge serving a database for as long as it runs, and by
`suivant restore` while it replaces the files. An flock(2): the kernel lets it go when the
process ends, even by `kill -9`, so a crashed bridge never leaves a stale lock behind."""
from __future__ import annotations

import errno
import fcntl
import os
import pwd


class DatabaseInUse(RuntimeError):
    pass


class LockNotOpened(OSError):
    """`<database>.lock` cannot be opened: most often it, or the data folder, was left root's
    by a command run as root (`sudo suivant restore` without `-u suivant`)."""

    def __str__(self) -> str:
        said = f"cannot open {self.filename} ({self.strerror})"
        if self.errno not in (errno.EACCES, errno.EPERM):
            return said
        try:
            me = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:  # a uid without a name (a container)
            me = str(os.geteuid())
        folder = os.path.dirname(os.path.abspath(self.filename))
        return (f"{said}: it, or its folder, is not {me}'s, who runs this (a command run as "
                f"root leaves root's files: `sudo suivant restore` without `-u {me}`?): give "
                f"the data folder back with `sudo chown -R {me}: {folder}`, then start again")


class BridgeLock:
    def __init__(self, db_path: str, what: str = "a Suivant bridge"):
        self.path = f"{db_path}.lock"
        self.what = what  # written in the file: who holds it, for the refusal's message
        self._fd: int | None = None

    def acquire(self) -> BridgeLock:
        """DatabaseInUse when another process (or another lock here) holds it; LockNotOpened
        when the file cannot be opened."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockNotOpened(exc.errno, exc.strerror, self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise DatabaseInUse(f"{holder} is using {self.path[:-5]}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.what} (pid {os.getpid()})".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor lets the lock go
            self._fd = None

    def __enter__(self) -> BridgeLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
