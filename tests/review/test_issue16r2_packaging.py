"""Review of issue 16's packaging (`suivant files`, host_bridge/cli_files.py), as a hostile
tester."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from host_bridge.cli import main


@pytest.mark.parametrize("where", ["under a file", "a dangling link"])
def test_files_copy_examples_to_a_place_it_cannot_make_says_so_without_a_traceback(
        tmp_path, capsys, where):
    """Bug: cli_files.copy_examples only refuses a destination that exists; one it cannot make
    (a path under a regular file, a symbolic link to nowhere; the same for a folder the user
    may not write to: PermissionError) reaches shutil.copytree, whose OSError
    (NotADirectoryError, FileExistsError) escapes cli.main as a traceback. It should be
    suivant's plain word (exit 2: where, why, what to do), as for a folder that is not empty."""
    if where == "under a file":
        (tmp_path / "notes.txt").write_text("x")
        dest = tmp_path / "notes.txt" / "mon-site"
    else:
        dest = tmp_path / "mon-site"
        dest.symlink_to(tmp_path / "nowhere")
    assert main(["files", "--copy-examples", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("suivant: ") and str(dest) in err and "Traceback" not in err


def test_files_copy_examples_into_a_folder_the_user_may_not_write_to(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() == 0:  # root writes anywhere, but not in an immutable folder
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    try:
        assert main(["files", "--copy-examples", str(locked / "mon-site")]) == 2
        assert "you may not write there" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=True)


@pytest.mark.parametrize("new", [True, False], ids=["a new folder", "an empty folder"])
def test_files_copy_examples_that_fails_half_way_takes_back_what_it_copied(
        tmp_path, capsys, monkeypatch, new):
    """A full disk cannot be had for real in a test: the second file's copy fails as one
    would (ENOSPC); the folders it made (dest and a missing parent) go, an empty folder given
    stays empty."""
    copied, real_copyfile = [], shutil.copyfile

    def copyfile(src, dst, **kwargs):
        if copied:
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        copied.append(real_copyfile(src, dst, **kwargs))
        return dst

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    dest = tmp_path / "new" / "mon-site" if new else tmp_path / "vide"
    if not new:
        dest.mkdir()
    assert main(["files", "--copy-examples", str(dest)]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert copied
    assert list(tmp_path.rglob("*")) == ([] if new else [dest])
