"""The device registry: who may speak to the bridge, with what key, and what it last said.

Provisioned facts (id, role, counter, link, key, broker password, serial port and address) and
the replay state (current boot nonce, highest seq, retired boots) are in an SQLite file of
their own beside the queue's (a status flood must not queue behind the queue's fsyncs, and the
queue's history must not carry keys). A retired boot is written at once; the highest seq is
kept in memory and written behind (flush(), by the gateway after each batch): after a crash it
may be a few messages behind, which lets a resend of those through to the queue — where its
request id answers it without applying it twice. Health (online, last seen, RSSI, free heap,
link errors, shown version, bad messages) is kept in memory: it is re-learnt within a status
period after a restart.

Keys are stored as they are: the bridge needs them to check MACs (HMAC is symmetric). The file
is created readable by its owner only.

The file is shared: the running bridge and `suivant device add|remove|rekey` (other processes)
open it at once. The bridge follows their changes within CHECK_S: SQLite's `PRAGMA
data_version` changes when another connection commits, so the bridge reads that counter at
most every CHECK_S (and at once for an id it does not know), and reloads the devices only
when it moved: a removed device is unknown, a rekeyed one has its new key. A message costs no
SQL otherwise. The file also remembers where `suivant broker-config` wrote Mosquitto's files
(`broker_files`), so that the device commands can rewrite them.
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from suivant_fw.message import ROLES

DEVICE_ID = re.compile(r"[a-z0-9-]{1,24}")
LINKS = ("mqtt", "serial")
BOOTS_KEPT = 64  # retired boot nonces per device, refused if they come back
CHECK_S = 0.25  # another process's add, remove or rekey is seen by the bridge this soon

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, role TEXT NOT NULL, counter INTEGER, link TEXT NOT NULL,
    key TEXT NOT NULL, broker_password TEXT, serial_port TEXT, serial_address INTEGER,
    created_at TEXT NOT NULL, boot TEXT, last_seq INTEGER NOT NULL DEFAULT 0, firmware TEXT
);
CREATE TABLE IF NOT EXISTS retired_boots (
    device TEXT NOT NULL, boot TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (device, boot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS broker_files (
    one INTEGER PRIMARY KEY CHECK (one = 1), folder TEXT NOT NULL, pid_file TEXT
);
"""


_SELECT = ("SELECT id, role, counter, link, key, broker_password, serial_port, serial_address, "
           "firmware, boot, last_seq FROM devices")


class RegistryError(ValueError):
    """A device that cannot be registered so: `field` names what is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Device:
    id: str
    role: str
    counter: int | None
    link: str
    key: bytes
    broker_password: str | None = None
    serial_port: str | None = None
    serial_address: int | None = None
    firmware: str | None = None


@dataclass(frozen=True)
class BrokerFiles:
    """Where `suivant broker-config` wrote Mosquitto's files, and Mosquitto's pid file (None:
    the commands do not signal it)."""
    folder: str
    pid_file: str | None


@dataclass
class Health:
    online: bool = False
    last_seen: datetime | None = None
    boot: str | None = None
    firmware: str | None = None
    uptime_s: int | None = None
    rssi: int | None = None
    heap: int | None = None  # status's heap: gc.mem_free() (on an ESP32, room it could grow into)
    heap_alloc: int | None = None  # gc.mem_alloc(): what the firmware holds
    heap_largest: int | None = None  # the IDF heap's largest free block (None off an ESP32)
    link_errors: int | None = None
    shown: int | None = None
    bad_messages: int = 0  # lines refused: bad MAC, malformed, replayed
    via: str | None = None  # "mqtt", or the serial port it was last heard on


@dataclass(frozen=True)
class Sequence:
    """What a (boot, seq) is for a device: FRESH (the highest seq of the current boot yet, or
    a new boot); OLD (a seq of the current boot at or below the highest: a resend, a late
    message or a replay — a press or vote is answered from the queue's record of it, a hello
    or status is dropped); RETIRED (a boot nonce that a newer one replaced: never applied)."""
    verdict: str


FRESH, OLD, RETIRED = "fresh", "old", "retired"


class _Db:
    """The registry's one SQLite connection, used by several threads: each statement, and
    flush()'s transaction as a whole, under `lock`, so no statement lands inside another's
    transaction. The registry's own lock guards its memory only."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.lock = threading.RLock()

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        with self.lock:
            self.conn.executescript(script)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _device(row: tuple[Any, ...]) -> Device:
    return Device(row[0], row[1], row[2], row[3], bytes.fromhex(row[4]), row[5], row[6],
                  row[7], row[8])


