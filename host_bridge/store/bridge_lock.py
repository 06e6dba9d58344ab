"""`<database>.lock`: held by the bridge serving a database for as long as it runs, and by
`suivant restore` while it replaces the files. An flock(2): the kernel lets it go when the
process ends, even by `kill -9`, so a crashed bridge never leaves a stale lock behind."""
from __future__ import annotations

import fcntl
import os


class DatabaseInUse(RuntimeError):
    pass


class BridgeLock:
    def __init__(self, db_path: str, what: str = "a Suivant bridge"):
        self.path = f"{db_path}.lock"
        self.what = what  # written in the file: who holds it, for the refusal's message
        self._fd: int | None = None

    def acquire(self) -> BridgeLock:
        """DatabaseInUse when another process (or another lock here) holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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

    # a link of the bridge (start/stop), and a context for the restore
    def start(self) -> BridgeLock:
        return self.acquire()

    def stop(self) -> None:
        self.release()

    def __enter__(self) -> BridgeLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
