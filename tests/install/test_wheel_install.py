"""The package as a site gets it (issue 16): the sdist and the wheel built from it, as a release
is, from a copy of the checkout; the wheel installed into a fresh virtual environment (not the
editable one, no system site-packages); then that environment's own `suivant` — never the
checkout — checks the example site it carries, runs the demo (as an unprivileged user, when the
tests run as root: as a service would) and flashes a board (the REPL board: real MicroPython
behind a real pty, with the real mpremote) with the firmware from site-packages.

Built once for the module. The dependencies come through pip's cache; `--no-compile` skips
byte-compiling them (20 s of the install; Python compiles what it imports)."""
from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_bridge.provisioning import firmware_build
from simulators.repl_board import ReplBoard
from support import ROOT

pytestmark = pytest.mark.slow

# what the checkout holds that is no part of a release (a developer's caches and builds)
NOT_SOURCES_AT_TOP = {".git", ".venv", ".cache", ".ci", "build", "dist", "test-output"}
NOT_SOURCES = {"__pycache__", ".pytest_cache", ".hypothesis"}


def not_sources(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == ROOT
    return {n for n in names if n in NOT_SOURCES or (top and n in NOT_SOURCES_AT_TOP)
            or n.endswith((".egg-info", ".pyc", ".db", ".db-wal", ".db-shm"))}


def run(*command: str | Path, timeout: float = 300, **kw) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=timeout, **kw)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def as_service_user() -> list[str]:
    """Run as nobody when the tests are root (a container): the package is root's, the
    service's user cannot write into it."""
    if os.geteuid() != 0:
        return []
    nobody = pwd.getpwnam("nobody")
    return [shutil.which("setpriv") or "setpriv", f"--reuid={nobody.pw_uid}",
            f"--regid={nobody.pw_gid}", "--clear-groups"]


