"""`<database>.lock` held by the bridge built to serve: taken before the store is opened (which
may upgrade it), let go by close(), and let go again when the build fails."""
from __future__ import annotations

import sqlite3

import pytest

from host_bridge.bootstrap import build
from host_bridge.store.bridge_lock import BridgeLock, DatabaseInUse
from host_bridge.store.migrations import SchemaMismatch
from host_bridge.store.sqlite_store import SCHEMA_VERSION, SqliteStore
from support import example_settings


def test_a_bridge_built_to_serve_holds_the_database_until_it_is_closed(tmp_path):
    settings = example_settings(tmp_path)
    bridge = build(settings, serving=True)
    try:
        with pytest.raises(DatabaseInUse, match="a Suivant bridge"):
            BridgeLock(settings.db_path, "suivant restore").acquire()
    finally:
        bridge.close()
    BridgeLock(settings.db_path, "suivant restore").acquire().release()


def test_a_bridge_built_for_a_test_takes_no_lock(tmp_path):
    settings = example_settings(tmp_path)
    bridge = build(settings)
    try:
        BridgeLock(settings.db_path, "suivant restore").acquire().release()
    finally:
        bridge.close()


def test_a_bridge_whose_store_cannot_open_lets_the_lock_go(tmp_path):
    settings = example_settings(tmp_path)
    SqliteStore(settings.db_path).close()
    db = sqlite3.connect(settings.db_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")  # from a newer Suivant
    db.close()
    with pytest.raises(SchemaMismatch):
        build(settings, serving=True)
    BridgeLock(settings.db_path, "suivant restore").acquire().release()
