"""§9 over-the-air updates, the board's side: download a build, check it, hand it to the boot.

    up = Updater(dev, key, hal, role, link)   # made at the first `update` line (app.py), or at
                                              #   boot when a trial build must be confirmed
    up.receive(msg, now)                      # `update` and `chunk` lines for this device
    up.tick(now)                              # in the device's tick: fetches, confirm, reset

An `update` offers build B (its seq) with its manifest's size and SHA-256. The board answers
every offer with a `report` (what it runs, and where it is with B), and:
- B not newer than what it runs: `refused downgrade` (or what it knows of B: running it,
  rolled back from it, refused it) — an old manifest replayed changes nothing;
- else it fetches the manifest (part 0), checks its hash against the offer and its MAC
  against the device key, its role and link, the flash's room; then each file (part i) into
  suivant_fw.new/ — one chunk at a time, a file already on the board with the same hash is
  copied instead — and checks each file's SHA-256;
- all checked: the manifest goes into suivant_fw.new/MANIFEST last (the mark of a whole
  build, fw_swap.py), ota.json says "swap", `report ready`, and the board resets.
The swap itself, the trial boot and the rollback are fw_swap.py's, at boot, before any of
this package is imported. A trial build confirms itself here once it has been online, heard
the bridge (a show) and run `confirm` seconds: ota.json says "ok", the old build is removed,
`report confirmed`. A reset before that, and fw_swap puts the old build back.

A power loss mid-download costs what was fetched of the current file at most: the manifest
is kept (ota.manifest) and checked again, finished files are kept, a file is resumed at its
size. ota.json (state) and ota.manifest are written to a temporary name and renamed.
"""
import binascii
import hashlib
import json
import os

from suivant_fw import ProtocolError
from suivant_fw.message import CHUNK_BYTES, Message
from suivant_fw.ota_manifest import hexdigest, parse

try:
    from micropython import const
except ImportError:  # CPython: the tests import this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

STATE = "ota.json"
MANIFEST = "ota.manifest"  # the build being fetched: kept across resets
PKG = "suivant_fw"
NEW = "suivant_fw.new"
OLD = "suivant_fw.old"
MARKER = NEW + "/MANIFEST"
FETCH_MS = const(3000)  # a fetch unanswered this long is sent again (a lost line)
GIVE_UP = const(20)  # fetches unanswered in a row: the download waits for the next offer
RESET_MS = const(1500)  # after `ready`: time for the report to leave before the reset
ROOM = const(8192)  # flash kept free beyond the new build


def read_state():
    """ota.json: {"build": running build (0: as flashed), "state": "ok" | "swap" | "trial" |
    "rollback", "prev": the build before, "boots": trial boots, "confirm": s, "failed":
    [build, report state, detail] of the last build not installed}."""
    try:
        with open(STATE) as f:
            st = json.load(f)
        if isinstance(st, dict) and isinstance(st.get("build"), int):
            return st
    except (OSError, ValueError):
        pass
    return {"build": 0, "state": "ok"}


