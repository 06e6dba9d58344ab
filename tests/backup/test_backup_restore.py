"""`suivant backup` and `suivant restore FOLDER`: a copy taken while the queue commits, checked,
put back on a fresh machine's files; every bad backup refused with nothing changed."""
from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from support import PARIS, ROOT, example_settings

sys.path.insert(0, str(ROOT / "tests" / "integration"))  # the history's independent replay
from bridge_process import read_history  # noqa: E402

from host_bridge.backup.restore import RestoreRefused, restore_backup
from host_bridge.backup.take import MANIFEST, take_backup
from host_bridge.cli import main
from host_bridge.domain import commands as c
from host_bridge.links.registry import DeviceRegistry
from host_bridge.service.clock import ManualClock
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.staff.store import StaffStore
from host_bridge.store.bridge_lock import BridgeLock
from host_bridge.store.sqlite_store import SCHEMA_VERSION, SqliteStore

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
SERVICES = ("accueil", "etat-civil", "passeports-cni", "urbanisme")


def site_on(folder: Path):
    folder.mkdir(exist_ok=True)
    return example_settings(folder)


def queue_of(settings, clock=None) -> QueueService:
    return QueueService(settings.site, SqliteStore(settings.db_path, "NORMAL", PARIS),
                        clock or ManualClock(NOW))


def snapshot(service: QueueService) -> dict:
    return service.read(lambda s: {
        "tickets": {t.id: (t.label, t.status.value, t.counter) for t in s.tickets.values()},
        "counters": {n: (k.status.value, k.ticket_id) for n, k in s.counters.items()},
        "waiting": {sid: [t.id for t in q] for sid, q in s.waiting.items()}})


def some_traffic(service: QueueService, n: int = 12) -> None:
    for i in range(n):
        service.execute(c.IssueTicket(SERVICES[i % 4], new_ticket_id()), "public", f"k-{i}")
    service.execute(c.OpenCounter(1), "user:agents")
    service.execute(c.CallNext(1), "user:agents")


