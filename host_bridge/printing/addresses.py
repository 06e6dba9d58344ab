"""Printer addresses in the site config: tcp://HOST[:PORT], usb:VVVV:PPPP (hex vendor and
product ids), file:/dev/usb/lp0. Apart from the printing itself, so checking a config does not
load the printer libraries."""
from __future__ import annotations

import re

TCP = re.compile(r"^tcp://([A-Za-z0-9.-]+)(?::(\d{1,5}))?$")
USB = re.compile(r"^usb:([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")
FILE = re.compile(r"^file:(/\S+)$")


def valid_url(url: str) -> bool:
    m = TCP.match(url)
    if m:
        return m.group(2) is None or 0 < int(m.group(2)) < 65536
    return bool(USB.match(url) or FILE.match(url))
