"""A board behind a broken ACL notices (issue 10): Mosquitto 2 grants, under MQTT 3.1.1, a
subscription its ACL denies (SUBACK 0x00, then delivers nothing), so a board whose account may
not read its `show` and `down` would sit on « Conn » for ever, pressing into the void. The
bridge answers every hello; the board that hears nothing for 20 s shows noBr and says hello
again — and a board with a correct account beside it is not fooled."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from host_bridge.links.mosquitto_config import write_broker_config
from host_bridge.site_config import MqttSettings
from link_rig import LinkRig
from mosquitto_broker import MosquittoBroker
from suivant_fw.device import ANSWER_MS
from suivant_fw.segments import NO_BRIDGE

BRIDGE_USER, BRIDGE_PASSWORD = "suivant-bridge", "bridge-secret-2"


def test_a_board_whose_acl_drops_what_it_reads_shows_nobr_and_keeps_saying_hello(
        settings, clock, tmp_path: Path):
    rig = LinkRig(settings, clock, tmp_path)
    for device_id, role, counter in (("term-3", "counter", 3), ("disp-3", "display", 3)):
        rig.register(device_id, role, counter)
    files = write_broker_config(tmp_path / "broker", settings.site.id, rig._registry.all(),
                                BRIDGE_USER, BRIDGE_PASSWORD)
    acl = files.acl.read_text()
    broken = "\n".join(line for line in acl.splitlines()  # a hand edit gone wrong
                       if not (line.startswith("topic read") and "/term-3/" in line))
    assert broken != acl
    broker = MosquittoBroker(
        extra="allow_anonymous false\npassword_file {folder}/passwd\nacl_file {folder}/acl\n",
        files={"passwd": files.passwd.read_text(), "acl": broken + "\n"})
    broker.start()
    rig.broker = broker
    rig.settings = dataclasses.replace(rig.settings, mqtt=MqttSettings(
        host="127.0.0.1", port=broker.port, embedded=False, username=BRIDGE_USER,
        password=BRIDGE_PASSWORD, client_id=BRIDGE_USER))
    try:
        rig.start_bridge()
        term = rig.board_for(rig.registry.get("term-3"))
        disp = rig.board_for(rig.registry.get("disp-3"))
        rig.farm.wait(lambda: term.dev.link == 2 and disp.dev.line1 is not None, timeout=15,
                      what="both connected; the display got its answer")
        rig.farm.wait(lambda: term.dev.view.glyphs == NO_BRIDGE,
                      timeout=ANSWER_MS / 1000 + 10, what="noBr on the terminal")
        assert rig.farm.call(lambda: term.dev.errors) >= 1
        assert rig.farm.call(lambda: term.dev.view.led) == "offline"  # red, not green
        assert rig.farm.call(lambda: disp.dev.view.glyphs) == disp.dev.line1  # not fooled
        assert rig.registry.health["term-3"].online  # the bridge hears it: its hello arrives
    finally:
        rig.stop()
        broker.stop()
