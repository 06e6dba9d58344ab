"""`suivant restore --from-central`: a site whose disk was lost gets its history back from
central (the `history` request, page by page) and starts again where it was.

What comes back: every event central holds for the site, with its own sequence number, day,
type, time and fields: the bridge replays today's from them at start, as after any restart, and
the reports read the earlier days. What does not (said to whoever runs it): the answers the
bridge recorded for each request (a board or a kiosk resending a request made before the loss
gets it applied again), FAQ readings, and anything outside the queue's database (the staff
file, the device registry, the site file).

Nothing is half-made: the events go into a temporary file beside the database, committed and
renamed over it only once every page has come. An existing database with events in it is
refused unless --force, which keeps it aside under another name.
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..domain.events import EVENT_TYPES
from ..store.event_codec import event_from_json
from ..store.sqlite_copy import file_uri
from . import wire
from .settings import NetworkSettings

ASK_SECONDS = 10.0  # central's time to answer one page
TRIES = 3  # a page asked again after a timeout, then the restore gives up
MAX_PAGES = 100_000  # 50 million events: far beyond a site's lifetime


class RestoreError(Exception):
    pass


@dataclass
class Restored:
    path: str
    events: int = 0
    last_seq: int = 0
    contiguous: int = 0  # central's: every event up to it is held
    days: dict[str, int] = field(default_factory=dict)  # day -> events
    kept_aside: str | None = None

    def lines(self) -> list[str]:
        days = sorted(self.days)
        out = [f"restored {self.path} from central: {self.events} events of {len(days)} "
               f"business day{'s' if len(days) != 1 else ''}" +
               (f" ({days[0]} to {days[-1]})" if days else "") +
               f", last sequence number {self.last_seq}"]
        if not days:
            out.append("  central holds no event of this site: is it the right site file, and "
                       "did the site ever reach central?")
        if days:
            out.append(f"  the last day, {days[-1]}: {self.days[days[-1]]} events; the bridge "
                       "replays them at start, so its queue is as it was when central last "
                       "heard from the site")
        if self.kept_aside:
            out.append(f"  the database that was there is kept as {self.kept_aside}")
        out.append(f"  the publisher starts after sequence number {self.last_seq} "
                   f"({Path(self.path).name}.network.json): nothing is sent to central again")
        out += [
            "not restored (central never had them):",
            "  - the answers recorded for each request (and each board's last message): a "
            "board keeps resending a press until it is acknowledged (protocol.md §5), so a press "
            "central holds but whose acknowledgement was lost with the disk is applied again "
            "when the bridge is back — a second «\u00a0Suivant\u00a0» at that counter; a kiosk retrying a "
            "ticket request gets a second ticket. Only what was pressed in the last moment "
            "before the loss is concerned. To be sure, switch the boards off and on before "
            "starting the bridge: a board drops its unacknowledged presses when it restarts",
            "  - the FAQ readings' counts (they start again from zero)",
            "  - events the site made after central's last acknowledgement (lost with the disk)",
            "  - files beside the database: the staff accounts and audit log (*.staff.db), the "
            "device registry with the boards' keys ([store] devices_path: boards need "
            "`suivant device` again if it is lost) and the site file itself",
        ]
        return [textwrap.fill(line, 100, subsequent_indent="    ") for line in out]


def events_in(path: Path) -> int | None:
    """How many events the database holds; None when there is no database. An unreadable
    file counts as holding some: only --force replaces it."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(file_uri(path, "ro"), uri=True)
        try:
            return db.execute("SELECT count(*) FROM events").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return 0
        return -1
    except sqlite3.DatabaseError:
        return -1