class DeviceRegistry:
    def __init__(self, path: str, valid_counters: frozenset[int] = frozenset()):
        new = path != ":memory:" and not os.path.exists(path)
        self.db = _Db(sqlite3.connect(path, isolation_level=None, check_same_thread=False))
        if new:
            os.chmod(path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # a lost replay state costs nothing: the
        self.db.execute("PRAGMA busy_timeout=5000")   # queue's own request ids keep presses once
        self.db.executescript(_SCHEMA)
        self.valid_counters = valid_counters
        self._lock = threading.Lock()
        self._devices: dict[str, Device] = {}
        self._sorted: list[Device] | None = None  # all(), kept until the devices change
        self._state: dict[str, tuple[str | None, int]] = {}  # id -> (boot, last seq)
        self._unwritten: set[str] = set()  # ids whose last seq is not on disk yet
        self.health: dict[str, Health] = {}
        self._version = self._data_version()
        self._checked = time.monotonic()
        self._reload()

    # -- following the other processes' changes ---------------------------------------------
    def _data_version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def _follow_changes(self, now: bool = False) -> None:
        """Reload the devices if another process committed to the file since the last look;
        looked at most every CHECK_S unless `now` (reading the counter is no table read)."""
        moment = time.monotonic()
        if not now and moment - self._checked < CHECK_S:
            return
        with self._lock:
            self._checked = moment
            version = self._data_version()
            if version != self._version:
                self._version = version
                self._reload()

    def _reload(self) -> None:
        """The devices as the file has them: removed ones go, changed keys replace the old.
        A device new to this process takes its replay state from the file; a known one keeps
        its own (ahead of the file: it is written behind). Replay state and health of removed
        devices stay, unused: a line being handled in another thread may still reach them."""
        devices: dict[str, Device] = {}
        for row in self.db.execute(_SELECT):
            dev = _device(row)
            devices[dev.id] = dev
            if dev.id not in self._devices:
                self._state[dev.id] = (row[9], row[10])
                self.health[dev.id] = Health(boot=row[9], firmware=row[8])
        self._devices = devices
        self._sorted = None

    def close(self) -> None:
        self.flush()
        self.db.close()

    def flush(self) -> None:
        """Write the highest seqs taken since the last flush, in one transaction. The
        registry's lock is not held across the commit: a message of a known boot (the link's
        thread, sequence()) is classified meanwhile (issue 12: it stalled the MQTT thread)."""
        with self._lock:
            if not self._unwritten:
                return
            rows = [(self._state[i][1], i) for i in self._unwritten if i in self._state]
            self._unwritten.clear()
        with self.db.lock:  # no other statement inside this transaction
            self.db.execute("BEGIN")
            try:
                self.db.executemany("UPDATE devices SET last_seq=? WHERE id=?", rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -- provisioning ----------------------------------------------------------------------
    def add(self, device_id: str, role: str, counter: int | None = None, link: str = "mqtt",
            serial_port: str | None = None, serial_address: int | None = None,
            key: bytes | None = None, broker_password: str | None = None) -> Device:
        """Register a device with a fresh key (and broker password for MQTT)."""
        if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
            raise RegistryError("id", "1 to 24 of a-z 0-9 -")
        if role not in ROLES:
            raise RegistryError("role", f"one of {', '.join(ROLES)}")
        if role in ("counter", "display") and counter is None:
            what = "counter terminal" if role == "counter" else "counter display"
            raise RegistryError("counter", f"a {what} belongs to a counter: give its number")
        if role == "hall" and counter is not None:
            raise RegistryError("counter", "a hall display shows every counter")
        if counter is not None and self.valid_counters and counter not in self.valid_counters:
            raise RegistryError("counter", f"no counter {counter} in the site")
        if link not in LINKS:
            raise RegistryError("link", "mqtt or serial")
        if link == "serial":
            if not serial_port:
                raise RegistryError("serial_port", "a serial device needs the port it is on")
            if serial_address is None or not 0 <= serial_address <= 254:
                raise RegistryError("serial_address", "0 (point to point) or 1-254 (bus)")
        elif serial_port is not None or serial_address is not None:
            raise RegistryError("serial_port", "only for link serial")
        if key is not None and len(key) != 32:
            raise RegistryError("key", "32 bytes")
        self._follow_changes(now=True)  # an id or address taken by another process counts
        dev = Device(device_id, role, counter, link, key or secrets.token_bytes(32),
                     (broker_password or secrets.token_urlsafe(18)) if link == "mqtt" else None,
                     serial_port, serial_address)
        with self._lock:
            if device_id in self._devices:
                raise RegistryError("id", f"{device_id} is already registered")
            if link == "serial":
                for other in self._devices.values():
                    if (other.serial_port, other.serial_address) == (serial_port, serial_address):
                        raise RegistryError("serial_address",
                                            f"{other.id} has it on {serial_port}")
            self.db.execute(
                "INSERT INTO devices (id, role, counter, link, key, broker_password, serial_port,"
                " serial_address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dev.id, dev.role, dev.counter, dev.link, dev.key.hex(), dev.broker_password,
                 dev.serial_port, dev.serial_address, _now().isoformat()))
            self._devices[dev.id] = dev
            self._sorted = None
            self._state[dev.id] = (None, 0)
            self.health[dev.id] = Health()
        return dev

    def remove(self, device_id: str) -> bool:
        """Forget a device: its lines are refused from now on (here at once, in a bridge
        running in another process within CHECK_S)."""
        self._follow_changes(now=True)
        with self._lock:
            self._sorted = None
            if self._devices.pop(device_id, None) is None:
                return False
            self._unwritten.discard(device_id)
            for table, column in (("devices", "id"), ("retired_boots", "device")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (device_id,))
            return True

    def rekey(self, device_id: str) -> Device:
        """A new key (and broker password, for an MQTT device): the old ones stop working,
        as remove() says. Its replay state is kept: the reflashed board starts a new boot."""
        self._follow_changes(now=True)
        with self._lock:
            dev = self._devices.get(device_id)
            if dev is None:
                raise RegistryError("id", f"no device {device_id}")
            new = replace(dev, key=secrets.token_bytes(32), broker_password=(
                secrets.token_urlsafe(18) if dev.link == "mqtt" else None))
            self.db.execute("UPDATE devices SET key=?, broker_password=? WHERE id=?",
                            (new.key.hex(), new.broker_password, device_id))
            self._devices[device_id] = new
            self._sorted = None
        return new

    def get(self, device_id: str) -> Device | None:
        """The device as the file has it now (within CHECK_S): also one another process
        (`suivant device add`, the simulator) registered since this registry was opened —
        an unknown id looks at once —, None for one removed since."""
        unknown = device_id not in self._devices
        self._follow_changes(now=unknown and isinstance(device_id, str)
                             and DEVICE_ID.fullmatch(device_id) is not None)
        return self._devices.get(device_id)

    def all(self) -> list[Device]:
        self._follow_changes()
        with self._lock:  # sorted once per change, not at every display refresh
            if self._sorted is None:
                self._sorted = sorted(self._devices.values(), key=lambda d: d.id)
            return list(self._sorted)

    # -- where Mosquitto's files are (suivant broker-config) -----------------------------------
    def broker_files(self) -> BrokerFiles | None:
        row = self.db.execute("SELECT folder, pid_file FROM broker_files").fetchone()
        return BrokerFiles(row[0], row[1]) if row else None

    def set_broker_files(self, files: BrokerFiles) -> None:
        self.db.execute("INSERT OR REPLACE INTO broker_files VALUES (1, ?, ?)",
                        (files.folder, files.pid_file))

    # -- replay protection -----------------------------------------------------------------
    def sequence(self, device_id: str, boot: str, seq: int) -> Sequence:
        """Classify a device message's (boot, seq) and, when FRESH, take it: the boot becomes
        the current one (the previous one is retired for good) and seq the highest."""
        with self._lock:
            current, last = self._state[device_id]
            if boot != current:
                if self.db.execute("SELECT 1 FROM retired_boots WHERE device=? AND boot=?",
                                   (device_id, boot)).fetchone():
                    return Sequence(RETIRED)
                self._retire(device_id, current)
                self.db.execute("UPDATE devices SET boot=?, last_seq=? WHERE id=?",
                                (boot, seq, device_id))
                self._state[device_id] = (boot, seq)
                return Sequence(FRESH)
            if seq <= last:
                return Sequence(OLD)
            self._state[device_id] = (boot, seq)
            self._unwritten.add(device_id)
            return Sequence(FRESH)

    def _retire(self, device_id: str, boot: str | None) -> None:
        if boot is None:
            return
        n = self.db.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM retired_boots WHERE device=?",
                            (device_id,)).fetchone()[0]
        self.db.execute("INSERT OR IGNORE INTO retired_boots VALUES (?, ?, ?)",
                        (device_id, boot, n))
        self.db.execute("DELETE FROM retired_boots WHERE device=? AND n <= ?",
                        (device_id, n - BOOTS_KEPT))

    # -- what devices say about themselves -------------------------------------------------
    def set_firmware(self, device_id: str, firmware: str) -> None:
        with self._lock:
            dev = self._devices.get(device_id)
            if dev is not None and dev.firmware != firmware:
                self._devices[device_id] = replace(dev, firmware=firmware)
                self._sorted = None
                self.db.execute("UPDATE devices SET firmware=? WHERE id=?", (firmware, device_id))
