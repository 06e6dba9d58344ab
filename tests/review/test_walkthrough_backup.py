"""Walkthrough of operations.md §15-18 on Debian 12 (W1): `suivant backup --to FOLDER` with a
folder the `suivant` user cannot reach (§17: "anywhere the `suivant` user may write"; a typo, a
USB stick mounted under root's folder) ended in a Python traceback and exit status 1, where
§17 promises "exit status 0, or 2 with the reason (`no backup was made`)": backup_now() looks at
the folder with Path.is_dir(), which raises for EACCES and ENAMETOOLONG. Fails while that bug is
there."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from host_bridge.cli import main
from host_bridge.store.sqlite_store import SqliteStore
from support import EXAMPLE, ROOT


def _backup(db: str, to: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["backup", "--config", str(EXAMPLE), "--db", db, "--to", to])
    return code, err.getvalue()


def test_a_backup_folder_name_too_long_is_refused_with_exit_2_and_the_reason(tmp_path):
    db = str(tmp_path / "queue.db")
    SqliteStore(db).close()
    code, said = _backup(db, str(tmp_path / ("x" * 300)))
    assert code == 2, said
    assert "File name too long" in said and "no backup was made" in said


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the command as another user")
def test_a_backup_folder_the_user_cannot_reach_is_refused_with_exit_2_and_the_reason():
    site = Path(tempfile.mkdtemp(prefix="suivant-w1-"))  # world-readable: nobody reads the db
    try:
        site.chmod(0o755)
        db = site / "queue.db"
        SqliteStore(str(db)).close()
        db.chmod(0o644)
        private = site / "private"
        private.mkdir(mode=0o700)  # root's: the user of the command cannot look inside
        done = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             sys.executable, "-m", "host_bridge.cli", "backup", "--config", str(EXAMPLE),
             "--db", str(db), "--to", str(private / "suivant")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, timeout=30)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 2, done.stderr
        assert "Permission denied" in done.stderr and "no backup was made" in done.stderr
    finally:
        shutil.rmtree(site)
