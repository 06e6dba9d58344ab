"""Around the bridge: the kiosk's ticket printer, the server's clock, the last backup."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..printing.addresses import FILE, TCP, USB
from ..site_config import Settings
from .report import Finding, fail, ok, skip, warn

PRINTER_TIMEOUT_S = 1.5
COMMAND_TIMEOUT_S = 2.0
USB_DEVICES = "/sys/bus/usb/devices"


def printer(settings: Settings) -> list[Finding]:
    if settings.printer is None:
        return [skip("printer", "no ticket printer in the site file")]
    url = settings.printer.url
    if m := TCP.match(url):
        host, port = m.group(1), int(m.group(2) or 9100)
        try:
            socket.create_connection((host, port), timeout=PRINTER_TIMEOUT_S).close()
        except OSError as exc:
            return [fail("printer", f"{url} does not answer ({exc.strerror or exc or 'no answer'})",
                         f"check that the printer is switched on, has paper, and its network "
                         f"cable is in; that it still has the address {host} (print its "
                         f"configuration page: hold its feed button at power-on; give it a "
                         f"fixed address)")]
        return [ok("printer", f"{url} answers")]
    if m := USB.match(url):
        if _usb_present(m.group(1).lower(), m.group(2).lower()):
            return [ok("printer", f"{url} is plugged in")]
        return [fail("printer", f"no USB device {m.group(1)}:{m.group(2)} plugged in",
                     "check that the printer is switched on and its USB cable is in (lsusb "
                     "lists what is plugged in)")]
    if m := FILE.match(url):
        path = m.group(1)
        if not os.path.exists(path):
            return [fail("printer", f"{path} does not exist", "check that the printer is "
                         "switched on and plugged in; its device may have another name (ls /dev/usb)")]
        if not os.access(path, os.W_OK):
            return [fail("printer", f"{path} cannot be written by this user",
                         f"add the bridge's user to the device's group (ls -l {path}; usually "
                         f"lp: adduser suivant lp), then restart the bridge")]
        return [ok("printer", f"{path} is there and writable")]
    return [fail("printer", f"{url}: not a printer address", "see [printer] url")]


def _usb_present(vendor: str, product: str) -> bool:
    for dev in list(Path(USB_DEVICES).glob("*"))[:1000]:
        try:
            if ((dev / "idVendor").read_text().strip() == vendor
                    and (dev / "idProduct").read_text().strip() == product):
                return True
        except OSError:
            continue
    return False


def _run(*command: str) -> str | None:
    """The command's output, or None if it is missing, failed or took too long."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def clock(_settings: Settings) -> list[Finding]:
    advice = ("turn on time synchronisation (timedatectl set-ntp true, or install chrony) and "
              "let this server reach an NTP server (UDP port 123): the boards' TLS and the "
              "day's start and end depend on this clock")
    said = _run("timedatectl", "show", "-p", "NTPSynchronized", "--value")
    if said is not None and said.strip() in ("yes", "no"):
        if said.strip() == "yes":
            return [ok("clock", "synchronised (systemd-timesyncd or chrony, says timedatectl)")]
        return [fail("clock", "not synchronised, says timedatectl", advice)]
    said = _run("chronyc", "tracking")
    if said is not None:
        leap = next((line.split(":", 1)[1].strip() for line in said.splitlines()
                     if line.startswith("Leap status")), "")
        if leap and leap != "Not synchronised":
            return [ok("clock", f"synchronised, says chronyc (leap status {leap})")]
        return [fail("clock", "not synchronised, says chronyc", advice)]
    return [warn("clock", "could not tell whether the clock is synchronised (neither "
                 "timedatectl nor chronyc answered)",
                 "check by hand: timedatectl status, or chronyc tracking; compare with a "
                 "phone's time")]


def backup(settings: Settings) -> list[Finding]:
    """The bridge's scheduled backups ([backup]): how the last one went, from the status file
    the bridge and `suivant backup` leave in the backup folder."""
    from ..backup.status import read_status, stamped_ahead
    table: Any = getattr(settings, "backup", None)
    if table is None or not table.enabled:
        return [skip("backup", "scheduled backups are off in the site file ([backup] enabled)")]
    folder = table.folder_for(settings.db_path)
    hours = table.every_hours or 24
    now_one = f"suivant backup --config {settings.source}"
    last = read_status(folder, settings.site.id)
    if last is None:
        return [warn("backup", f"no backup taken yet in {folder}",
                     f"the bridge takes the first 10 minutes after it starts, then "
                     f"{_period(table)}; to take one now: {now_one}")]
    now = datetime.now(timezone.utc)
    if stamped_ahead(last, now):
        return [fail("backup", f"the last backup is dated {last.at}, later than this "
                     f"machine's clock (it was taken while the clock was ahead): its real age "
                     f"is unknown", f"check the clock (timedatectl status); the bridge takes a "
                     f"new one within a quarter of an hour; or take one now: {now_one}")]
    age_h = (now - datetime.fromisoformat(last.at)).total_seconds() / 3600
    if not last.ok:
        return [fail("backup", f"the last backup, {age_h:.0f} h ago, failed: {last.error}",
                     f"check that {folder} has room and that the bridge's user can write "
                     f"there, then take one: {now_one}")]
    if age_h > hours + 2:  # the period, and room for a start's 10-minute catch-up
        return [fail("backup", f"the latest backup is {age_h:.0f} h old (one is due "
                     f"{_period(table)})", f"the bridge takes them while it runs: is it running? "
                     f"Its log says why (journalctl -u suivant | grep backup); take one now: "
                     f"{now_one}")]
    if last.prune_error:
        return [warn("backup", f"the latest, {age_h:.1f} h ago, went well ({last.folder}), but "
                     f"{last.prune_error}", f"the bridge's user must own the copies in {folder} "
                     f"to remove the old ones ([backup] keep = {table.keep}): sudo chown -R "
                     f"suivant: {folder}")]
    return [ok("backup", f"the latest, {age_h:.1f} h ago, went well ({last.folder})")]


def _period(table: Any) -> str:
    if table.every_hours:
        return f"every {table.every_hours} h"
    return f"every day at {table.at.strftime('%H:%M')}"
