"""Long polls: a reader waits on the event loop (no thread held) until what it reads may have
changed. Writers run in worker threads (or wherever) and wake the loop's waiters through
call_soon_threadsafe. Why not the public event stream: that one goes to every screen and
phone of the hall, and a citizen's words must only reach that citizen and the desk."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .errors import TooManyWaiting

STAFF = "*staff"  # the key of the staff's list: woken by every change
MAX_WAITING = 200  # citizens' long polls at once: every phone of a busy hall, twice over
PER_READER = 3  # one ticket's at once (a reload leaves the old one waiting until its end)
STAFF_WAITING = 50  # the desk's own places: citizens filling theirs never lock it out


class Changes:
    def __init__(self, max_waiting: int = MAX_WAITING, staff_waiting: int = STAFF_WAITING):
        self.max_waiting, self.staff_waiting = max_waiting, staff_waiting
        self.seq = 0  # bumped by every change: read it before reading, wait from it
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._waiting = 0  # every long poll waiting (citizens' and staff's)
        self._by_reader: dict[str, int] = {}  # STAFF, or a ticket id -> its polls waiting
        self.closing = False  # the server stops: nobody waits any more

    def bump(self, key: str) -> None:
        """`key`'s conversation changed (a ticket id): its reader and the staff's wake up."""
        with self._lock:
            self.seq += 1
            woken = self._waiters.pop(key, set()) | self._waiters.pop(STAFF, set())
        for loop, future in woken:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # its loop is closed: nobody waits there any more
                pass

    def close(self) -> None:
        """The server stops: every waiting poll answers now, and none waits from now on."""
        with self._lock:
            self.closing = True
            woken = set().union(*self._waiters.values()) if self._waiters else set()
            self._waiters.clear()
        for loop, future in woken:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:
                pass

    @contextmanager
    def slot(self, reader: str) -> Iterator[None]:
        """One long poll's place for `reader` (STAFF, or a ticket id); TooManyWaiting past
        the staff's cap, or past the citizens' cap or PER_READER for one ticket."""
        with self._lock:
            mine = self._by_reader.get(reader, 0)
            if reader == STAFF:
                if mine >= self.staff_waiting:
                    raise TooManyWaiting(f"{self.staff_waiting} staff readers wait already")
            elif self._waiting - self._by_reader.get(STAFF, 0) >= self.max_waiting:
                raise TooManyWaiting(f"{self.max_waiting} readers wait already")
            elif mine >= PER_READER:
                raise TooManyWaiting(f"{PER_READER} readers of this ticket wait already")
            self._waiting += 1
            self._by_reader[reader] = mine + 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1
                left = self._by_reader[reader] - 1
                if left:
                    self._by_reader[reader] = left
                else:
                    del self._by_reader[reader]

    async def wait(self, keys: Iterable[str], since: int, timeout: float) -> None:
        """Until a change after `since` touches one of `keys`, or `timeout` seconds."""
        loop = asyncio.get_running_loop()
        entry = (loop, loop.create_future())
        keys = tuple(keys)
        with self._lock:
            if self.seq != since or self.closing:
                return  # changed while the caller was reading (read again), or stopping
            for key in keys:
                self._waiters.setdefault(key, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1], timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                for key in keys:
                    waiters = self._waiters.get(key)
                    if waiters is not None:
                        waiters.discard(entry)
                        if not waiters:
                            del self._waiters[key]


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
