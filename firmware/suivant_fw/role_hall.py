"""The hall display: the latest calls, newest first, on a MAX7219 chain (roles.py)."""
from suivant_fw.device import Device
from suivant_fw.roles import MAX_LINES, pins


class HallDisplay(Device):
    role = "hall"

    def __init__(self, cfg, boot, rand, now=0, **kw):
        display = pins(cfg).get("display") or {}
        self.max_lines = (display.get("chain") or {}).get("lines", MAX_LINES)
        super().__init__(cfg, boot, rand, now, **kw)

    def _on_show(self, msg, now):
        self.view.set("lines", tuple(msg.fields[2:2 + self.max_lines]))
        blink = int(msg.fields[1])
        if blink:
            self.view.set("blink_until", now + 1000 * blink)
