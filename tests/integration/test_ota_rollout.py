"""The bridge's side of over-the-air updates (protocol.md §9), without boards: the rollout's
steps and halts, what a fetch may get, the manifest codec, `suivant device update`, and
`/api/devices`. The boards' side runs on MicroPython in test_ota_unix.py."""
from __future__ import annotations

import base64
import hashlib
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge_process import site_config_copy
from host_bridge.links.registry import DeviceRegistry
from host_bridge.ota.plan import steps
from host_bridge.ota.rollout import FETCH_PER_S, Updates
from host_bridge.ota.store import DONE, HALTED, RUNNING, STOPPED, UpdateStore
from suivant_fw import ProtocolError
from suivant_fw.message import Message
from suivant_fw.ota_manifest import make, parse
from support import ROOT

FILES = [("suivant_fw/app.mpy", b"A" * 200), ("suivant_fw/MANIFEST", b"0.1.0+x\n")]


class Rig:
    def __init__(self, tmp_path, devices: list[tuple[str, str]], lost_s: float = 900.0):
        path = str(tmp_path / "devices.db")
        self.registry = DeviceRegistry(path)
        for dev_id, role in devices:
            self.registry.add(dev_id, role, 3 if role in ("counter", "display") else None)
        self.store = UpdateStore(path)
        self.sent: list[tuple[str, Message]] = []
        self.rejected: list[tuple[str, str]] = []
        self.updates = Updates(self.store, self.registry,
                               lambda dev, msg: self.sent.append((dev.id, msg)),
                               lambda dev, reason: self.rejected.append((dev, reason)),
                               offer_s=10, lost_s=lost_s)

    def offers(self) -> list[str]:
        out = [d for d, m in self.sent if m.kind == "update"]
        self.sent.clear()
        return out

    def report(self, device: str, running: int, build: int, state: str, detail: str = "-"):
        dev = self.registry.get(device)
        self.updates.on_report(dev, Message("report", device, "0a1b2c3d", 5,
                                            (str(running), str(build), state, detail)))

    def fetch(self, device: str, build: int, part: int, offset: int, seq: int = 9):
        dev = self.registry.get(device)
        self.updates.on_fetch(dev, Message("fetch", device, "0a1b2c3d", seq,
                                           (str(build), str(part), str(offset))))


