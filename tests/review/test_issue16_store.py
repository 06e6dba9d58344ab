"""Review of issue 16 (schema versions and the bridge's lock): a second bridge started while the
database is held. Each test fails while its bug is there."""
from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from host_bridge.store.bridge_lock import BridgeLock
from host_bridge.store.sqlite_store import SqliteStore
from support import ROOT, example_settings, free_port


def test_a_bridge_refused_by_the_lock_has_not_upgraded_the_database_already(tmp_path):
    """build() opens the queue's store (and so upgrades its schema, copying it to .bak) before
    start_links() takes `<database>.lock`: a new Suivant's `suivant serve` started while the
    old bridge still serves (or while `suivant restore` holds the lock) is refused only after
    it has changed the schema of the file under the running bridge's feet."""
    settings = example_settings(tmp_path)
    SqliteStore(settings.db_path).close()
    db = sqlite3.connect(settings.db_path)
    db.execute("PRAGMA user_version = 1")  # written by the previous release
    db.close()
    with BridgeLock(settings.db_path, "a Suivant bridge"):  # the old bridge, serving
        done = subprocess.run(
            [sys.executable, "-m", "host_bridge.cli", "serve", "--config", settings.source,
             "--db", settings.db_path, "--port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "is using" in done.stderr, done.stderr
    db = sqlite3.connect(settings.db_path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        db.close()
    assert not Path(f"{settings.db_path}.schema1.bak").exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to leave a lock file the service user cannot open")
def test_a_lock_file_the_bridge_cannot_open_is_not_said_to_be_the_mqtt_port():
    """A `<database>.lock` the service user cannot open (left by root: a `sudo suivant
    restore` or `sudo suivant serve` tried by hand) stops the bridge with 'Permission denied:
    …lock: set [mqtt] embedded_port, or url to use a running broker': start_links() raises the
    lock's OSError, which _serve() takes for the embedded broker's."""
    nobody = pwd.getpwnam("nobody")
    data = Path(tempfile.mkdtemp(prefix="suivant-review-"))  # pytest's tmp_path is root's alone
    try:
        settings = example_settings(data)
        SqliteStore(settings.db_path).close()
        for p in (data, *data.iterdir()):
            os.chown(p, nobody.pw_uid, nobody.pw_gid)
        os.close(os.open(f"{settings.db_path}.lock", os.O_CREAT | os.O_RDWR, 0o600))  # root's
        done = subprocess.run(
            ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
             "--clear-groups", sys.executable, "-m", "host_bridge.cli", "serve", "--config",
             settings.source, "--db", settings.db_path, "--port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "HOME": "/tmp"})
    finally:
        shutil.rmtree(data, ignore_errors=True)
    assert done.returncode == 2 and ".lock" in done.stderr, done.stderr
    assert "embedded_port" not in done.stderr, done.stderr
