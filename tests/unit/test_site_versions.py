"""A site file says which Suivant wrote it: a key unknown here in a file from a newer Suivant is
said to be one (still refused); renamed keys load under their old name with a warning naming
the new one, printed by check-config."""
from __future__ import annotations

import pytest

from host_bridge import site_versions
from host_bridge.cli import main
from host_bridge.site_config import parse, read_toml
from support import EXAMPLE, example_refusal

NEWER = "99.0.0"


def test_the_running_version_is_the_installed_package_s():
    assert site_versions.version_tuple(site_versions.running_version()) is not None


@pytest.mark.parametrize("text, expected", [
    ("0.1.0", (0, 1, 0)), ("2", (2, 0, 0)), ("1.12", (1, 12, 0)), ("0.2.0+dev", (0, 2, 0)),
    ("v1", None), ("1.2.3.4", None), ("", None), ("1..2", None), ("12345", None),
])
def test_a_version_is_one_to_three_numbers(text, expected):
    assert site_versions.version_tuple(text) == expected


def test_an_unknown_key_in_a_file_from_a_newer_suivant_names_both_versions():
    def change(doc):
        doc["suivant_version"] = NEWER
        doc["rules"]["overflow_service"] = "accueil"
    refused = example_refusal(change)
    assert refused.key == "rules.overflow_service"
    assert f"written for Suivant {NEWER}" in refused.reason
    assert f"this is Suivant {site_versions.running_version()}" in refused.reason
    assert "upgrade Suivant" in refused.reason and "misspelt" not in refused.reason


def test_an_unknown_key_of_another_table_s_reader_is_explained_too():
    def change(doc):
        doc["suivant_version"] = NEWER
        doc["notifications"] = {"quiet_hours": "22:00-07:00"}
    refused = example_refusal(change)
    assert "quiet_hours" in refused.reason and f"Suivant {NEWER}" in refused.reason


@pytest.mark.parametrize("version", [None, "0.0.1"])
def test_an_unknown_key_in_a_file_of_this_or_an_older_suivant_is_a_misspelling(version):
    def change(doc):
        if version:
            doc["suivant_version"] = version
        doc["rules"]["max_recall"] = 3
    assert example_refusal(change).reason == "unknown key (misspelt?)"


@pytest.mark.parametrize("value", ["latest", 1, "1.2.3.4"])
def test_a_version_that_is_not_one_is_refused(value):
    refused = example_refusal(lambda doc: doc.update(suivant_version=value))
    assert refused.key == "suivant_version" and "e.g." in refused.reason


def test_a_file_from_a_newer_suivant_without_new_keys_loads():
    doc = read_toml(EXAMPLE)
    doc["suivant_version"] = NEWER
    assert parse(doc, "site.toml").site.id == "mairie-villeneuve"


@pytest.fixture
def renamed(monkeypatch):
    """A rename as the table records one ([rules] guard_seconds once called double_press)."""
    monkeypatch.setitem(site_versions.RENAMED, "rules.double_press_seconds",
                        ("rules.guard_seconds", "0.1.0"))


def test_a_renamed_key_loads_under_its_old_name_with_a_warning_naming_the_new(renamed):
    doc = read_toml(EXAMPLE)
    del doc["rules"]["guard_seconds"]
    doc["rules"]["double_press_seconds"] = 7
    settings = parse(doc, "site.toml")
    assert settings.site.rules.guard_seconds == 7
    assert settings.warnings == ("warning: rules.double_press_seconds is deprecated since "
                                 "Suivant 0.1.0: it is now rules.guard_seconds (accepted for "
                                 "now; rename it in the file)",)
    assert "double_press_seconds" in doc["rules"]  # the caller's document is left as it was


def test_a_renamed_key_beside_its_new_name_is_refused(renamed):
    def change(doc):
        doc["rules"]["double_press_seconds"] = 7
    refused = example_refusal(change)
    assert refused.key == "rules.double_press_seconds"
    assert "rules.guard_seconds" in refused.reason


def test_check_config_prints_the_deprecations_on_stdout_and_says_valid(renamed, tmp_path,
                                                                       capsys):
    text = EXAMPLE.read_text(encoding="utf-8").replace("guard_seconds = 2",
                                                       "double_press_seconds = 2")
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    (tmp_path / "passeports-cni.ics").write_bytes((EXAMPLE.parent / "passeports-cni.ics")
                                                  .read_bytes())
    assert main(["check-config", str(tmp_path / "site.toml")]) == 0
    out = capsys.readouterr().out
    assert "valid" in out
    assert "rules.double_press_seconds is deprecated since Suivant 0.1.0: it is now " \
           "rules.guard_seconds" in out
    assert "shared agent token (deprecated" in out  # the example's [[users]] demo-agent


def test_a_newer_file_s_refusal_reaches_check_config(tmp_path, capsys):
    text = f'suivant_version = "{NEWER}"\n' + EXAMPLE.read_text(encoding="utf-8").replace(
        "[rules]\n", "[rules]\nfuture_rule = true\n", 1)
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    assert main(["check-config", str(tmp_path / "site.toml")]) == 2
    err = capsys.readouterr().err
    assert f"rules.future_rule: unknown key: this file was written for Suivant {NEWER}" in err

