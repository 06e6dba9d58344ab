"""Review of issue 16 (`suivant init`): run again after it stopped midway, as it advises; a site
id or folder the site file cannot hold; folders that held other files already. Run in this
process with `--user nobody` (as root it exists: no user is made) into folders of the test's
own. Each test fails while its bug is there."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from host_bridge.cli import main

PASSWORD = "un mot de passe assez long"


def init(folder: Path, monkeypatch, *more: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    return main(["init", "--site", "Mairie de Saint-Étienne-du-Bois",
                 "--config-dir", str(folder / "etc"), "--data-dir", str(folder / "lib"),
                 "--unit-dir", str(folder / "systemd"), "--user", "nobody",
                 "--admin-password-stdin", *more])  # a later --data-dir wins


def test_init_stopped_midway_then_run_again_with_force_as_it_advises_finishes(
        tmp_path, monkeypatch, capsys):
    """An init stopped after the administrator's account was made says 'run it again with
    --force once fixed', but the run again is refused: the staff file it made is 'a site's
    data', which init never replaces, even with --force; the unit is never written."""
    (tmp_path / "systemd" / "suivant.service").mkdir(parents=True)  # the unit cannot be written
    assert init(tmp_path, monkeypatch, "--force") == 2
    said = capsys.readouterr().err
    assert "run it again with --force once fixed" in said, said
    (tmp_path / "systemd" / "suivant.service").rmdir()  # fixed
    assert init(tmp_path, monkeypatch, "--force") == 0, capsys.readouterr().err
    assert (tmp_path / "systemd" / "suivant.service").is_file()


@pytest.mark.parametrize("option, value", [("--site-id", 'mairie"2'),
                                           ("--data-dir", 'lib"2')])
def test_a_value_the_site_file_cannot_hold_is_refused_without_a_traceback(
        tmp_path, monkeypatch, capsys, option, value):
    """--site-id and the data folder's path go into the site file's `id = "…"` and
    `path = "…"` unescaped (the name is escaped): a '"' in them makes a file tomllib cannot
    read, and init dies with a TOMLDecodeError traceback instead of refusing."""
    if option == "--data-dir":
        value = str(tmp_path / value)
    assert init(tmp_path, monkeypatch, option, value) == 2
    assert capsys.readouterr().err.startswith("suivant: ")  # a refusal, said
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: init then hands files over")
def test_init_into_existing_folders_leaves_the_files_it_did_not_write_as_they_were(
        tmp_path, monkeypatch):
    """hand_over() gives every entry of the config and data folders to the service user, and
    make_private() strips the data folder's files to 0640, not only what init wrote: with
    existing folders (`--config-dir /etc`, `--data-dir /srv`) the service user gets
    /etc/shadow, /etc/sudoers (sudo then refuses to run) and the other programs' files."""
    for name in ("etc", "lib"):
        (tmp_path / name).mkdir()
        theirs = tmp_path / name / "theirs.conf"  # root's, there before
        theirs.write_text("another program's file\n")
        theirs.chmod(0o755)
    assert init(tmp_path, monkeypatch) == 0
    for name in ("etc", "lib"):
        theirs = (tmp_path / name / "theirs.conf").stat()
        assert (theirs.st_uid, oct(theirs.st_mode & 0o777)) == (0, "0o755"), name


def test_a_staff_file_holding_more_than_init_s_administrator_is_never_replaced(
        tmp_path, monkeypatch, capsys):
    """What the rerun replaces is init's own: once someone else is in the staff file (or the
    queue exists), it is a site's data again, refused even with --force."""
    from host_bridge.service.clock import SiteClock
    from host_bridge.site_config import load
    from host_bridge.staff import StaffDirectory, staff_path
    (tmp_path / "systemd" / "suivant.service").mkdir(parents=True)
    assert init(tmp_path, monkeypatch, "--force") == 2
    (tmp_path / "systemd" / "suivant.service").rmdir()
    settings = load(tmp_path / "etc" / "site.toml")
    clock = SiteClock(settings.site.timezone)
    staff = StaffDirectory(staff_path(settings.db_path), clock, clock.tz)
    try:
        staff.create("admin", "agent1", "Agent Un", "agent", [1], PASSWORD, via="cli")
    finally:
        staff.close()
    before = Path(staff_path(settings.db_path)).read_bytes()
    capsys.readouterr()
    assert init(tmp_path, monkeypatch, "--force") == 2
    said = capsys.readouterr().err
    assert "init never replaces a site's data" in said, said
    assert Path(staff_path(settings.db_path)).read_bytes() == before
    assert not (tmp_path / "systemd" / "suivant.service").exists()


def test_a_name_ending_in_a_backslash_is_refused_one_with_a_no_break_space_is_taken(
        tmp_path, monkeypatch, capsys):
    """A trailing backslash joined the unit's next line to its Description=; a name with a
    non-breaking space (French typography: 'Mairie n° 2') was refused as not printable."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    args = ["init", "--config-dir", str(tmp_path / "etc"), "--data-dir", str(tmp_path / "lib"),
            "--unit-dir", str(tmp_path / "systemd"), "--user", "nobody",
            "--admin-password-stdin"]
    assert main([*args, "--site", "Mairie \\"]) == 2
    assert "backslash" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*args, "--site", "Mairie n°\u00a02"]) == 0, capsys.readouterr().err
    unit = (tmp_path / "systemd" / "suivant.service").read_text(encoding="utf-8")
    assert "Description=Suivant queue management for Mairie n°\u00a02\n" in unit