@pytest.fixture
def site(tmp_path):
    """A site with traffic, a staff account, a Web Push key and an SMS file, and its backup."""
    settings = site_on(tmp_path / "site")
    service = queue_of(settings)
    some_traffic(service)
    staff = StaffStore(str(tmp_path / "site" / "queue.staff.db"))
    staff.db.execute("INSERT INTO accounts(login, name, role, counters, password) "
                     "VALUES ('camille', 'Camille', 'agent', '[]', 'x')")
    staff.close()
    DeviceRegistry(settings.devices_path).close()
    Path(f"{settings.db_path}.vapid.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    Path(f"{settings.db_path}.sms.db").write_bytes(b"")
    taken = take_backup(settings, tmp_path / "backups")  # the queue's connection still open
    state = snapshot(service)
    service.store.close()
    return settings, taken, state


def test_a_backup_holds_each_file_checked_and_listed_and_no_phone_numbers(site):
    settings, taken, _ = site
    files = {f["role"]: f for f in taken.manifest["files"]}
    assert set(files) == {"queue", "staff", "devices", "vapid-key", "site-file"}
    assert files["queue"]["schema"] == SCHEMA_VERSION and files["staff"]["schema"] == 1
    assert "sms" in taken.manifest["left_out"]
    assert sorted(p.name for p in taken.folder.iterdir()) == sorted(
        [MANIFEST, *(f["name"] for f in files.values())])
    assert taken.folder.name.startswith("mairie-villeneuve-") and taken.folder.name.endswith("Z")
    assert stat.S_IMODE(taken.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((taken.folder / "queue.db").stat().st_mode) == 0o600
    db = sqlite3.connect(taken.folder / "queue.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
    db.close()


def test_a_backup_restored_on_a_new_machine_replays_the_same_queue(site, tmp_path, capsys):
    _, taken, state = site
    other = site_on(tmp_path / "new-machine")
    config = Path(other.source)
    code = main(["restore", str(taken.folder), "--config", str(config), "--db", other.db_path])
    said = capsys.readouterr().out
    assert code == 0, said
    assert "queue           -> " in said and "sms" in said
    assert "the queue: 15 events, the last day 2026-11-26" in said  # a day start, 12, 2
    assert "not put back: site-file" in said
    restored = queue_of(other)
    assert snapshot(restored) == state
    restored.store.close()
    assert Path(f"{other.db_path}.vapid.pem").read_text().startswith("-----BEGIN")
    assert not Path(f"{other.db_path}.sms.db").exists()


CRASHED_BRIDGE = """
import os, sys
from host_bridge.store.sqlite_store import SqliteStore
store = SqliteStore(sys.argv[1])
store.db.execute("PRAGMA wal_autocheckpoint=0")
store.db.execute("INSERT INTO events VALUES (1000, '2026-11-26', 'CounterOpened', 'x', '{}')")
os._exit(0)  # no close: the last commit is in the -wal only, as after a crash
"""


def test_the_replaced_files_are_kept_aside_whole_with_what_their_wal_held(site, tmp_path):
    settings, taken, state = site
    subprocess.run([sys.executable, "-c", CRASHED_BRIDGE, settings.db_path], cwd=ROOT,
                   check=True, timeout=60)
    assert Path(f"{settings.db_path}-wal").stat().st_size > 0
    done = restore_backup(settings, taken.folder)
    assert done.aside is not None and done.aside.parent == Path(settings.db_path).parent
    kept = sorted(p.name for p in done.aside.iterdir())
    assert {"queue.db", "queue.staff.db", "queue.db.vapid.pem"} <= set(kept)
    aside = sqlite3.connect(done.aside / "queue.db")
    assert aside.execute("SELECT max(seq) FROM events").fetchone() == (1000,)
    aside.close()
    assert not Path(f"{settings.db_path}-wal").exists()
    again = queue_of(settings)
    assert snapshot(again) == state
    again.store.close()


def damage(folder: Path) -> None:
    data = bytearray((folder / "queue.db").read_bytes())
    data[5000] ^= 0xFF
    (folder / "queue.db").write_bytes(bytes(data))


def other_site(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["site"] = "mairie-ailleurs"
    (folder / MANIFEST).write_text(json.dumps(manifest))


def newer_schema(folder: Path) -> None:
    db = sqlite3.connect(folder / "queue.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    manifest = json.loads((folder / MANIFEST).read_text())
    entry = next(f for f in manifest["files"] if f["role"] == "queue")
    from host_bridge.backup.take import sha256
    entry["sha256"], entry["size"] = sha256(folder / "queue.db"), (folder / "queue.db").stat().st_size
    (folder / MANIFEST).write_text(json.dumps(manifest))


def not_json(folder: Path) -> None:
    (folder / MANIFEST).write_text("{")


def escaping_name(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][0]["name"] = "../../etc/passwd"
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("spoil, words", [
    (damage, "damaged"),
    (other_site, "'mairie-ailleurs'"),
    (newer_schema, "newer than this Suivant's"),
    (not_json, "not a manifest"),
    (escaping_name, "not a manifest"),
    (lambda folder: (folder / MANIFEST).unlink(), "not a Suivant backup folder"),
])
def test_a_bad_backup_is_refused_and_nothing_changes(site, spoil, words, capsys):
    settings, taken, _ = site
    spoil(taken.folder)
    before = {p.name: p.read_bytes() for p in Path(settings.db_path).parent.iterdir()
              if p.is_file()}
    code = main(["restore", str(taken.folder), "--config", settings.source,
                 "--db", settings.db_path])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "nothing was changed" in err, err
    after = {p.name: p.read_bytes() for p in Path(settings.db_path).parent.iterdir()
             if p.is_file()}
    assert after == before


def test_a_restore_is_refused_while_a_bridge_holds_the_database(site):
    settings, taken, _ = site
    with BridgeLock(settings.db_path):  # as the bridge does while it runs
        with pytest.raises(RestoreRefused, match="stop the bridge first"):
            restore_backup(settings, taken.folder)
    reader = sqlite3.connect(settings.db_path)  # a process with the database open
    reader.execute("SELECT count(*) FROM events").fetchone()
    try:
        with pytest.raises(RestoreRefused, match="open"):
            restore_backup(settings, taken.folder)
    finally:
        reader.close()


def test_restore_says_what_to_restore_from(site, capsys):
    settings, taken, _ = site
    assert main(["restore", "--config", settings.source]) == 2
    assert "a backup folder" in capsys.readouterr().err
    assert main(["restore", str(taken.folder), "--from-central", "--config",
                 settings.source]) == 2
    assert "not both" in capsys.readouterr().err


def test_the_backup_command_writes_a_dated_folder_and_says_what_is_in_it(site, tmp_path,
                                                                            capsys):
    settings, _, _ = site
    code = main(["backup", "--config", settings.source, "--db", settings.db_path,
                 "--to", str(tmp_path / "usb")])
    said = capsys.readouterr().out
    assert code == 0 and "backup of mairie-villeneuve in" in said and "each checked" in said
    (made,) = [p for p in (tmp_path / "usb").iterdir() if p.is_dir()]
    assert (made / MANIFEST).is_file()
    status = tmp_path / "usb" / "mairie-villeneuve.last-backup.json"
    assert json.loads(status.read_text())["ok"] is True
    code = main(["backup", "--config", settings.source, "--db", str(tmp_path / "none.db")])
    assert code == 2 and "nothing to back up" in capsys.readouterr().err


# ----- under load: backups taken while tickets are issued and called ----------------------

def test_backups_taken_mid_traffic_restore_to_sound_queues(tmp_path):
    settings = dataclasses.replace(site_on(tmp_path / "site"), site=dataclasses.replace(
        example_settings(tmp_path / "site").site, rules=dataclasses.replace(
            example_settings(tmp_path / "site").site.rules, refuse_outside_hours=False,
            guard_seconds=0)))
    service = queue_of(settings)
    for k in (1, 2, 3, 4):
        service.execute(c.OpenCounter(k), "user:agents")
    stop = threading.Event()
    errors: list[BaseException] = []

    def traffic() -> None:
        i = 0
        try:
            while not stop.is_set():
                service.execute(c.IssueTicket(SERVICES[i % 4], new_ticket_id()), "public")
                if i % 2:
                    counter = 1 + i % 4
                    service.execute(c.CallNext(counter), "user:agents")
                i += 1
        except BaseException as exc:  # a dead thread must fail the test
            errors.append(exc)

    workers = [threading.Thread(target=traffic) for _ in range(2)]
    for w in workers:
        w.start()
    taken = []
    try:
        for _ in range(4):
            taken.append(take_backup(settings, tmp_path / "backups"))
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    service.store.close()
    assert errors == []
    sizes = []
    for n, backup in enumerate(taken):
        target = site_on(tmp_path / f"restored-{n}")
        restore_backup(target, backup.folder)
        history = read_history(target.db_path)
        assert history.problems == []  # every ticket once, numbered without a gap
        seqs = [seq for seq, _, _ in history.events]
        assert seqs == list(range(1, len(seqs) + 1))  # no hole in the history
        replayed = queue_of(target)  # and the bridge starts on it
        assert len(replayed.read(lambda s: s.tickets)) == history.count("TicketIssued")
        replayed.store.close()
        sizes.append(len(seqs))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0] > 0  # taken mid-traffic


def test_a_bridge_lock_is_refused_to_a_second_holder_and_freed_on_release(tmp_path):
    db = str(tmp_path / "q.db")
    first = BridgeLock(db).acquire()
    with pytest.raises(Exception, match=rf"a Suivant bridge \(pid {os.getpid()}\)"):
        BridgeLock(db, "suivant restore").acquire()
    first.release()
    BridgeLock(db).acquire().release()


def files_of(folder: Path) -> dict[str, bytes]:
    """The files, but the lock and SQLite's own -wal/-shm (the restore's look at whether a
    process has a database open may checkpoint a WAL into its database: the same data)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()
            and not p.name.endswith(("-wal", "-shm", ".lock"))}


def test_a_restore_that_cannot_write_puts_everything_back(site, tmp_path):
    settings, taken, _ = site
    before = files_of(Path(settings.db_path).parent)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the registry's folder should be")
    settings = dataclasses.replace(settings, devices_path=str(blocked / "devices.db"))
    with pytest.raises(RestoreRefused, match="are back where they were"):
        restore_backup(settings, taken.folder)
    assert files_of(Path(settings.db_path).parent) == before
    assert not [p for p in Path(settings.db_path).parent.iterdir()
                if p.name.startswith("replaced-")]


def test_a_backup_restores_into_a_data_folder_not_made_yet(site, tmp_path):
    settings, taken, state = site
    fresh = dataclasses.replace(settings, db_path=str(tmp_path / "new" / "data" / "queue.db"),
                                devices_path=str(tmp_path / "new" / "data" / "devices.db"))
    restore_backup(fresh, taken.folder)
    again = queue_of(fresh)
    assert snapshot(again) == state
    again.store.close()
