"""The `[appointments.rdv_service_public]` table: secrets read from files, everything checked."""
from __future__ import annotations

import pytest

from host_bridge.appointments.rdv_service_public import SettingsError, parse

SERVICES = ("accueil", "passeports-cni")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "rdvsp.secret").write_text("un-secret-partage-de-32-caracteres\n")
    (tmp_path / "rdvsp.headers").write_text("# l'agent « accueil »\nAuthorization: Bearer abc\n")
    return tmp_path


def table(**changes):
    base = {"secret_file": "rdvsp.secret", "api_url": "https://rdv.anct.gouv.fr/",
            "credentials_file": "rdvsp.headers", "motifs": {"1234": "passeports-cni"},
            "lieux": [56, "57"]}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_complete_table_is_read_with_its_files(folder):
    s = parse(table(), folder, SERVICES)
    assert s.secret == b"un-secret-partage-de-32-caracteres"
    assert s.api_url == "https://rdv.anct.gouv.fr"
    assert s.credentials == (("Authorization", "Bearer abc"),)
    assert s.motifs == {"1234": "passeports-cni"} and s.lieux == {"56", "57"}
    assert (s.code, s.max_age_seconds) == ("id", 600)
    assert "un-secret" not in repr(s) and "Bearer" not in repr(s)  # logs never show them


def test_without_an_api_only_the_webhook_is_taken(folder):
    s = parse(table(api_url=None, credentials_file=None), folder)
    assert s.api_url is None and s.credentials == ()


@pytest.mark.parametrize("changes, key, words", [
    ({"secret_file": None}, "secret_file", "missing"),
    ({"secret_file": "absent.secret"}, "secret_file", "cannot read"),
    ({"secret": "en clair"}, "secret", "unknown key"),
    ({"motifs": None}, "motifs", "missing"),
    ({"motifs": {}}, "motifs", "expected a table"),
    ({"motifs": {"abc": "accueil"}}, "motifs.abc", "numeric motif id"),
    ({"motifs": {"12": "mariages"}}, "motifs.12", "unknown service"),
    ({"lieux": "56"}, "lieux", "expected a list"),
    ({"api_url": "http://rdv.anct.gouv.fr"}, "api_url", "https"),
    ({"credentials_file": None}, "credentials_file", "missing"),
    ({"code": "nom"}, "code", "expected one of"),
    ({"max_age_seconds": 5}, "max_age_seconds", "expected 30 to 86400"),
    ({"max_age_seconds": "600"}, "max_age_seconds", "expected int"),
    ({"pull_minutes": -1}, "pull_minutes", "expected 0 to 1440"),
])
def test_a_bad_table_is_refused_with_its_key_and_why(folder, changes, key, words):
    with pytest.raises(SettingsError) as refused:
        parse(table(**changes), folder, SERVICES)
    assert refused.value.key == f"appointments.rdv_service_public.{key}"
    assert words in refused.value.reason


@pytest.mark.parametrize("secret", ["", "court\n", "x" * 2000])
def test_a_short_empty_or_huge_secret_is_refused(folder, secret):
    (folder / "rdvsp.secret").write_text(secret)
    with pytest.raises(SettingsError):
        parse(table(), folder)


@pytest.mark.parametrize("text", ["", "# rien\n", "Cookie: x=1\n", "Authorization Bearer abc\n",
                                  "Authorization:\n"])
def test_a_credentials_file_with_anything_but_the_apis_headers_is_refused(folder, text):
    (folder / "rdvsp.headers").write_text(text)
    with pytest.raises(SettingsError) as refused:
        parse(table(), folder)
    assert refused.value.key.endswith("credentials_file")


def test_http_is_allowed_only_to_this_machine(folder):
    assert parse(table(api_url="http://127.0.0.1:8080"), folder).api_url == "http://127.0.0.1:8080"