class Installed:
    def __init__(self, folder: Path):
        self.folder = folder
        self.dist = folder / "dist"
        self.venv = folder / "venv"
        self.bin = self.venv / "bin"
        # the venv's only: no PYTHONPATH to the checkout, started outside it
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        self.env.update(HOME=str(folder), PYTHONUNBUFFERED="1")

    @property
    def wheel(self) -> Path:
        [wheel] = self.dist.glob("suivant-*.whl")
        return wheel

    @property
    def sdist(self) -> Path:
        [sdist] = self.dist.glob("suivant-*.tar.gz")
        return sdist

    def suivant(self, *args: str | Path, user: list[str] | None = None,
                **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*(user or []), str(self.bin / "suivant"), *map(str, args)],
                              capture_output=True, text=True, timeout=120, cwd=self.folder,
                              env={**self.env, **env}, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    # outside pytest's tmp_path (root's, private): the service user reaches the venv; removed
    # at the end (the venv is 300 MB)
    folder = Path(tempfile.mkdtemp(prefix="suivant-wheel-"))
    folder.chmod(0o755)
    try:
        shutil.copytree(ROOT, folder / "checkout", ignore=not_sources)
        started = time.monotonic()
        # sdist first, then the wheel from the sdist: what the sdist lacks, the wheel lacks too
        run(sys.executable, "-m", "build", "--outdir", folder / "dist", folder / "checkout")
        built = time.monotonic()
        run(sys.executable, "-m", "venv", "--without-pip", folder / "venv")
        site = Installed(folder)
        run(sys.executable, "-m", "pip", "--python", site.bin / "python", "install", "--quiet",
            "--no-compile", "--disable-pip-version-check", site.wheel)
        print(f"\nbuilt the sdist and the wheel in {built - started:.1f} s, made the venv and "
              f"installed the wheel in {time.monotonic() - built:.1f} s")
        yield site
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_sdist_carries_the_firmware_examples_hardware_docs_and_tests(installed):
    with tarfile.open(installed.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for path in ("firmware/main.py", "firmware/fw_swap.py", "firmware/suivant_fw/app.py",
                 "firmware/CONFIG.md", "examples/mairie.toml", "examples/traffic-mairie.toml",
                 "examples/passeports-cni.ics", "hardware/counter/pins.json",
                 "docs/operations.md", "tests/install/test_wheel_install.py",
                 "tests/conftest.py", "bench/queue_throughput.py", "Makefile", "README.md",
                 "CHANGELOG.md", "MANIFEST.in", "pyproject.toml", "host_bridge/web/static/borne.html"):
        assert path in names, path
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_the_wheel_carries_the_pages_the_firmware_the_example_site_and_the_pin_maps(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    bundle = "host_bridge/_bundle/"
    for path in ("firmware/main.py", "firmware/fw_swap.py", "firmware/suivant_fw/tm1637.py",
                 "firmware/config.example.counter.json", "examples/mairie.toml",
                 "examples/traffic-mairie.toml", "examples/passeports-cni.ics",
                 "hardware/hall/pins.json", "hardware/README.md"):
        assert bundle + path in names, path
    assert {"host_bridge/web/static/borne.html", "suivant_fw/message.py",
            "simulators/board_stubs/machine.py"} <= names
    # examples/ whole, whatever it holds
    assert {bundle + p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").rglob("*")
            if p.is_file()} <= names


def test_the_installed_suivant_runs_from_site_packages_not_the_checkout(installed):
    done = run(installed.bin / "python", "-c", "import host_bridge, suivant_fw, simulators; "
               "print(host_bridge.__file__, suivant_fw.__file__, simulators.__file__)",
               env=installed.env, cwd=installed.folder)
    for path in done.stdout.split():
        assert Path(path).is_relative_to(installed.venv), done.stdout


def example_site(installed: Installed) -> Path:
    return Path(installed.suivant("files", "--where", "example-site").stdout.strip())


def test_check_config_passes_on_the_example_site_it_carries(installed):
    site = example_site(installed)
    assert site.is_relative_to(installed.venv) and site.name == "mairie.toml"
    done = installed.suivant("check-config", site, user=as_service_user())
    assert done.returncode == 0, done.stderr
    assert "valid — " in done.stdout
    help_text = installed.suivant("demo", "--help", COLUMNS="1000").stdout  # lines unwrapped
    assert str(site) in help_text  # --help says where the default is


def test_the_demo_serves_the_kiosk_and_the_site_as_a_service_user(installed):
    proc = subprocess.Popen(
        [*as_service_user(), str(installed.bin / "suivant"), "demo", "--no-traffic", "--port", "0",
         "--desk-port", "0"], cwd="/", env={**installed.env, "HOME": "/tmp"},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    # read as it comes: a full pipe would stall the demo
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        base = ""
        while not base:
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            found = [m.group(1) for line in list(lines)
                     if (m := re.search(r"bridge for .*: (http://[\d.:]+)/", line))]
            base = found[0] if found else ""
            time.sleep(0.05)
        kiosk = site = b""
        while not site:  # the banner comes before the HTTP server listens
            try:
                with urllib.request.urlopen(base + "/borne", timeout=5) as r:
                    kiosk = r.read()
                with urllib.request.urlopen(base + "/api/site", timeout=5) as r:
                    site = r.read()
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
        assert b"<html" in kiosk.lower()
        assert b"etat-civil" in site  # the example town hall's first service
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.returncode in (0, 130), "".join(lines)
    assert not [line for line in lines if "Traceback" in line], "".join(lines)


def test_device_flash_installs_the_firmware_from_site_packages(installed, tmp_path):
    copied = installed.suivant("files", "--copy-examples", tmp_path / "site")
    assert copied.returncode == 0, copied.stderr
    site = tmp_path / "site" / "mairie.toml"
    with ReplBoard(tmp_path / "flash") as board:
        done = installed.suivant("device", "flash", "--config", site, "--port", board.path,
                                 "--role", "counter", "--counter", "3", "--wifi-ssid", "Mairie",
                                 SUIVANT_WIFI_PASSWORD="mot-de-passe-wifi")
        assert done.returncode == 0, done.stderr
        assert "flashed counter-3 (counter, counter 3, mqtt)" in done.stdout
        flash = board.flash
        # the same build the checkout makes: the installed sources are the checkout's
        expected = firmware_build.role_files("counter", "mqtt", 0x0306)
        assert f"firmware {firmware_build.version_of(expected)};" in done.stdout
        assert (flash / "main.py").read_bytes() == (ROOT / "firmware" / "main.py").read_bytes()
        assert (flash / "fw_swap.py").is_file() and (flash / "suivant_fw" / "app.mpy").is_file()