def write_state(st):
    _write(STATE, json.dumps(st).encode())


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def remove_tree(path):
    """A folder of files (the firmware package has no subfolders) and the folder."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        _remove(path + "/" + name)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _staged(path):
    """suivant_fw/x.mpy -> suivant_fw.new/x.mpy"""
    return NEW + path[len(PKG):]


def file_hash(path, buf):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(buf[:n] if n < len(buf) else buf)
    return str(binascii.hexlify(h.digest()), "ascii")


def _room():
    try:
        s = os.statvfs(".")
        return s[0] * s[4]
    except (AttributeError, OSError):  # a port without statvfs: the writes will tell
        return -1


class Updater:
    def __init__(self, dev, key, hal, role, link):
        self.dev = dev
        self.key = key
        self.hal = hal
        self.role = role
        self.link = link
        self.st = read_state()
        self.running = self.st["build"]  # what runs now (a staged build runs after a reset)
        self.build = 0  # the build being fetched (0: none)
        self.size = 0  # its manifest's size and hash, as offered
        self.sha = ""
        self.files = []  # type: list  # its manifest's (path, size, sha256), once checked
        self.confirm_s = 0
        self.part = 0  # 0: the manifest; i: the manifest's file i - 1
        self.offset = 0
        self.asked = None  # (seq, part, offset) of the fetch in flight
        self.due = 0  # when to fetch (again)
        self.reset_at = 0
        self.buf = bytearray(256)
        self.errors = 0  # chunks refused (wrong one, bad base64)
        self.silent = 0  # fetches unanswered in a row

    # -- lines in ----------------------------------------------------------------------------
    def receive(self, msg, now):
        try:
            if msg.kind == "update":
                self._offer(msg.seq, int(msg.fields[0]), msg.fields[1], now)
            elif msg.kind == "chunk":
                self._chunk(msg, now)
        except OSError:  # the flash refused a write: this build is not for this board
            if self.build:
                self._fail("refused", "flash_error")

    def _offer(self, build, size, sha, now):
        st = self.st
        failed = st.get("failed")
        if self.reset_at:  # staged: the reset into it is a moment away
            self._report(st["build"], "ready", "-")
        elif build == st["build"]:
            self._report(build, "trial" if st["state"] == "trial" else "confirmed", "-")
        elif failed and failed[0] == build:
            self._report(build, failed[1], failed[2])
        elif build < st["build"]:
            self._report(build, "refused", "downgrade")
        elif st["state"] == "trial":  # the next build waits until this one is confirmed
            self._report(st["build"], "trial", "-")
        elif build == self.build:
            self._report(build, "loading", self._progress())
        else:
            self._start(build, size, sha, now)

    def _start(self, build, size, sha, now):
        self.build, self.size, self.sha = build, size, sha
        self.files, self.asked, self.due = [], None, now
        self.part, self.offset = 0, 0
        try:
            with open(MANIFEST, "rb") as f:
                text = f.read()
            if len(text) == size and hexdigest(text) == sha:
                self._manifest(text)  # fetched before a reset: resume after it
                if self.part > 0:
                    self._report(build, "loading", self._progress())
                return
        except (OSError, ProtocolError):
            pass
        _remove(MANIFEST)
        remove_tree(NEW)
        _remove(MANIFEST + ".part")
        self._report(build, "loading", "0%")

    def _chunk(self, msg, now):
        asked = self.asked
        f = msg.fields
        if asked is None or msg.boot != self.dev.pending.boot or msg.seq != asked[0] or \
                int(f[0]) != self.build or int(f[1]) != asked[1] or int(f[2]) != asked[2]:
            self.errors += 1  # not the answer to the fetch in flight: a late or lost one
            return
        try:
            data = binascii.a2b_base64(f[3])
        except ValueError:
            data = b""
        end = self._part_size()
        if not data or len(data) > CHUNK_BYTES or self.offset + len(data) > end:
            self.errors += 1
            return
        self.asked = None
        self.due = now
        with open(self._part_path(), "ab") as out:
            out.write(data)
        self.offset += len(data)
        if self.offset == end:
            self._part_done()

    # -- parts ---------------------------------------------------------------------------------
    def _part_path(self):
        """Where a part is written while it arrives: renamed once checked, so a half-written
        file never carries a build's final name (MANIFEST, the mark of a whole build)."""
        if self.part == 0:
            return MANIFEST + ".part"
        return _staged(self.files[self.part - 1][0]) + ".part"

    def _part_size(self):
        return self.size if self.part == 0 else self.files[self.part - 1][1]

    def _part_done(self):
        if self.part == 0:
            with open(MANIFEST + ".part", "rb") as f:
                text = f.read()
            _remove(MANIFEST + ".part")
            if hexdigest(text) != self.sha:
                return self._fail("refused", "bad_hash")
            try:
                self._manifest(text)
            except ProtocolError as e:
                self._fail("refused", e.code)
            return
        path = self._part_path()
        if file_hash(path, self.buf) != self.files[self.part - 1][2]:
            _remove(path)
            return self._fail("refused", "bad_hash")
        os.rename(path, path[:-5])
        self._next_part(self.part + 1)

    def _manifest(self, text):
        man = parse(text, self.key)
        if man.build != self.build:
            raise ProtocolError("bad_manifest", "build")
        if man.role != self.role or man.link != self.link:
            raise ProtocolError("wrong_role", man.role + "/" + man.link)
        room = _room()
        if room >= 0 and room < man.total() + ROOM:
            raise ProtocolError("no_space", str(room))
        if _size(MANIFEST) != len(text):
            try:
                os.mkdir(NEW)
            except OSError:
                pass
            _write(MANIFEST, text)
        self.files, self.confirm_s = man.files, man.confirm_s
        self._next_part(1)

    def _next_part(self, part):
        """Part `part` and on: skip what is on the flash already (finished before a reset,
        or the same file in the running build), resume a file cut short."""
        files = self.files
        while part <= len(files):
            path, size, sha = files[part - 1]
            staged = _staged(path)
            if _size(staged) == size and file_hash(staged, self.buf) == sha:
                part += 1
                continue
            _remove(staged)
            have = _size(staged + ".part")
            if 0 <= have < size:
                self.part, self.offset, self.asked = part, have, None
                return
            _remove(staged + ".part")
            if _size(path) == size and file_hash(path, self.buf) == sha:
                self._copy(path, staged)
                part += 1
                continue
            self.part, self.offset, self.asked = part, 0, None
            return
        self._whole()

    def _copy(self, src, dst):
        with open(src, "rb") as i, open(dst + ".tmp", "wb") as o:
            while True:
                n = i.readinto(self.buf)
                if not n:
                    break
                o.write(self.buf[:n])
        os.rename(dst + ".tmp", dst)

    def _whole(self):
        """Every file checked: the build is whole (its MANIFEST, the last file, is in place;
        the manifest stands for it if a build had none), then the swap is the boot's."""
        if _size(MARKER) < 0:
            with open(MANIFEST, "rb") as f:
                _write(MARKER, f.read())
        st = self.st
        self.st = {"build": self.build, "state": "swap", "prev": st["build"], "boots": 0,
                   "confirm": self.confirm_s}
        write_state(self.st)
        _remove(MANIFEST)
        self.part = -1
        self._report(self.build, "ready", "-")
        self.reset_at = self.hal.now() + RESET_MS

    def _fail(self, state, detail):
        st = self.st
        st["failed"] = [self.build, state, detail]
        write_state(st)
        self._report(self.build, state, detail)
        _remove(MANIFEST)
        remove_tree(NEW)
        self.build, self.files, self.asked, self.part = 0, [], None, -1

    def _progress(self):
        files = self.files
        done, total = self.offset, 0
        for i in range(len(files)):
            total += files[i][1]
            if i < self.part - 1:
                done += files[i][1]
        return "%d%%" % (100 * done // max(1, total)) if files else "0%"

    # -- time ------------------------------------------------------------------------------------
    def tick(self, now, online):
        try:
            self._tick(now, online)
        except OSError:
            if self.build:
                self._fail("refused", "flash_error")

    def _tick(self, now, online):
        if self.reset_at and now >= self.reset_at:
            self.hal.reset()  # fw_swap.py swaps at boot
            return
        if self.st["state"] == "trial":
            self._confirm(now, online)
        if self.build and self.part >= 0 and online and now >= self.due and \
                (self.part == 0 or self.files):
            if self.asked is not None:  # unanswered
                self.silent += 1
                if self.silent > GIVE_UP:  # the bridge stopped serving it: wait for an offer
                    self.build, self.asked, self.silent = 0, None, 0
                    return
            else:
                self.silent = 0
            seq = self.dev.seq.next()
            self.asked = (seq, self.part, self.offset)
            self.due = now + FETCH_MS
            self.dev.send_now(Message("fetch", self.dev.device, self.dev.pending.boot, seq,
                                      (str(self.build), str(self.part), str(self.offset))))

    def _confirm(self, now, online):
        """Online, the bridge heard (a show came), and `confirm` seconds of running: the trial
        build is kept for good."""
        dev = self.dev
        if not online or dev.silent or dev.shown == 0 or \
                now - dev.start < 1000 * self.st.get("confirm", 0):
            return
        st = self.st
        self.st = {"build": st["build"], "state": "ok"}
        write_state(self.st)
        remove_tree(OLD)
        self._report(st["build"], "confirmed", "-")

    def _report(self, build, state, detail):
        dev = self.dev
        dev.send_now(Message("report", dev.device, dev.pending.boot, dev.seq.next(),
                             (str(self.running), str(build), state, detail)))
