"""What the wheel carries, checked without building it: pyproject.toml lists its packages
(the top folders examples/, firmware/ and hardware/ go under host_bridge/_bundle/, which
package discovery cannot do), so a new folder must be listed — these tests name the missing
one. And `suivant files`, which says where those files are and copies the example site."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from host_bridge import bundled
from host_bridge.cli import main
from support import ROOT

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
LISTED = set(SETUPTOOLS["packages"])


def folder_of(package: str) -> Path:
    """setuptools' rule: the longest prefix in package-dir, then the rest of the name."""
    parts = package.split(".")
    for i in range(len(parts), 0, -1):
        mapped = SETUPTOOLS.get("package-dir", {}).get(".".join(parts[:i]))
        if mapped is not None:
            return ROOT / mapped / Path(*parts[i:])
    return ROOT / Path(*parts)


def test_every_listed_package_has_its_folder():
    assert [p for p in sorted(LISTED) if not folder_of(p).is_dir()] == []


def test_every_folder_inside_a_packaged_folder_is_listed():
    """A folder left out would ship as data with a setuptools warning, or not at all."""
    missing = sorted(f"{package}.{sub.name}  ({sub.relative_to(ROOT)})"
                     for package in LISTED for sub in folder_of(package).iterdir()
                     if sub.is_dir() and sub.name != "__pycache__"
                     and f"{package}.{sub.name}" not in LISTED)
    assert missing == [], "add these to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.parametrize("folder", ["examples", "firmware", "hardware"])
def test_the_top_folders_are_packaged_where_bundled_finds_them(folder):
    assert SETUPTOOLS["package-dir"][f"host_bridge._bundle.{folder}"] == folder
    assert getattr(bundled, folder)() == ROOT / folder  # a checkout: the folders themselves


def test_the_bundled_files_the_commands_need_are_there():
    assert bundled.example_site().is_file() and bundled.example_traffic().is_file()
    assert (bundled.firmware() / "main.py").is_file()
    assert (bundled.firmware() / "suivant_fw" / "app.py").is_file()
    assert (bundled.hardware() / "counter" / "pins.json").is_file()


def test_files_says_where_the_example_site_the_firmware_and_the_pin_maps_are(capsys):
    assert main(["files"]) == 0
    out = capsys.readouterr().out
    for path in (bundled.example_site(), bundled.firmware(), bundled.hardware()):
        assert f"{path}   (" in out


@pytest.mark.parametrize("what, path", [("example-site", bundled.example_site()),
                                        ("examples", ROOT / "examples"),
                                        ("firmware", ROOT / "firmware"),
                                        ("hardware", ROOT / "hardware")])
def test_files_where_prints_the_one_path_for_scripts(capsys, what, path):
    assert main(["files", "--where", what]) == 0
    assert capsys.readouterr().out == f"{path}\n"


def test_files_copies_the_example_site_to_edit_and_run(tmp_path, capsys):
    dest = tmp_path / "mon-site"
    assert main(["files", "--copy-examples", str(dest)]) == 0
    assert (dest / "mairie.toml").read_bytes() == bundled.example_site().read_bytes()
    assert (dest / "passeports-cni.ics").is_file()  # the calendar the site file names
    assert f"suivant check-config {dest / 'mairie.toml'}" in capsys.readouterr().out
    assert main(["check-config", str(dest / "mairie.toml")]) == 0
    empty = tmp_path / "vide"
    empty.mkdir()
    assert main(["files", "--copy-examples", str(empty)]) == 0  # an empty folder is new enough
    assert (empty / "mairie.toml").is_file()


@pytest.mark.parametrize("kind", ["folder with a file", "file"])
def test_files_refuses_to_copy_over_anything_and_changes_nothing(tmp_path, capsys, kind):
    dest = tmp_path / "mon-site"
    if kind == "file":
        dest.write_text("[site]\n")
    else:
        dest.mkdir()
        (dest / "mairie.toml").write_text("[site]\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert main(["files", "--copy-examples", str(dest)]) == 2
    assert "is not an empty folder: give a new one; nothing was copied" in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (dest if kind == "file" else dest / "mairie.toml").read_text() == "[site]\n"
