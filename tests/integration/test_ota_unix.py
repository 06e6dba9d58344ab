"""Over-the-air updates end to end (issue 11; protocol.md §9): boards that boot from a flash
folder on MicroPython's unix port — main.py, fw_swap, the firmware's own App, link and
updater — a real Mosquitto, and the bridge's rollout. A board whose process ends (its
machine.reset(), a crash) is powered on again, as a board restarts; a power cut is a SIGKILL.

The builds are the ones `suivant device update` makes (plan.update_files), changed where a
test needs a board to notice: another version string, every module recompiled (so nothing
can be copied from the running build), an app.py that crashes at import."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host_bridge.ota.plan import BOARD_MPY
from host_bridge.ota.store import DONE, HALTED
from host_bridge.provisioning.firmware_build import PACKAGE, role_files, version_of
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker
from simulators.flash_board import FlashBoard
from simulators.ota_builds import compile_module, new_build, recompiled

CONFIRM_S = 2


def wait_for(what: Callable[[], Any], timeout: float, why: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {why}")


def rollout(rig: LinkRig, targets: list[tuple[str, int, int]]) -> int:
    return rig.update_store.start_rollout(targets, wave=1, confirm_s=CONFIRM_S)


def target(rig: LinkRig, rollout_id: int, device: str):
    return next(t for t in rig.update_store.targets(rollout_id) if t.device == device)


def rollout_state(rig: LinkRig, rollout_id: int) -> str:
    r = rig.update_store.latest_rollout()
    assert r is not None and r.id == rollout_id
    return r.state


@pytest.fixture
def rig(settings, clock, tmp_path) -> Iterator[LinkRig]:
    broker = MosquittoBroker()
    broker.start()
    r = LinkRig(settings, clock, tmp_path, broker)
    r.offer_s, r.lost_s = 1.0, 60.0
    r.start_bridge()
    yield r
    r.stop()
    broker.stop()


FLASHED = {}


def flashed_files() -> dict[str, bytes]:
    """What `suivant device flash` writes on a counter terminal (built once for the file)."""
    if not FLASHED:
        FLASHED.update(role_files("counter", "mqtt", BOARD_MPY))
    return FLASHED


def flash_board(rig: LinkRig, tmp_path: Path, device: str = "term-3",
                counter: int = 3) -> FlashBoard:
    dev = rig.register(device, "counter", counter)
    folder = tmp_path / device
    folder.mkdir()
    board = FlashBoard(folder, flashed_files(), {
        "schema": 1, "device": dev.id, "role": "counter", "key": dev.key.hex(),
        "site": rig.settings.site.id, "link": "mqtt", "counter": counter,
        "wifi": {"ssid": "mairie", "password": "not-used-here"},
        "broker": {"host": "127.0.0.1", "port": rig.broker.port,
                   "password": dev.broker_password}})
    first = flashed_version()
    wait_for(lambda: firmware_of(rig, device) == first, 30, f"{device} says hello")
    return board


def flashed_version() -> str:
    return version_of(flashed_files())


def firmware_of(rig: LinkRig, device: str) -> str | None:
    assert rig.registry is not None
    return rig.registry.health[device].firmware


def served_chunks(rig: LinkRig) -> list[tuple[str, int, int, int]]:
    """Count what the bridge sends: (device, part, offset, bytes) of each chunk."""
    assert rig.updates is not None
    sent: list[tuple[str, int, int, int]] = []
    send = rig.updates.send

    def counting(dev, msg):
        if msg.kind == "chunk":
            sent.append((dev.id, int(msg.fields[1]), int(msg.fields[2]),
                         len(msg.fields[3]) * 3 // 4))
        send(dev, msg)
    rig.updates.send = counting
    return sent


# -- the tests ---------------------------------------------------------------------------------
def test_a_good_update_is_downloaded_checked_swapped_on_trial_then_confirmed(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        sent = served_chunks(rig)
        build = new_build(rig.update_store, "0.1.0+good", recompiled("good"))
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: rollout_state(rig, rid) == DONE, 120, "the rollout is done")
        assert target(rig, rid, "term-3").state == "confirmed"
        assert target(rig, rid, "term-3").running == build
        assert firmware_of(rig, "term-3") == "0.1.0+good"  # the hello of the new build
        assert board.ota() == {"build": build, "state": "ok"}
        assert not (board.folder / "suivant_fw.old").exists()  # confirmed: the old one goes
        assert not (board.folder / "suivant_fw.new").exists()
        # every file fetched (nothing to copy: all recompiled), in 96-byte chunks; a chunk
        # may be fetched twice (a fetch unanswered in 3 s is sent again), never skipped
        files = rig.update_store.build(build).files
        assert {(part, offset) for _, part, offset, _ in sent if part > 0} == {
            (i + 1, offset) for i, (_, data) in enumerate(files)
            for offset in range(0, len(data), 96)}
        assert board.boots == 2  # flashed, then the reset into the new build
    finally:
        board.stop()


def test_a_corrupted_chunk_fails_the_file_hash_the_rollout_halts_the_board_keeps_its_build(
        rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        build = new_build(rig.update_store, "0.1.0+corrupt", recompiled("corrupt"))
        send = rig.updates.send

        def corrupting(dev, msg):  # signed after: only the file hash can tell
            if msg.kind == "chunk" and msg.fields[1] == "3" and msg.fields[2] == "96":
                data = bytearray(__import__("base64").b64decode(msg.fields[3]))
                data[0] ^= 0xFF
                msg = type(msg)(msg.kind, msg.device, msg.boot, msg.seq,
                                (*msg.fields[:3],
                                 __import__("base64").b64encode(bytes(data)).decode()))
            send(dev, msg)
        rig.updates.send = corrupting
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: rollout_state(rig, rid) == HALTED, 120, "the rollout halts")
        t = target(rig, rid, "term-3")
        assert (t.state, t.detail) == ("refused", "bad_hash")
        assert firmware_of(rig, "term-3") == flashed_version()
        assert board.ota()["failed"] == [build, "refused", "bad_hash"]
        assert not (board.folder / "suivant_fw.new").exists()  # nothing half kept
        assert board.boots == 1
    finally:
        board.stop()


def test_a_manifest_with_a_bad_mac_is_refused_before_any_file_is_fetched(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        sent = served_chunks(rig)
        build = new_build(rig.update_store, "0.1.0+forged")
        make = rig.updates._manifest

        def forged(dev, b, confirm_s):  # another key signed it
            text = make(dev, b, confirm_s)
            return text[:-5] + (b"0000\n" if not text.endswith(b"0000\n") else b"1111\n")
        rig.updates._manifest = forged
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: rollout_state(rig, rid) == HALTED, 60, "the rollout halts")
        t = target(rig, rid, "term-3")
        assert (t.state, t.detail) == ("refused", "bad_mac")
        assert {part for _, part, _, _ in sent} == {0}  # the manifest only
        assert firmware_of(rig, "term-3") == flashed_version()
        assert board.boots == 1
    finally:
        board.stop()


def test_power_lost_mid_download_resumes_where_it_was(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        sent = served_chunks(rig)
        build = new_build(rig.update_store, "0.1.0+resumed", recompiled("resumed"))
        rid = rollout(rig, [("term-3", build, 0)])
        staged = board.folder / "suivant_fw.new"
        wait_for(lambda: staged.exists() and len(list(staged.glob("*.mpy"))) >= 4, 120,
                 "a few files are in")
        board.power_cut()
        kept = {p.name: p.stat().st_size for p in staged.iterdir()}
        wait_for(lambda: rollout_state(rig, rid) == DONE, 180, "the rollout is done")
        assert firmware_of(rig, "term-3") == "0.1.0+resumed"
        fetched = [(part, offset) for _, part, offset, _ in sent if part > 0]
        again = len(fetched) - len(set(fetched))
        assert again <= 4, f"{again} chunks fetched twice: not resumed"  # a resend or two
        assert sum(1 for name in kept if name.endswith(".mpy")) >= 4
    finally:
        board.stop()


def test_power_lost_between_the_two_renames_of_the_swap(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        build = new_build(rig.update_store, "0.1.0+swapped")
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: board.ota().get("state") == "swap", 120, "the build is staged")
        board.power_cut(back=False)  # before the reset the board asks for
        folder = board.folder
        os.rename(folder / "suivant_fw", folder / "suivant_fw.old")  # the cut: one rename done
        board.power_on()
        wait_for(lambda: rollout_state(rig, rid) == DONE, 120, "the rollout is done")
        assert firmware_of(rig, "term-3") == "0.1.0+swapped"
        assert board.ota() == {"build": build, "state": "ok"}
    finally:
        board.stop()


def test_a_build_that_crashes_at_boot_is_rolled_back_by_the_board_itself(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        crash = compile_module("raise RuntimeError('a bug in this build')\n", "app")
        build = new_build(rig.update_store, "0.1.0+crash", {f"{PACKAGE}/app.mpy": crash})
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: rollout_state(rig, rid) == HALTED, 120, "the rollout halts")
        t = target(rig, rid, "term-3")
        assert t.state == "rolled_back"
        assert firmware_of(rig, "term-3") == flashed_version()  # the old build says hello
        ota = board.ota()
        assert ota["build"] == 0 and ota["state"] == "ok"
        assert ota["failed"] == [build, "rolled_back", "no_confirm"]
        assert any("a bug in this build" in line for line in board.output)
        assert (board.folder / "suivant_fw" / "app.mpy").read_bytes() == \
            flashed_files()[f"{PACKAGE}/app.mpy"]
    finally:
        board.stop()


def test_a_downgrade_or_an_old_manifest_replayed_is_refused(rig, tmp_path):
    board = flash_board(rig, tmp_path)
    try:
        old = new_build(rig.update_store, "0.1.0+old")
        new = new_build(rig.update_store, "0.1.0+new")
        rid = rollout(rig, [("term-3", new, 0)])
        wait_for(lambda: rollout_state(rig, rid) == DONE, 120, "the update to the new build")
        back = rollout(rig, [("term-3", old, 0)])
        wait_for(lambda: rollout_state(rig, back) == HALTED, 60, "the downgrade halts")
        t = target(rig, back, "term-3")
        assert (t.state, t.detail, t.running) == ("refused", "downgrade", new)
        assert firmware_of(rig, "term-3") == "0.1.0+new"
        assert board.ota()["build"] == new
    finally:
        board.stop()


def test_a_failing_canary_halts_the_rollout_before_the_next_wave(rig, tmp_path):
    canary = flash_board(rig, tmp_path, "term-1", 1)
    other = flash_board(rig, tmp_path, "term-3", 3)
    try:
        crash = compile_module("raise RuntimeError('a bug in this build')\n", "app")
        build = new_build(rig.update_store, "0.1.0+crash", {f"{PACKAGE}/app.mpy": crash})
        rid = rollout(rig, [("term-1", build, 0), ("term-3", build, 1)])
        wait_for(lambda: rollout_state(rig, rid) == HALTED, 120, "the rollout halts")
        assert target(rig, rid, "term-1").state == "rolled_back"
        wave = target(rig, rid, "term-3")
        assert (wave.state, wave.offered_at) == ("waiting", None)  # never offered
        assert other.ota() == {} and other.boots == 1
        assert firmware_of(rig, "term-3") == flashed_version()
    finally:
        canary.stop()
        other.stop()


def test_a_board_on_a_serial_line_is_updated_over_that_line(settings, clock, tmp_path):
    """The same lines over the board's USB serial port (a pty: the firmware's stdin and
    stdout, its prints on the same line as on a board), the bridge's serial link polling it."""
    import dataclasses

    from host_bridge.site_config import SerialPortSettings
    rig = LinkRig(settings, clock, tmp_path)
    rig.offer_s, rig.lost_s = 1.0, 60.0
    link = tmp_path / "ttyUSB-term-3"
    dev = rig.register("term-3", "counter", 3, link="serial", serial_port=str(link),
                       serial_address=0)
    rig.settings = dataclasses.replace(rig.settings,
                                       serial_ports=(SerialPortSettings(str(link)),))
    folder = tmp_path / "term-3"
    folder.mkdir()
    flashed = role_files("counter", "serial", BOARD_MPY)
    board = FlashBoard(folder, flashed, {
        "schema": 1, "device": dev.id, "role": "counter", "key": dev.key.hex(),
        "site": rig.settings.site.id, "link": "serial", "counter": 3,
        "serial": {"uart": 0, "baud": 115200, "address": 0, "rs485": False}},
        serial_link=link)
    try:
        rig.start_bridge()
        first = version_of(flashed)
        wait_for(lambda: firmware_of(rig, "term-3") == first, 30, "the board says hello")
        build = new_build(rig.update_store, "0.1.0+serial", link="serial")
        rid = rollout(rig, [("term-3", build, 0)])
        wait_for(lambda: rollout_state(rig, rid) == DONE, 180, "the rollout is done")
        assert firmware_of(rig, "term-3") == "0.1.0+serial"
        assert board.ota() == {"build": build, "state": "ok"}
        assert rig.registry.health["term-3"].via == str(link)
    finally:
        board.stop()
        rig.stop()
