"""Review of issue 16 (`suivant backup` and the scheduled backups): two backups at once, an old
copy the bridge may not remove, two sites sharing a backup folder. Each test fails while its bug
is there."""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from host_bridge.backup.schedule import backup_now
from host_bridge.backup.settings import BackupSettings
from host_bridge.backup.take import folder_name, take_backup
from host_bridge.doctor import host_checks
from host_bridge.doctor.report import Status
from host_bridge.store.sqlite_store import SqliteStore
from support import ROOT, example_settings

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def site_in(folder: Path, site_id: str | None = None, backups: Path | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    settings = example_settings(folder)
    if site_id is not None:
        settings = dataclasses.replace(settings, site=dataclasses.replace(settings.site,
                                                                          id=site_id))
    if backups is not None:
        settings = dataclasses.replace(settings, backup=BackupSettings(folder=str(backups)))
    SqliteStore(settings.db_path).close()
    return settings


def test_a_backup_started_while_another_of_the_same_second_is_being_written_is_taken(tmp_path):
    """take_backup() only steps past a finished folder of the same second, not one still being
    written (`….partial`): the CLI run while the scheduled backup copies fails with a bare
    '[Errno 17] File exists' and no backup is made."""
    settings = site_in(tmp_path / "site")
    backups = tmp_path / "backups"
    backups.mkdir()
    # the scheduled backup, started this same second, still copying
    (backups / f"{folder_name(settings.site.id, NOW)}.partial").mkdir()
    taken = take_backup(settings, backups, NOW)
    assert (taken.folder / "queue.db").is_file()


def _nobody() -> tuple[list[str], int, int]:
    entry = pwd.getpwnam("nobody")
    return (["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
             "--clear-groups"], entry.pw_uid, entry.pw_gid)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to play both the IT person and the service user")
def test_a_backup_made_while_an_old_copy_cannot_be_removed_is_said_made():
    """When pruning fails (here: a copy `sudo suivant backup` made root's), backup_now() records
    the backup it has just made as failed ('Permission denied', no folder): the CLI says 'no
    backup was made', doctor says the last backup failed, and no old copy is ever removed
    again."""
    prefix, uid, gid = _nobody()
    base = Path(tempfile.mkdtemp(prefix="suivant-review-"))
    try:
        os.chown(base, uid, gid)
        for sub in ("site", "backups"):
            (base / sub).mkdir()
            os.chown(base / sub, uid, gid)
        settings = site_in(base / "site", backups=base / "backups")
        settings = dataclasses.replace(settings, backup=dataclasses.replace(settings.backup,
                                                                            keep=1))
        for p in (base / "site").iterdir():
            os.chown(p, uid, gid)
        # the IT person's `sudo suivant backup` (forgot -u suivant): a copy root owns
        take_backup(settings, base / "backups", datetime(2026, 1, 1, tzinfo=timezone.utc))
        script = (
            "import dataclasses, json, sys\n"
            "from pathlib import Path\n"
            "from host_bridge.backup.schedule import backup_now\n"
            "from host_bridge.backup.settings import BackupSettings\n"
            "from support import example_settings\n"
            f"s = example_settings(Path({str(base / 'site')!r}))\n"
            f"s = dataclasses.replace(s, backup=BackupSettings(folder={str(base / 'backups')!r},"
            " keep=1))\n"
            f"last = backup_now(s, Path({str(base / 'backups')!r}))\n"
            "print(json.dumps(dataclasses.asdict(last)))\n")
        done = subprocess.run([*prefix, sys.executable, "-c", script], cwd=ROOT,
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HOME": "/tmp",
                                   "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})
        assert done.returncode == 0, done.stderr
        last = json.loads(done.stdout.splitlines()[-1])
        made = [p for p in (base / "backups").iterdir()
                if p.is_dir() and p.stat().st_uid == uid]
        assert len(made) == 1  # the scheduled backup was taken...
        assert last["ok"] and last["folder"] == str(made[0]), last  # ...and is said so
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_two_sites_sharing_a_backup_folder_each_see_their_own_last_backup(tmp_path):
    """last-backup.json is one per folder, not per site, though the folder is meant to be
    shared (prune() keeps to the site's own copies): the town hall whose backups fail is told
    'went well' by doctor because the annex's succeeded after it in the same folder."""
    shared = tmp_path / "nas"
    mairie = site_in(tmp_path / "mairie", backups=shared)
    annexe = site_in(tmp_path / "annexe", "mairie-annexe", backups=shared)
    Path(mairie.db_path).write_bytes(b"damaged, not a database" * 100)
    assert not backup_now(mairie, shared).ok
    assert backup_now(annexe, shared).ok
    [finding] = host_checks.backup(mairie)
    assert finding.status is not Status.OK, finding
