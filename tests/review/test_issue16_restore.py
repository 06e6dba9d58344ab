"""Review of issue 16 (`suivant restore FOLDER`): an edited manifest, a restore stopped by a full
disk. Each test fails while its bug is there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from host_bridge.backup.take import MANIFEST, take_backup
from host_bridge.cli import main
from host_bridge.store.sqlite_store import SqliteStore
from support import ROOT, example_settings


@pytest.fixture
def site(tmp_path):
    """A site's files (the queue padded to 200 kB) and a backup of them."""
    (tmp_path / "site").mkdir()
    settings = example_settings(tmp_path / "site")
    store = SqliteStore(settings.db_path)
    store.db.execute("CREATE TABLE pad (x BLOB)")
    store.db.execute("INSERT INTO pad VALUES (zeroblob(200000))")
    store.close()
    taken = take_backup(settings, tmp_path / "backups")
    return settings, taken.folder


def names_in(folder: Path) -> set[str]:
    """What is there, but the lock and SQLite's own -wal and -shm."""
    return {p.name for p in folder.iterdir()
            if not p.name.endswith((".lock", "-wal", "-shm"))}


def _no_sha256(m: dict) -> None:
    del m["files"][0]["sha256"]


def _no_role(m: dict) -> None:
    del m["files"][0]["role"]


def _no_release(m: dict) -> None:
    del m["suivant"]


@pytest.mark.parametrize("edit", [_no_sha256, _no_role, _no_release])
def test_a_manifest_missing_a_key_the_restore_reads_is_refused_and_nothing_changes(
        site, edit, capsys):
    """read_manifest() checks only some of the keys the restore reads later: a manifest
    without a file's sha256 or role dies with a KeyError traceback, and one without 'suivant'
    is restored (the files replaced) before the traceback."""
    settings, backup = site
    manifest = json.loads((backup / MANIFEST).read_text())
    edit(manifest)
    (backup / MANIFEST).write_text(json.dumps(manifest))
    data = Path(settings.db_path).parent
    before = names_in(data)
    assert main(["restore", str(backup), "--config", settings.source,
                 "--db", settings.db_path]) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert names_in(data) == before  # no replaced-… folder: nothing was moved


def test_a_restore_stopped_by_a_full_disk_leaves_no_partial_file_behind(site):
    """_swap() puts back the files it moved aside when a copy fails, but not the `.partial`
    it was writing: a restore stopped by a full disk leaves `queue.db.partial`, as large as
    the disk had room for, beside the database (the disk stays full) while it says nothing
    was changed."""
    settings, backup = site
    # a full disk, as the restore meets it: writes beyond 50 kB fail (EFBIG, like ENOSPC)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))\n"
        "from host_bridge.cli import main\n"
        f"sys.exit(main(['restore', {str(backup)!r}, '--config', {settings.source!r},"
        f" '--db', {settings.db_path!r}]))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "nothing was changed" in done.stderr, done.stderr
    data = Path(settings.db_path).parent
    left = sorted(p.name for p in data.iterdir() if p.name.endswith(".partial"))
    assert left == [], f"left behind: {left}"
