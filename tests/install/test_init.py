"""`suivant init` run as the real command: as an unprivileged user into folders of its own (a
trial, the tests), and as root with a service user (files handed to it, Mosquitto's accounts).
The site file it writes passes check-config, the administrator signs in, secrets are private,
the unit passes `systemd-analyze verify`, and nothing existing is ever replaced unasked."""
from __future__ import annotations

import base64
import io
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from host_bridge.cli import main
from host_bridge.install import templates
from host_bridge.install.layout import Layout
from host_bridge.service.clock import SiteClock
from host_bridge.site_config import load
from host_bridge.staff import StaffDirectory, staff_path

PASSWORD = "un mot de passe assez long"
NAME = "Mairie de Saint-Étienne-du-Bois"


def unprivileged() -> tuple[list[str], int | None]:
    """How to run a command as someone other than root: setpriv as nobody when the tests run
    as root (a container), else as ourselves."""
    if os.geteuid() != 0:
        return [], None
    nobody = pwd.getpwnam("nobody")
    return (["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
             "--clear-groups"], nobody.pw_uid)


def suivant(*args: str, stdin: str = "", as_user: bool = True) -> subprocess.CompletedProcess:
    prefix, _ = unprivileged() if as_user else ([], None)
    return subprocess.run([*prefix, sys.executable, "-m", "host_bridge.cli", *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HOME": "/tmp"})


@pytest.fixture
def folder():
    """A folder the unprivileged user owns (pytest's tmp_path is root's and private)."""
    path = Path(tempfile.mkdtemp(prefix="suivant-init-"))
    _, uid = unprivileged()
    if uid is not None:
        os.chown(path, uid, pwd.getpwuid(uid).pw_gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def init_args(folder: Path, *more: str, user: str = "suivant") -> list[str]:
    return ["init", "--site", NAME, "--config-dir", str(folder / "etc"), "--data-dir",
            str(folder / "lib"), "--unit-dir", str(folder / "systemd"), "--user", user,
            "--admin-password-stdin", *more]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def sign_in(site_file: Path, login: str, password: str) -> bool:
    settings = load(site_file)
    clock = SiteClock(settings.site.timezone)
    staff = StaffDirectory(staff_path(settings.db_path), clock, clock.tz)
    try:
        return staff.sign_in(login, password) is not None
    finally:
        staff.close()


def test_an_unprivileged_init_writes_a_site_that_passes_check_config_and_an_admin(folder):
    done = suivant(*init_args(folder), stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    site = folder / "etc" / "site.toml"
    checked = suivant("check-config", str(site))
    assert checked.returncode == 0, checked.stderr
    assert f"valid — {NAME}: 1 services, 1 counters" in checked.stdout
    assert load(site).site.id == "mairie-de-saint-etienne-du-bois"
    assert 'suivant_version = "' in site.read_text(encoding="utf-8")
    assert sign_in(site, "admin", PASSWORD)
    # private: the site file and the data are not readable by others
    assert stat.S_IMODE(site.stat().st_mode) == 0o640
    assert stat.S_IMODE((folder / "lib").stat().st_mode) == 0o750
    for data in (folder / "lib").iterdir():
        assert stat.S_IMODE(data.stat().st_mode) & 0o007 == 0, data
    assert PASSWORD not in done.stdout  # read from stdin: never echoed


def test_the_unit_runs_the_site_as_its_user_hardened(folder):
    assert suivant(*init_args(folder, "--root-path", "/suivant"),
                   stdin=PASSWORD + "\n").returncode == 0
    unit = (folder / "systemd" / "suivant.service").read_text(encoding="utf-8")
    lines = set(unit.splitlines())
    assert "User=suivant" in lines
    assert f"ReadWritePaths={folder / 'lib'} {folder / 'etc'}" in lines
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                      "Restart=on-failure", "ProtectHome=yes"):
        assert hardening in lines
    start = next(line for line in lines if line.startswith("ExecStart="))
    assert start.endswith(f"serve --config {folder / 'etc' / 'site.toml'} --host 127.0.0.1 "
                          "--port 8080 --root-path /suivant --forwarded-allow-ips 127.0.0.1")
    # Debian's systemd package (make test installs it where it is missing): never skipped
    verified = subprocess.run(["systemd-analyze", "verify", str(folder / "systemd" /
                                                                "suivant.service")],
                              capture_output=True, text=True, timeout=30)
    assert verified.returncode == 0, verified.stderr


def test_a_percent_sign_in_the_site_s_name_is_not_a_systemd_specifier(tmp_path):
    layout = Layout(tmp_path / "etc", tmp_path / "lib", tmp_path / "unit", None)
    unit = templates.unit_file(layout, "Mairie 100% accueil", "suivant", [], False)
    assert "Description=Suivant queue management for Mairie 100%% accueil" in unit.splitlines()


def test_an_existing_site_is_refused_and_left_as_it_was(folder):
    assert suivant(*init_args(folder), stdin=PASSWORD + "\n").returncode == 0
    before = tree(folder)
    again = suivant(*init_args(folder), stdin="another long password\n")
    assert again.returncode == 2
    assert "already exist" in again.stderr and "nothing was written" in again.stderr
    assert str(folder / "lib" / "suivant.staff.db") in again.stderr  # says what exists
    assert tree(folder) == before


def test_force_replaces_the_site_file_and_unit_but_never_the_data(folder):
    assert suivant(*init_args(folder), stdin=PASSWORD + "\n").returncode == 0
    (folder / "lib" / "suivant.staff.db").rename(folder / "staff.kept")  # the data moved away
    (folder / "etc" / "site.toml").write_text("# edited\n", encoding="utf-8")
    without = suivant(*init_args(folder), stdin=PASSWORD + "\n")
    assert without.returncode == 2 and "--force" in without.stderr
    assert (folder / "etc" / "site.toml").read_text(encoding="utf-8") == "# edited\n"
    forced = suivant(*init_args(folder, "--force"), stdin=PASSWORD + "\n")
    assert forced.returncode == 0, forced.stderr
    assert suivant("check-config", str(folder / "etc" / "site.toml")).returncode == 0


@pytest.mark.parametrize("change, said", [
    (["--site", " "], "--site"),
    (["--site", "Mairie\x07"], "--site"),
    (["--site", "M" * 101], "--site"),
    (["--user", "Root Admin"], "--user"),
    (["--admin-login", "Admin!"], "login"),
    (["--public-url", "ftp://x"], "web.public_url"),
    (["--mosquitto", "http://broker"], "mqtt.url"),
    (["--config-dir", "/tmp/with space"], "no spaces"),
])
def test_bad_options_are_refused_and_nothing_is_written(folder, change, said, monkeypatch,
                                                       capsys):
    # in this process (quicker): as root, `nobody` exists, so no user is made even if a
    # refusal were missed
    # Mosquitto's files in the folder too: the host's own /etc/mosquitto/suivant (a trial of
    # init there) would be refused first
    args = init_args(folder, "--mosquitto-dir", str(folder / "mosquitto"), user="nobody")
    option, value = change
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


def test_folders_it_may_not_write_are_refused_before_anything_is_written(folder):
    args = init_args(folder)
    args[args.index("--unit-dir") + 1] = "/etc/systemd/suivant-test"  # root's
    done = suivant(*args, stdin=PASSWORD + "\n")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot write in /etc/systemd/suivant-test: run it as root" in done.stderr
    assert list(folder.iterdir()) == [] and not Path("/etc/systemd/suivant-test").exists()


def test_a_short_password_is_refused_and_nothing_is_written(folder):
    done = suivant(*init_args(folder), stdin="court\n")
    assert done.returncode == 2
    assert "12 to 128 characters" in done.stderr
    assert list(folder.iterdir()) == []


def test_without_a_password_one_is_made_and_printed_once(folder):
    args = [a for a in init_args(folder) if a != "--admin-password-stdin"]
    done = suivant(*args)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("administrator 'admin'"))
    password = line.split("password: ", 1)[1].split()[0]
    assert len(password) >= 16
    assert sign_in(folder / "etc" / "site.toml", "admin", password)


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: files handed to the service user")
def test_as_root_the_files_go_to_the_service_user_and_mosquitto_gets_the_bridge_account(folder):
    service = pwd.getpwnam("nobody")  # an existing user: the test makes none
    done = suivant(*init_args(folder, "--mosquitto", "mqtt://192.168.10.2:1884",
                              "--mosquitto-dir", str(folder / "mosquitto"),
                              "--mosquitto-pid-file", str(folder / "no.pid"), user="nobody"),
                   stdin=PASSWORD + "\n", as_user=False)
    assert done.returncode == 0, done.stderr
    site = folder / "etc" / "site.toml"
    for path in (folder / "etc", site, folder / "lib", *(folder / "lib").iterdir()):
        assert path.stat().st_uid == service.pw_uid, path
    assert stat.S_IMODE(site.stat().st_mode) == 0o640
    assert (folder / "systemd" / "suivant.service").stat().st_uid == 0
    mqtt = load(site).mqtt
    assert (mqtt.host, mqtt.port, mqtt.username) == ("192.168.10.2", 1884, "suivant-bridge")
    # the passwd line of the bridge's account is its password, hashed as Mosquitto does
    user, hashed = (folder / "mosquitto" / "passwd").read_text().splitlines()[0].split(":", 1)
    _, _, iterations, salt, digest = hashed.split("$")
    assert user == "suivant-bridge"
    assert base64.b64decode(digest) == hashlib.pbkdf2_hmac(
        "sha512", mqtt.password.encode(), base64.b64decode(salt), int(iterations))
    conf = (folder / "mosquitto" / "mosquitto.conf").read_text()
    assert "listener 1884" in conf and "allow_anonymous false" in conf
    assert "After=network-online.target mosquitto.service" in (
        folder / "systemd" / "suivant.service").read_text()
