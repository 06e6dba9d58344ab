"""Which Suivant a site file was written for, and the keys that changed name between versions.

A site file may say `suivant_version = "0.1.0"` at its top (`suivant init` writes it). A key
this Suivant does not know is then reported as a setting of a newer Suivant when the file was
written for one, rather than as a misspelling. It stays an error, not a warning: the bridge
would otherwise run without a setting the site relies on (a limit, an account, a link) and
nobody would read the warning in the journal. A renamed key is accepted under its old name
with a warning naming its replacement, until the version that drops it.
"""
from __future__ import annotations

import re
from importlib import metadata
from typing import Any

VERSION_KEY = "suivant_version"
_VERSION = re.compile(r"^(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?$")

# A renamed key: its old dotted path -> (its new dotted path, the version that renamed it).
# Only keys of plain tables (not arrays of tables). None renamed so far (git log of
# site_config.py, 2026-12); the shared agent tokens of [[users]] are deprecated by value,
# see cli.shared_agent_tokens.
RENAMED: dict[str, tuple[str, str]] = {}


def running_version() -> str:
    try:
        return metadata.version("suivant")
    except metadata.PackageNotFoundError:  # a source tree run without installing it
        return "0"


def version_tuple(text: str) -> tuple[int, int, int] | None:
    """"0.2" -> (0, 2, 0); None when not N[.N[.N]] (a local tag such as 0.1.0+dev counts as
    its release)."""
    m = _VERSION.match(text.split("+", 1)[0])
    return None if m is None else (int(m[1]), int(m[2] or 0), int(m[3] or 0))


def written_for(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The file's version (None if it says none), and why it is refused (None if fine)."""
    value = data.get(VERSION_KEY)
    if value is None:
        return None, None
    if not isinstance(value, str) or version_tuple(value) is None:
        return None, f"expected the version of Suivant the file was written for, e.g. " \
                     f"\"{running_version()}\", got {value!r}"
    return value, None


def newer_than_running(version: str | None) -> bool:
    if version is None:
        return False
    mine, theirs = version_tuple(running_version()), version_tuple(version)
    return mine is not None and theirs is not None and theirs > mine


def unknown_key_reason(version: str, reason: str) -> str:
    """`reason` (an unknown key's refusal) said for a file written for a newer Suivant."""
    said = "unknown key" if reason.startswith("unknown key") else reason
    return (f"{said}: this file was written for Suivant {version} and this is Suivant "
            f"{running_version()}; the key is probably a setting of the newer version: upgrade "
            "Suivant, or remove the key to run this one without it")


def rename_keys(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The data with each renamed key under its new name (copied tables: `data` is left
    as it is), and a warning per key moved: (old key, message). Both old and new names in one
    table: (old key, None) — the caller refuses it."""
    out, notes = dict(data), []
    for old, (new, since) in RENAMED.items():
        *table_path, old_name = old.split(".")
        new_name = new.split(".")[-1]
        table = _table(out, table_path)
        if table is None or old_name not in table:
            continue
        if new_name in table:
            notes.append((old, None))
            continue
        table[new_name] = table.pop(old_name)
        notes.append((old, f"warning: {old} is deprecated since Suivant {since}: it is now "
                           f"{new} (accepted for now; rename it in the file)"))
    return out, notes


def _table(data: dict[str, Any], path: list[str]) -> dict[str, Any] | None:
    """The table at `path`, copied into its parents so the caller may change it."""
    table = data
    for name in path:
        child = table.get(name)
        if not isinstance(child, dict):
            return None
        table[name] = child = dict(child)
        table = child
    return table