def in_use(path: Path) -> bool:
    """Whether a process (a running bridge) has the database open: in WAL mode every open
    connection holds a shared lock, so an exclusive one is refused."""
    if not path.exists():
        return False
    db = sqlite3.connect(path, isolation_level=None, timeout=0.2)
    try:
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("BEGIN EXCLUSIVE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as e:
        return "locked" in str(e) or "busy" in str(e)
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


def _checked(event: Any, after: int) -> tuple[int, str, str, str, str]:
    """One event of a `history` answer, as the site's table holds it; RestoreError if it is
    not one the site could replay."""
    if not isinstance(event, dict):
        raise RestoreError("central answered something that is not an event")
    seq, day, kind, at, body = (event.get(k) for k in ("seq", "day", "type", "at", "body"))
    if isinstance(seq, bool) or not isinstance(seq, int) or seq <= after:
        raise RestoreError(f"central's history is out of order (event {seq!r} after {after})")
    if kind not in EVENT_TYPES or not isinstance(body, str) or not isinstance(day, str) \
            or len(body) > wire.MAX_EVENT_BYTES or not isinstance(at, str):
        raise RestoreError(f"event {seq}: not an event the site knows")
    try:
        date.fromisoformat(day)
        datetime.fromisoformat(at)
        event_from_json(kind, body)
        if json.loads(body).get("at") != at:
            raise ValueError("its time is not its fields'")
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise RestoreError(f"event {seq}: cannot be replayed ({e})") from None
    return seq, day, kind, at, body


async def _connect(site: str, settings: NetworkSettings) -> Any:
    import nats

    async def quiet(e: Exception) -> None:  # said once, plainly, if the restore fails
        pass
    options: dict[str, Any] = dict(
        servers=list(settings.urls), user=settings.user, password=settings.password,
        name=f"suivant-restore-{site}", inbox_prefix=wire.inbox_prefix(site),
        connect_timeout=5, max_reconnect_attempts=3, reconnect_time_wait=0.5,
        allow_reconnect=True, error_cb=quiet)
    if settings.ca_file or any(u.startswith("tls://") for u in settings.urls):
        import ssl
        options["tls"] = ssl.create_default_context(cafile=settings.ca_file)
    try:
        return await nats.connect(**options)
    except Exception as e:  # noqa: BLE001 - said plainly: the restore cannot start
        raise RestoreError(f"cannot reach central's NATS ({', '.join(settings.urls)}) as "
                           f"{settings.user}: {type(e).__name__}: {e}") from None


async def _page(nc: Any, site: str, after: int) -> dict[str, Any]:
    request = json.dumps({"v": wire.VERSION, "after": after,
                          "limit": wire.HISTORY_PAGE}).encode()
    for attempt in range(TRIES):
        try:
            msg = await nc.request(wire.request_subject("history", site), request,
                                   timeout=ASK_SECONDS)
        except Exception as e:  # noqa: BLE001 - no central listening, a timeout: again
            if attempt == TRIES - 1:
                raise RestoreError(f"central did not answer `history` after {after} "
                                   f"({type(e).__name__}); is `suivant central serve` "
                                   "running?") from None
            continue
        try:
            return wire.decode_answer(msg.data)
        except wire.WireError as e:
            if e.reason != "unavailable" or attempt == TRIES - 1:
                raise RestoreError(f"central refused: {e}") from None
            await asyncio.sleep(1.0)  # its PostgreSQL is away for a moment: again
    raise AssertionError("unreachable")


async def _fetch(site: str, settings: NetworkSettings, db: sqlite3.Connection,
                 out: Restored) -> None:
    nc = await _connect(site, settings)
    try:
        after = 0
        for _ in range(MAX_PAGES):
            answer = await _page(nc, site, after)
            events = answer.get("events")
            contiguous = answer.get("contiguous")
            if not isinstance(events, list) or len(events) > wire.HISTORY_PAGE \
                    or isinstance(contiguous, bool) or not isinstance(contiguous, int):
                raise RestoreError("central's answer is not a page of history")
            out.contiguous = contiguous
            if not events:
                return
            rows = []
            for event in events:
                row = _checked(event, after)
                after = row[0]
                out.days[row[1]] = out.days.get(row[1], 0) + 1
                rows.append(row)
            db.executemany("INSERT INTO events(seq, day, type, at, body) VALUES (?,?,?,?,?)",
                           rows)
            out.events += len(rows)
            out.last_seq = after
        raise RestoreError(f"more than {MAX_PAGES} pages: stopped")
    finally:
        try:
            await asyncio.wait_for(nc.close(), 2)
        except Exception:  # noqa: BLE001
            pass


def _aside(path: Path) -> Path:
    when = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.before-restore-{when}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.before-restore-{when}-{n}")
    return target


def _companions(path: Path) -> list[Path]:
    """SQLite's files beside a WAL database: left over, they would be read into the new one."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def restore(site: str, settings: NetworkSettings, db_path: str | Path, force: bool = False,
            allow_gaps: bool = False) -> Restored:
    """The site's database at `db_path` made again from central's history; RestoreError (and
    nothing changed) when it cannot."""
    from ..store.sqlite_store import SqliteStore

    path = Path(db_path)
    if in_use(path):
        raise RestoreError(f"{path} is open in another process (a bridge running on it?): "
                           "stop it first")
    held = events_in(path)
    if held and not force:
        what = "cannot be read" if held < 0 else f"holds {held} events"
        raise RestoreError(f"{path} {what}: stop its bridge and restore with --force (the "
                           "file is kept aside), or give another --db")
    if not path.parent.is_dir():
        raise RestoreError(f"no folder {path.parent}")
    temp = path.with_name(f".{path.name}.restoring")
    for f in (temp, *_companions(temp)):
        f.unlink(missing_ok=True)
    out = Restored(str(path))
    store = SqliteStore(str(temp))  # the site's own schema, as the bridge makes it
    try:
        store.db.execute("BEGIN IMMEDIATE")
        asyncio.run(_fetch(site, settings, store.db, out))
        if out.contiguous < out.last_seq and not allow_gaps:
            raise RestoreError(
                f"central holds events up to {out.last_seq} but misses some after "
                f"{out.contiguous} (they are still on their way, or lost): wait for central to "
                "catch up, or restore with the gaps (--allow-gaps)")
        store.db.execute("COMMIT")
    except BaseException:
        store.close()
        for f in (temp, *_companions(temp)):
            f.unlink(missing_ok=True)
        raise
    store.close()  # the WAL checkpointed into the file and removed
    if path.exists() or any(f.exists() for f in _companions(path)):
        if held:
            aside = _aside(path)
            for f, g in zip((path, *_companions(path)), (aside, *_companions(aside))):
                if f.exists():
                    os.replace(f, g)
            out.kept_aside = str(aside)
        else:  # an empty database, or a WAL without its database: nothing to keep
            for f in (path, *_companions(path)):
                f.unlink(missing_ok=True)
    os.replace(temp, path)
    cursor = Path(str(path) + ".network.json")
    tmp = cursor.with_suffix(".tmp")
    tmp.write_text(json.dumps({"published_seq": out.last_seq}))
    os.replace(tmp, cursor)
    _sync_folder(path.parent)
    return out


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
