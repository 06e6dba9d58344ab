"""The board's updater (suivant_fw/ota.py) on its own, under CPython with a folder as the flash:
what it takes and refuses line by line. End to end, on MicroPython, with the bridge:
tests/integration/test_ota_unix.py."""
from __future__ import annotations

import base64
import json

import pytest

from simulators.boards import board_config
from suivant_fw import ota
from suivant_fw.message import Message
from suivant_fw.ota_manifest import hexdigest, make
from suivant_fw.roles import for_config

KEY = bytes(range(32))
APP = b"print('new app')\n" * 20  # 360 bytes: four chunks


class Hal:
    def __init__(self):
        self.t = 0
        self.resets = 0

    def now(self):
        return self.t

    def reset(self):
        self.resets += 1


@pytest.fixture
def board(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the flash
    (tmp_path / "suivant_fw").mkdir()
    (tmp_path / "suivant_fw" / "app.mpy").write_bytes(b"old app")
    cfg = board_config("term-3", "counter", KEY, "site", 3, broker=("127.0.0.1", 1883, "pw"))
    dev = for_config(cfg, "0a1b2c3d", lambda: 0.5, 0)
    dev.link_up(0)
    dev.take_outbox()
    hal = Hal()
    return dev, hal, ota.Updater(dev, KEY, hal, "counter", "mqtt")


def offer(up, build, text):
    up.receive(Message("update", "term-3", "-", build, (str(len(text)), hexdigest(text))), 0)


def sent(dev, kind):
    return [m for m in dev.take_outbox() if m.kind == kind]


def answer(dev, up, fetch, data, boot="0a1b2c3d"):
    build, part, offset = fetch.fields
    up.receive(Message("chunk", "term-3", boot, fetch.seq,
                       (build, part, offset, base64.b64encode(data).decode())), 0)


def serve(dev, hal, up, parts, steps=200):
    """Answer every fetch the updater makes from `parts` (part -> bytes), as the bridge does,
    until it resets or gives the build up; the fields of the reports it sent meanwhile."""
    reports = []
    for _ in range(steps):
        hal.t += 20
        up.tick(hal.t, True)
        for m in dev.take_outbox():
            if m.kind == "fetch":
                part, offset = int(m.fields[1]), int(m.fields[2])
                answer(dev, up, m, parts[part][offset:offset + 96])
            else:
                reports.append(m)
        if hal.resets or up.build == 0:
            break
    reports += dev.take_outbox()  # what the last answer made
    return [m.fields for m in reports if m.kind == "report"]


def test_a_build_is_fetched_checked_and_staged_then_the_board_resets(board):
    dev, hal, up = board
    manifest = make(KEY, 5, "v5", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    assert [m.fields for m in sent(dev, "report")] == [("0", "5", "loading", "0%")]
    assert serve(dev, hal, up, {0: manifest, 1: APP}) == [("0", "5", "ready", "-")]
    assert hal.resets == 1
    assert open("suivant_fw.new/app.mpy", "rb").read() == APP
    assert open("suivant_fw.new/MANIFEST", "rb").read() == manifest  # the mark, last
    assert json.load(open("ota.json")) == {"build": 5, "state": "swap", "prev": 0, "boots": 0,
                                           "confirm": 60}


def test_chunks_that_answer_no_fetch_in_flight_are_ignored_and_counted(board):
    dev, hal, up = board
    manifest = make(KEY, 5, "v5", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    hal.t = 20
    up.tick(20, True)
    [fetch] = sent(dev, "fetch")
    answer(dev, up, fetch, manifest[:96], boot="ffffffff")  # another boot's
    stale = Message("chunk", "term-3", "0a1b2c3d", fetch.seq + 1, fetch.fields + ("AAAA",))
    up.receive(stale, 0)  # a seq not in flight
    wrong = Message("chunk", "term-3", "0a1b2c3d", fetch.seq, ("5", "0", "96", "AAAA"))
    up.receive(wrong, 0)  # another offset
    answer(dev, up, fetch, manifest[:97][:96] + b"x" * 5)  # more than 96 bytes
    up.receive(Message("chunk", "term-3", "0a1b2c3d", fetch.seq, fetch.fields + ("!!",)), 0)
    assert up.errors == 5 and up.offset == 0
    answer(dev, up, fetch, manifest[:96])
    assert up.offset == 96


def test_an_unanswered_fetch_is_sent_again_then_the_download_waits_for_an_offer(board):
    dev, hal, up = board
    manifest = make(KEY, 5, "v5", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    fetches = []
    for _ in range(25):
        hal.t += ota.FETCH_MS
        up.tick(hal.t, True)
        fetches += sent(dev, "fetch")
    assert len(fetches) == ota.GIVE_UP + 1
    assert len({f.seq for f in fetches}) == len(fetches)  # each a new seq
    assert up.build == 0  # given up: a new offer starts again (or resumes)
    offer(up, 5, manifest)
    assert up.build == 5


@pytest.mark.parametrize(("role", "link", "detail"), [("hall", "mqtt", "wrong_role"),
                                                      ("counter", "serial", "wrong_role")])
def test_a_build_for_another_role_or_link_is_refused(board, role, link, detail):
    dev, hal, up = board
    manifest = make(KEY, 5, "v5", role, link, 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    sent(dev, "report")
    assert serve(dev, hal, up, {0: manifest, 1: APP}) == [("0", "5", "refused", detail)]
    assert hal.resets == 0
    assert json.load(open("ota.json"))["failed"] == [5, "refused", detail]
    offer(up, 5, manifest)  # offered again: the same answer, nothing fetched
    assert [m.fields for m in sent(dev, "report")] == [("0", "5", "refused", detail)]
    hal.t += 20
    up.tick(hal.t, True)
    assert sent(dev, "fetch") == []


def test_a_manifest_that_does_not_match_the_offer_is_refused(board):
    dev, hal, up = board
    manifest = make(KEY, 5, "v5", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    other = make(KEY, 5, "v5", "counter", "mqtt", 61, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    sent(dev, "report")
    assert serve(dev, hal, up, {0: other[:len(manifest)]}) == [("0", "5", "refused", "bad_hash")]


def test_a_downgrade_is_refused_and_the_running_build_is_confirmed_to_its_offer(board):
    dev, hal, up = board
    open("ota.json", "w").write(json.dumps({"build": 7, "state": "ok"}))
    up = ota.Updater(dev, KEY, hal, "counter", "mqtt")
    manifest = make(KEY, 6, "v6", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 6, manifest)
    offer(up, 7, manifest)
    assert [m.fields for m in sent(dev, "report")] == [("7", "6", "refused", "downgrade"),
                                                       ("7", "7", "confirmed", "-")]


def test_a_file_the_board_runs_already_is_copied_not_fetched(board):
    dev, hal, up = board
    open("suivant_fw/app.mpy", "wb").write(APP)
    manifest = make(KEY, 5, "v5", "counter", "mqtt", 60, [("suivant_fw/app.mpy", APP)])
    offer(up, 5, manifest)
    assert [m.fields for m in sent(dev, "report")] == [("0", "5", "loading", "0%")]
    # the manifest only is served: fetching the file would fail (no part 1 to answer from)
    assert serve(dev, hal, up, {0: manifest}) == [("0", "5", "ready", "-")]
    assert hal.resets == 1
    assert open("suivant_fw.new/app.mpy", "rb").read() == APP


def test_a_trial_build_confirms_itself_once_online_heard_and_long_enough(board):
    dev, hal, up = board
    import os
    os.mkdir("suivant_fw.old")
    open("suivant_fw.old/app.mpy", "wb").write(b"old")
    open("ota.json", "w").write(json.dumps({"build": 5, "state": "trial", "prev": 4,
                                            "boots": 1, "confirm": 60}))
    up = ota.Updater(dev, KEY, hal, "counter", "mqtt")
    up.tick(61000, True)  # no show heard yet
    assert json.load(open("ota.json"))["state"] == "trial"
    dev.receive(Message("show", "term-3", "-", 3, ("0", "0", "----")), 0)
    up.tick(30000, True)  # not long enough
    up.tick(61000, False)  # offline
    assert json.load(open("ota.json"))["state"] == "trial"
    up.tick(61000, True)
    assert json.load(open("ota.json")) == {"build": 5, "state": "ok"}
    assert not os.path.exists("suivant_fw.old")
    assert [m.fields for m in sent(dev, "report")] == [("5", "5", "confirmed", "-")]
