"""Over-the-air update of one board: how long from the rollout's start to the build staged
(`ready`: downloaded, every hash checked) and to the board confirmed on its new build, for a
build where every module changed (all fetched) and one where a single module changed (the
others copied on the board) — the two variants interleaved, round after round.

    python -m bench.ota_transfer [--rounds 3] [--confirm-s 1]

The board is the firmware on MicroPython's unix port booting from a flash folder
(simulators/flash_board.py), the bridge a `suivant serve` subprocess (its update rounds every
second, as in production), a Mosquitto on a free port, all on loopback: the figures are the
protocol's and the firmware's cost (one 96-byte chunk per round trip of the board's 20 ms
link loop), not a Wi-Fi network's.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import ROOT, machine_lines

sys.path.insert(0, str(ROOT / "tests"))  # the tests' Mosquitto helper

from bench.device_links import Bridge  # noqa: E402
from host_bridge.ota.plan import BOARD_MPY  # noqa: E402
from host_bridge.ota.store import UpdateStore  # noqa: E402
from host_bridge.provisioning.firmware_build import PACKAGE, manifest, role_files  # noqa: E402
from mosquitto_broker import MosquittoBroker  # noqa: E402
from simulators.flash_board import FlashBoard  # noqa: E402
from simulators.ota_builds import compile_module, recompiled  # noqa: E402

DEVICE = "term-1"
MANIFEST = f"{PACKAGE}/MANIFEST"


def _wait(store: UpdateStore, rollout: int, state: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = store.targets(rollout)[0]
        if t.state == state:
            return time.monotonic()
        if t.state in ("refused", "rolled_back", "lost"):
            raise RuntimeError(f"the update failed: {t.state} {t.detail}")
        time.sleep(0.02)
    t = store.targets(rollout)[0]
    raise RuntimeError(f"no {state!r} within {timeout} s: {t.state} {t.detail}")


def one_update(store: UpdateStore, files_now: dict[str, bytes], variant: str, n: int,
               confirm_s: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    version = f"0.1.0+{variant[:3]}{n}"
    changed = recompiled(f"r{n}") if variant == "every module" else {
        f"{PACKAGE}/app.mpy": compile_module(
            (ROOT / "firmware" / PACKAGE / "app.py").read_text() + f"\n_ROUND = {n}\n", "app")}
    # the board's own package with `changed` in it: what differs is what the board fetches
    package = {p: d for p, d in files_now.items() if p != MANIFEST}
    package.update(changed)
    package[f"{PACKAGE}/version.mpy"] = compile_module(f"VERSION = {version!r}\n", "version")
    build = store.add_build("counter", "mqtt", version, sorted(package.items()) + [
        (MANIFEST, manifest(version, package))]).build
    files = dict(store.build(build).files)
    fetched = sum(len(d) for p, d in files.items() if files_now.get(p) != d)
    start = time.monotonic()
    rollout = store.start_rollout([(DEVICE, build, 0)], 1, confirm_s)
    ready = _wait(store, rollout, "ready", 120)
    confirmed = _wait(store, rollout, "confirmed", 300)
    return {"variant": variant, "bytes_fetched": fetched, "build_bytes": sum(
        len(d) for d in files.values()), "ready_s": ready - start,
        "confirmed_s": confirmed - start}, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--confirm-s", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suivant-ota-bench-") as tmp, \
            MosquittoBroker() as broker:
        folder = Path(tmp)
        bridge = Bridge(folder, 1, broker.port, [(DEVICE, "counter", 1, {})])
        dev = bridge.devices[DEVICE]
        flashed = role_files("counter", "mqtt", BOARD_MPY)
        (folder / "flash").mkdir()
        board = FlashBoard(folder / "flash", flashed, {
            "schema": 1, "device": DEVICE, "role": "counter", "key": dev.key.hex(),
            "site": "bench", "link": "mqtt", "counter": 1,
            "wifi": {"ssid": "bench", "password": "not-used-here"},
            "broker": {"host": "127.0.0.1", "port": broker.port,
                       "password": dev.broker_password}})
        store = UpdateStore(str(folder / "devices.db"))
        results = []
        try:
            time.sleep(3)  # the board boots and says hello
            files_now = {p: d for p, d in flashed.items() if p.startswith(PACKAGE + "/")}
            for n in range(args.rounds):
                for variant in ("every module", "one module"):  # interleaved
                    result, files_now = one_update(store, files_now, variant, n,
                                                   args.confirm_s)
                    results.append(result)
                    print(json.dumps(result), flush=True)
        except BaseException:
            print("\n".join(board.output[-30:]), file=sys.stderr)
            raise
        finally:
            board.stop()
            store.close()
            bridge.stop()
    print("\n".join(machine_lines(tmp, "FULL")))
    for variant in ("every module", "one module"):
        rows = [r for r in results if r["variant"] == variant]
        ready = [r["ready_s"] for r in rows]
        confirmed = [r["confirmed_s"] for r in rows]
        fetched = statistics.median(r["bytes_fetched"] for r in rows)
        print(f"{variant:13}: {fetched / 1024:.1f} KB fetched of {rows[0]['build_bytes'] / 1024:.1f}"
              f" KB; staged in {statistics.median(ready):.1f} s (median of {len(rows)}; "
              f"{min(ready):.1f}-{max(ready):.1f}), "
              f"{fetched / 1024 / statistics.median(ready):.1f} KB/s; confirmed after "
              f"{statistics.median(confirmed):.1f} s (confirm {args.confirm_s} s)")


if __name__ == "__main__":
    main()
