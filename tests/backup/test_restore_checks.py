"""What `suivant restore` checks in a backup's manifest before it changes anything, and the
owner of the files it puts back when run as root."""
from __future__ import annotations

import copy
import json
import os
import pwd
from pathlib import Path

import pytest

from host_bridge.backup.manifest import ManifestRefused, read_manifest
from host_bridge.backup.restore import restore_backup
from host_bridge.backup.take import MANIFEST, take_backup
from host_bridge.store.sqlite_store import SqliteStore
from support import example_settings

GOOD = {"format": 1, "site": "mairie-villeneuve", "suivant": "0.2.0",
        "taken_at": "2026-12-07T03:00:00+00:00",
        "files": [{"role": "queue", "name": "queue.db", "original": "suivant.db",
                   "restored": True, "size": 4096, "sha256": "0" * 64, "schema": 3}],
        "left_out": {"sms": "personal data"}}


def written(folder: Path, manifest) -> Path:
    (folder / MANIFEST).write_text(manifest if isinstance(manifest, str)
                                   else json.dumps(manifest))
    return folder


def edited(change):
    manifest = copy.deepcopy(GOOD)
    change(manifest)
    return manifest


def test_a_manifest_as_take_writes_it_is_read_whole(tmp_path):
    assert read_manifest(written(tmp_path, GOOD)) == GOOD


@pytest.mark.parametrize("manifest, words", [
    (edited(lambda m: m["files"][0].update(name="..")), "files.0.name"),
    (edited(lambda m: m["files"][0].update(name="../../etc/passwd")), "files.0.name"),
    (edited(lambda m: m["files"][0].update(name=".hidden")), "files.0.name"),
    (edited(lambda m: m["files"][0].update(size="4096")), "files.0.size"),
    (edited(lambda m: m["files"][0].update(size=True)), "files.0.size"),
    (edited(lambda m: m["files"][0].update(size=-1)), "files.0.size"),
    (edited(lambda m: m["files"][0].update(sha256="ABC")), "files.0.sha256"),
    (edited(lambda m: m["files"][0].update(schema="3")), "files.0.schema"),
    (edited(lambda m: m["files"][0].pop("role")), "files.0.role"),
    (edited(lambda m: m["files"].append(dict(m["files"][0]))), "two files of the same role"),
    (edited(lambda m: m["files"].extend([m["files"][0]] * 100)), "files"),
    (edited(lambda m: m.update(site="x" * 201)), "site"),
    (edited(lambda m: m.update(format=2)), "format"),
    (edited(lambda m: m.pop("suivant")), "suivant"),
    (edited(lambda m: m.update(left_out=["sms"])), "left_out"),
    ("[1]", "the manifest"),
    ("[" * 100_000, "not JSON"),
    ("{", "not JSON"),
])
def test_a_manifest_the_restore_could_not_use_is_refused_naming_the_key(tmp_path, manifest,
                                                                        words):
    with pytest.raises(ManifestRefused, match=words.replace(".", r"\.")):
        read_manifest(written(tmp_path, manifest))


def test_a_manifest_over_a_megabyte_is_refused_unread(tmp_path):
    (tmp_path / MANIFEST).write_bytes(b" " * (1 << 20) + b"{}")
    with pytest.raises(ManifestRefused, match="too large"):
        read_manifest(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_a_restore_run_as_root_leaves_files_the_bridge_user_can_open(tmp_path):
    """`sudo suivant restore` without `-u suivant`: the files put back (0600) and the lock
    were root's, and the bridge could open none of them."""
    nobody = pwd.getpwnam("nobody")
    (tmp_path / "site").mkdir()
    settings = example_settings(tmp_path / "site")
    SqliteStore(settings.db_path).close()
    taken = take_backup(settings, tmp_path / "backups")
    data = Path(settings.db_path).parent
    for p in (data, *data.iterdir()):
        os.chown(p, nobody.pw_uid, nobody.pw_gid)
    Path(f"{settings.db_path}.lock").unlink(missing_ok=True)
    done = restore_backup(settings, taken.folder)
    assert done.placed
    for p in (Path(settings.db_path), Path(f"{settings.db_path}.lock")):
        assert (p.stat().st_uid, p.stat().st_gid) == (nobody.pw_uid, nobody.pw_gid), p
