"""The restore drill against a real `suivant serve`: a backup taken while it serves tickets, a
restore and a second bridge refused while it runs, the restore done once it is stopped, and
the bridge started again on the restored history."""
from __future__ import annotations

import subprocess
import sys
import threading

import httpx
import pytest

from host_bridge.cli import main
from support import ROOT

sys.path.insert(0, str(ROOT / "tests" / "integration"))
from bridge_process import BridgeProcess, read_history, site_config_copy  # noqa: E402


@pytest.mark.slow  # two bridge starts and a refused third: about 6 s
def test_the_restore_drill_on_a_serving_bridge(tmp_path, capsys):
    config = site_config_copy(tmp_path / "site.toml")
    db = tmp_path / "queue.db"
    bridge = BridgeProcess(config, db)
    bridge.start()
    try:
        http = httpx.Client(base_url=bridge.url, timeout=10)
        stop = threading.Event()

        def kiosk() -> None:
            while not stop.is_set():
                http.post("/api/tickets", json={"service": "accueil"})

        issuing = threading.Thread(target=kiosk)
        issuing.start()
        try:
            while len(read_history(db).issued) < 5:
                pass
            assert main(["backup", "--config", str(config), "--db", str(db),
                         "--to", str(tmp_path / "bk")]) == 0  # while tickets are issued
        finally:
            stop.set()
            issuing.join(30)
        (backup,) = [p for p in (tmp_path / "bk").iterdir() if p.is_dir()]
        capsys.readouterr()

        assert main(["restore", str(backup), "--config", str(config), "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert f"a Suivant bridge (pid {bridge.pid}) is using" in err
        assert "stop the bridge first" in err and "nothing was changed" in err

        second = subprocess.run(BridgeProcess(config, db).command(), cwd=ROOT, timeout=60,
                                capture_output=True, text=True)
        assert second.returncode == 2 and f"(pid {bridge.pid}) is using" in second.stderr
    finally:
        bridge.stop()

    at_backup = read_history(backup / "queue.db")
    assert len(read_history(db).issued) > len(at_backup.issued)  # it went on after
    assert main(["restore", str(backup), "--config", str(config), "--db", str(db)]) == 0
    assert read_history(db).events == at_backup.events and at_backup.problems == []
    bridge.start()
    try:
        r = httpx.post(f"{bridge.url}/api/tickets", json={"service": "accueil"}, timeout=10)
        last = max(at_backup.issued.values(), key=lambda t: t["number"])
        expected = f"{last['label'][:-3]}{last['number'] + 1:03d}"
        assert r.json()["ticket"]["label"] == expected  # the restored queue goes on
    finally:
        bridge.stop()
