"""The running rollout, as the bridge drives it: offers, reports, waves, halts.

    updates = Updates(store, registry, send)   # send(device, Message): the gateway's
    updates.start(); updates.stop()            # a round every ROUND_S in its own thread
    updates.on_report(dev, msg); updates.on_fetch(dev, msg)   # from the device gateway

A rollout (`suivant device update`) lists its boards in steps: step 0 holds one canary per
role, then waves of `wave` boards. Only the lowest step not yet confirmed is offered its build
(an `update` line every OFFER_S, which each board answers with a `report`: the offers are
also how the bridge learns where a board is). The rollout stops by itself — `halted`, with
the board and the reason — as soon as a board refuses the build, rolls back, or does not
come back (no report for LOST_S once offered); it is `done` when every board confirmed.
A board only ever gets the build offered to it: `fetch` lines for anything else are refused
(counted, unanswered), and a board fetches at most FETCH_PER_S parts a second.
"""
from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable

from suivant_fw.message import CHUNK_BYTES, Message
from suivant_fw.ota_manifest import hexdigest, make

from ..links.registry import Device, DeviceRegistry
from .store import DONE, HALTED, Build, Target, UpdateStore

log = logging.getLogger(__name__)
ROUND_S = 1.0
OFFER_S = 20.0  # an offer (and so a report) this often per board of the current step
LOST_S = 900.0  # offered, and not a word for this long: the board did not come back
FETCH_PER_S = 50  # parts a board may fetch per second (one in flight is what it does)
FAILED = ("refused", "rolled_back", "lost")


class Updates:
    def __init__(self, store: UpdateStore, registry: DeviceRegistry,
                 send: Callable[[Device, Message], None],
                 reject: Callable[[str, str], None] = lambda device, reason: None,
                 offer_s: float = OFFER_S, lost_s: float = LOST_S):
        self.store = store
        self.registry = registry
        self.send = send
        self.reject = reject
        self.offer_s = offer_s
        self.lost_s = lost_s
        self._offered: dict[str, float] = {}  # device -> monotonic time of its last offer
        self._heard: dict[str, float] = {}  # device -> monotonic time of its last report
        self._manifests: dict[tuple[str, int, bytes], bytes] = {}
        self._fetches: dict[str, tuple[float, int]] = {}  # device -> (second, fetches in it)
        self._lock = threading.Lock()
        self._idle = False  # the last round found no rollout running
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the rounds ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="updates", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(ROUND_S):
            try:
                self.round()
            except Exception:
                log.exception("update round failed; the next one tries again")

    def round(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self._idle and not self.store.changed():
            return  # no rollout, and nobody wrote one since: not a table read a second
        rollout = self.store.active()
        self._idle = rollout is None
        if rollout is None:
            return
        targets = self.store.targets(rollout.id)
        with self._lock:
            for t in targets:
                if t.state not in FAILED and t.state != "confirmed" and t.device in \
                        self._offered and now - self._heard.get(t.device, self._offered[
                            t.device]) > self.lost_s:
                    self.store.set_target(rollout.id, t.device, "lost", "no report", None)
                    t = Target(t.device, t.build, t.step, "lost", "no report", t.running,
                               t.offered_at, t.updated_at)
                if t.state in FAILED:
                    self.store.finish(rollout.id, HALTED,
                                      f"{t.device}: {t.state} ({t.detail or '-'})")
                    log.warning("update halted: %s %s (%s)", t.device, t.state, t.detail)
                    return
            waiting = [t for t in targets if t.state != "confirmed"]
            if not waiting:
                self.store.finish(rollout.id, DONE, None)
                log.info("update done: %d boards confirmed", len(targets))
                return
            step = min(t.step for t in waiting)
            for t in waiting:
                if t.step == step and now - self._offered.get(t.device, -1e9) >= self.offer_s:
                    self._offer(rollout.id, rollout.confirm_s, t, now)

    def _offer(self, rollout: int, confirm_s: int, t: Target, now: float) -> None:
        dev = self.registry.get(t.device)
        build = self.store.build(t.build)
        if dev is None or build is None:  # removed meanwhile: nothing to wait for
            self.store.set_target(rollout, t.device, "refused", "removed", None)
            return
        manifest = self._manifest(dev, build, confirm_s)
        self._offered[t.device] = now
        self._heard.setdefault(t.device, now)
        self.store.set_target(rollout, t.device, "offered" if t.state == "waiting" else t.state,
                              t.detail, None, offered=True)
        self.send(dev, Message("update", dev.id, "-", build.build,
                               (str(len(manifest)), hexdigest(manifest))))

    def _manifest(self, dev: Device, build: Build, confirm_s: int) -> bytes:
        key = (dev.id, build.build, dev.key)
        text = self._manifests.get(key)
        if text is None:
            text = self._manifests[key] = make(dev.key, build.build, build.version, build.role,
                                               build.link, confirm_s, list(build.files))
        return text

    # -- lines from the boards -----------------------------------------------------------------
    def _target(self, device: str) -> tuple[int, int, Target] | None:
        rollout = self.store.active()
        if rollout is None:
            return None
        for t in self.store.targets(rollout.id):
            if t.device == device:
                return rollout.id, rollout.confirm_s, t
        return None

    def on_report(self, dev: Device, msg: Message) -> None:
        running, build, state, detail = msg.fields
        found = self._target(dev.id)
        if found is None:
            return  # no rollout for it: the hello's firmware says what it runs
        rollout, _, t = found
        with self._lock:
            self._heard[dev.id] = time.monotonic()
        if int(build) == t.build:
            self.store.set_target(rollout, dev.id, state, None if detail == "-" else detail,
                                  int(running))
        elif int(running) >= t.build:  # it runs this build or a newer one: nothing to do
            self.store.set_target(rollout, dev.id, "confirmed", f"runs {running}", int(running))

    def on_fetch(self, dev: Device, msg: Message) -> None:
        build_n, part, offset = (int(f) for f in msg.fields)
        found = self._target(dev.id)
        if found is None or found[2].build != build_n or found[2].state in FAILED:
            self.reject(dev.id, "not_offered")
            return
        if not self._may_fetch(dev.id):
            self.reject(dev.id, "fetch_rate")
            return
        build = self.store.build(build_n)
        assert build is not None
        if part == 0:
            data = self._manifest(dev, build, found[1])
        elif part <= len(build.files):
            data = build.files[part - 1][1]
        else:
            self.reject(dev.id, "bad_fetch")
            return
        if offset >= len(data):
            self.reject(dev.id, "bad_fetch")
            return
        piece = base64.b64encode(data[offset:offset + CHUNK_BYTES]).decode("ascii")
        self.send(dev, Message("chunk", dev.id, msg.boot, msg.seq,
                               (str(build_n), str(part), str(offset), piece)))

    def _may_fetch(self, device: str) -> bool:
        second = int(time.monotonic())
        with self._lock:
            at, n = self._fetches.get(device, (second, 0))
            n = n + 1 if at == second else 1
            self._fetches[device] = (second, n)
        return n <= FETCH_PER_S