def test_canaries_first_then_waves_and_done_when_every_board_confirmed(tmp_path):
    rig = Rig(tmp_path, [("term-1", "counter"), ("term-2", "counter"), ("term-3", "counter"),
                         ("hall", "hall")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    hall = rig.store.add_build("hall", "mqtt", "0.1.0+x", FILES).build
    order = steps(rig.registry.all(), wave=1)
    assert [[d.id for d in s] for s in order] == [["hall", "term-1"], ["term-2"], ["term-3"]]
    rid = rig.store.start_rollout([(d.id, hall if d.role == "hall" else build, i)
                                   for i, s in enumerate(order) for d in s], 1, 300)
    rig.updates.round(now=0)
    assert sorted(rig.offers()) == ["hall", "term-1"]  # the canaries only
    rig.updates.round(now=5)
    assert rig.offers() == []  # offered again every offer_s, not at each round
    rig.report("term-1", 0, build, "loading", "40%")
    rig.report("hall", hall, hall, "confirmed")
    rig.updates.round(now=10)
    assert rig.offers() == ["term-1"]  # its canary is not confirmed yet: no wave
    rig.report("term-1", build, build, "confirmed")
    rig.updates.round(now=11)
    assert rig.offers() == ["term-2"]
    rig.report("term-2", build, build, "confirmed")
    rig.updates.round(now=12)
    assert rig.offers() == ["term-3"]
    rig.report("term-3", build + 5, build + 5, "confirmed")  # runs newer already: fine
    rig.updates.round(now=13)
    assert rig.store.latest_rollout().state == DONE
    assert {t.device: t.state for t in rig.store.targets(rid)} == {
        "hall": "confirmed", "term-1": "confirmed", "term-2": "confirmed", "term-3": "confirmed"}


@pytest.mark.parametrize(("state", "detail"), [("refused", "bad_hash"),
                                               ("rolled_back", "no_confirm")])
def test_a_refusal_or_a_rollback_halts_the_rollout(tmp_path, state, detail):
    rig = Rig(tmp_path, [("term-1", "counter"), ("term-2", "counter")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    rig.store.start_rollout([("term-1", build, 0), ("term-2", build, 1)], 1, 300)
    rig.updates.round(now=0)
    rig.report("term-1", 0, build, state, detail)
    rig.updates.round(now=20)
    rollout = rig.store.latest_rollout()
    assert (rollout.state, rollout.reason) == (HALTED, f"term-1: {state} ({detail})")
    assert rig.offers() == ["term-1"]  # the first offer only: term-2 never
    rig.updates.round(now=40)
    assert rig.offers() == []


def test_a_board_that_does_not_come_back_is_lost_and_halts_the_rollout(tmp_path):
    rig = Rig(tmp_path, [("term-1", "counter")], lost_s=60)
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    rid = rig.store.start_rollout([("term-1", build, 0)], 1, 300)
    rig.updates.round(now=0)
    rig.updates.round(now=59)
    assert rig.store.latest_rollout().state == RUNNING
    rig.updates.round(now=61)
    assert rig.store.latest_rollout().state == HALTED
    assert rig.store.targets(rid)[0].state == "lost"


def test_fetches_get_the_offered_build_in_96_byte_chunks_and_nothing_else(tmp_path):
    rig = Rig(tmp_path, [("term-1", "counter"), ("term-2", "counter")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    rig.store.start_rollout([("term-1", build, 0)], 1, 300)
    rig.updates.round(now=0)
    offer = rig.sent[0][1]
    rig.sent.clear()
    rig.fetch("term-1", build, 0, 0, seq=7)  # the manifest, signed with term-1's key
    [(dev, chunk)] = rig.sent
    assert (chunk.kind, chunk.boot, chunk.seq, chunk.fields[:3]) == \
        ("chunk", "0a1b2c3d", 7, (str(build), "0", "0"))
    manifest = b""
    for offset in range(0, int(offer.fields[0]), 96):
        rig.sent.clear()
        rig.fetch("term-1", build, 0, offset)
        manifest += base64.b64decode(rig.sent[0][1].fields[3])
    assert hashlib.sha256(manifest).hexdigest() == offer.fields[1]
    key = rig.registry.get("term-1").key
    assert parse(manifest, key).files[0] == ("suivant_fw/app.mpy", 200,
                                             hashlib.sha256(b"A" * 200).hexdigest())
    rig.sent.clear()
    rig.fetch("term-1", build, 1, 192)
    assert base64.b64decode(rig.sent[0][1].fields[3]) == b"A" * 8  # the file's tail
    rig.sent.clear()
    rig.fetch("term-1", build, 1, 200)  # past its end
    rig.fetch("term-1", build, 3, 0)  # no such part
    rig.fetch("term-1", build + 1, 0, 0)  # a build not offered to it
    rig.fetch("term-2", build, 0, 0)  # a board not in the rollout
    assert rig.sent == []
    assert rig.rejected == [("term-1", "bad_fetch"), ("term-1", "bad_fetch"),
                            ("term-1", "not_offered"), ("term-2", "not_offered")]


def test_a_board_fetching_too_fast_is_refused_beyond_its_rate(tmp_path):
    rig = Rig(tmp_path, [("term-1", "counter")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    rig.store.start_rollout([("term-1", build, 0)], 1, 300)
    rig.updates.round(now=0)
    rig.sent.clear()
    for _ in range(3 * FETCH_PER_S):
        rig.fetch("term-1", build, 1, 0)
    assert FETCH_PER_S <= len(rig.sent) <= 2 * FETCH_PER_S  # a second boundary may fall in
    assert ("term-1", "fetch_rate") in rig.rejected


def test_a_new_rollout_stops_the_running_one(tmp_path):
    rig = Rig(tmp_path, [("term-1", "counter")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    first = rig.store.start_rollout([("term-1", build, 0)], 1, 300)
    rig.store.start_rollout([("term-1", build, 0)], 1, 300)
    assert rig.store.active().id != first
    assert rig.store.build(build).files == tuple(FILES)
    assert rig.store.add_build("counter", "mqtt", "v", FILES).build == build + 1


# -- the manifest -------------------------------------------------------------------------------
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20)
contents = st.binary(min_size=1, max_size=300)


@settings(max_examples=60)
@given(files=st.dictionaries(names, contents, min_size=1, max_size=6),
       build=st.integers(1, 2**31 - 1), confirm=st.integers(0, 86400), key=st.binary(
           min_size=32, max_size=32))
def test_a_manifest_parses_back_and_any_changed_byte_is_refused(files, build, confirm, key):
    listed = [(f"suivant_fw/{n}.mpy", d) for n, d in sorted(files.items())]
    text = make(key, build, "0.1.0+abc", "counter", "mqtt", confirm, listed)
    m = parse(text, key)
    assert (m.build, m.version, m.role, m.link, m.confirm_s) == \
        (build, "0.1.0+abc", "counter", "mqtt", confirm)
    assert m.files == [(p, len(d), hashlib.sha256(d).hexdigest()) for p, d in listed]
    for i in range(0, len(text), max(1, len(text) // 25)):
        changed = bytearray(text)
        changed[i] ^= 0x01
        with pytest.raises(ProtocolError) as refused:
            parse(bytes(changed), key)
        assert refused.value.code in ("bad_mac", "bad_manifest")
    with pytest.raises(ProtocolError) as other_key:
        parse(text, bytes(32) if key != bytes(32) else b"\x01" * 32)
    assert other_key.value.code == "bad_mac"


@pytest.mark.parametrize("path", ["main.py", "suivant_fw/../main.py", "suivant_fw/A.mpy",
                                  "suivant_fw/x.txt", "suivant_fw/sub/x.mpy"])
def test_a_manifest_lists_only_files_of_the_package(path):
    with pytest.raises(ProtocolError):
        make(bytes(32), 1, "v", "counter", "mqtt", 0, [(path, b"x")])


# -- the command line and the API -----------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host_bridge.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_device_update_builds_plans_and_reports_and_stops(tmp_path):
    config = str(site_config_copy(tmp_path / "site.toml"))
    for dev, role, counter in (("term-1", "counter", "1"), ("term-2", "counter", "2"),
                               ("hall", "hall", None)):
        added = cli("device", "add", "--config", config, dev, "--role", role,
                    *(("--counter", counter) if counter else ()))
        assert added.returncode == 0, added.stderr
    refused = cli("device", "update", "--config", config, "--device", "nobody")
    assert refused.returncode != 0 and "no device 'nobody'" in refused.stderr
    refused = cli("device", "update", "--config", config, "--wave", "0")
    assert refused.returncode != 0 and "--wave is at least 1" in refused.stderr
    done = cli("device", "update", "--config", config, "--wave", "1", "--confirm-after", "60")
    assert done.returncode == 0, done.stderr
    assert "build 1: counter on mqtt" in done.stdout and "build 2: hall on mqtt" in done.stdout
    assert "canaries  hall term-1" in done.stdout and "wave 1    term-2" in done.stdout
    status = cli("device", "update", "--config", config, "--status")
    assert "rollout 1" in status.stdout and ": running" in status.stdout
    listed = cli("device", "list", "--config", config)
    assert "1: waiting" in listed.stdout and "update 1: running" in listed.stdout
    stopped = cli("device", "update", "--config", config, "--stop")
    assert f": {STOPPED} — stopped by hand" in stopped.stdout
    store = UpdateStore(str(tmp_path / "devices.db"))
    try:
        assert store.latest_rollout().state == STOPPED
        files = [p for p, _ in store.build(1).files]
        assert files[-1] == "suivant_fw/MANIFEST" and "suivant_fw/ota.mpy" in files
        assert "main.py" not in files and "fw_swap.py" not in files  # the boot's own code
    finally:
        store.close()


def test_an_idle_bridge_skips_the_file_yet_sees_a_rollout_at_once(tmp_path):
    """Without a rollout the rounds do not read the tables every second; a rollout written by
    another process (the CLI) or through the bridge's own store is seen at the next round."""
    rig = Rig(tmp_path, [("term-1", "counter"), ("term-2", "counter")])
    build = rig.store.add_build("counter", "mqtt", "0.1.0+x", FILES).build
    rig.updates.round(now=0)
    reads = []
    active = rig.store.active
    rig.store.active = lambda: reads.append(1) or active()  # type: ignore[method-assign]
    rig.updates.round(now=1)
    rig.updates.round(now=2)
    assert reads == []  # idle: nothing read
    rig.store.start_rollout([("term-1", build, 0)], 1, 300)  # through the bridge's store
    rig.updates.round(now=3)
    assert rig.offers() == ["term-1"]
    rig.report("term-1", build, build, "confirmed")
    rig.updates.round(now=4)  # done: idle again
    other = UpdateStore(str(tmp_path / "devices.db"))  # another process: the CLI
    other.start_rollout([("term-2", build, 0)], 1, 300)
    other.close()
    rig.updates.round(now=5)
    rig.updates.round(now=6)
    assert rig.offers() == ["term-2"]
