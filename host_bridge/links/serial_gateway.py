"""The serial links (protocol.md §6): boards on USB cables or on an RS-485 bus, via pyserial.

    links = SerialLinks(gateway, registry, settings.serial_ports)
    links.start()     # one thread per port; a port that is missing is retried every second
    links.stop()

Per port, in its own thread (pyserial blocks):
- frames are read through suivant_fw.frame.FrameReader (CRC, resync after noise) and their
  line handed to DeviceGateway.handle_line, with the device the (port, address) is
  registered for as the expected sender;
- acks and shows for the port's devices wait in a bounded queue per device (the oldest show
  is dropped first: only the newest matters) and are written as frames;
- every device of the port hears from the bridge at least every POLL_S (a `poll` when nothing
  else went to it): that is its keepalive (§6.1). On an RS-485 bus the bridge is the master:
  it takes the addresses in turn, writes what it has for the device, polls it, and listens for
  its answer until ANSWER_S;
- a device not heard for SILENCE_S is marked offline;
- a port that fails (unplugged, EIO) is closed and reopened every second; when it is back,
  every device on it gets its current show again.
`port` may be any pyserial URL (loop://, rfc2217://) as well as a device path.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import serial

from suivant_fw.frame import FrameReader, encode_frame
from suivant_fw.message import Message, encode

from ..site_config import SerialPortSettings
from .device_gateway import DeviceGateway
from .registry import Device, DeviceRegistry

log = logging.getLogger(__name__)
_LINK = {"event": "link_error"}  # the line's field: journalctl | grep event=link_error
POLL_S = 1.0  # at most every 2 s per protocol.md §6.1: twice as often, for margin
ANSWER_S = 0.05  # a bus device answers a poll within this (its loop runs every 10 ms)
SILENCE_S = 6.0
REOPEN_S = 1.0
READ_S = 0.01
QUEUE = 8  # frames waiting per device


class SerialPortLink:
    def __init__(self, gateway: DeviceGateway, registry: DeviceRegistry,
                 settings: SerialPortSettings,
                 opener: Callable[..., Any] = serial.serial_for_url):
        self.gateway, self.registry, self.settings = gateway, registry, settings
        self.opener = opener
        self.frames = FrameReader()
        self.port: Any = None
        self.opens = 0
        self.failures = 0
        self._queues: dict[str, deque[bytes]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_poll: dict[str, float] = {}
        self._answered = threading.Event()

    def devices(self) -> list[Device]:
        return [d for d in self.registry.all() if d.link == "serial"
                and d.serial_port == self.settings.port]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"serial {self.settings.port}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._close()

    def send(self, device: Device, channel: str, line: bytes) -> None:
        frame = encode_frame(device.serial_address or 0, line)
        port = self.port
        if not self.settings.rs485 and port is not None:  # point to point: no turn to wait for
            try:
                with self._lock:
                    port.write(frame)
                self._last_poll[device.id] = time.monotonic()
                return
            except (serial.SerialException, OSError):
                pass  # the port's thread notices and reopens; keep the frame for then
        with self._lock:
            q = self._queues.setdefault(device.id, deque())
            if len(q) >= QUEUE:
                q.popleft()
            q.append(frame)

    # -- the port's thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            if self.port is None and not self._open():
                self._stop.wait(REOPEN_S)
                continue
            try:
                if self.settings.rs485:
                    self._bus_round()
                else:
                    self._point_to_point_turn()
                self._mark_silent()
            except (serial.SerialException, OSError, ValueError) as exc:  # ValueError: pyserial
                self.failures += 1                                         # reconfiguring
                log.warning("serial %s failed (%s); reopening", self.settings.port, exc,
                            extra=_LINK)
                self._close()

    def _open(self) -> bool:
        try:
            self.port = self.opener(self.settings.port, baudrate=self.settings.baud,
                                    timeout=READ_S, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            if self.opens == 0 and self.failures == 0:
                log.warning("serial %s cannot be opened (%s); retrying every %s s",
                            self.settings.port, exc, REOPEN_S, extra=_LINK)
            self.failures += 1
            return False
        if self.settings.rs485:
            self._rs485_mode()
        self.opens += 1
        self.frames.reset()
        log.info("serial %s open (%s baud%s)", self.settings.port, self.settings.baud,
                 ", RS-485 bus" if self.settings.rs485 else "")
        if self.opens > 1:  # back after a failure: everything it shows may be stale
            self.gateway.send_all_shows("serial")
        return True

    def _rs485_mode(self) -> None:
        """The kernel drives the transceiver's direction (RTS) where the driver can (Linux
        TIOCSRS485); USB adapters that switch by themselves, and ptys, cannot: that is fine."""
        try:
            from serial.rs485 import RS485Settings
            self.port.rs485_mode = RS485Settings()
            self.port.timeout = self.port.timeout  # applied at the next reconfigure: try it now
        except (AttributeError, ValueError, OSError, serial.SerialException) as exc:
            try:
                self.port.rs485_mode = None
            except (AttributeError, ValueError, OSError, serial.SerialException):
                pass
            log.debug("serial %s: no kernel RS-485 mode (%s); the adapter drives direction",
                      self.settings.port, exc)

    def _close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except (serial.SerialException, OSError):
                pass
        self.port = None

    def _point_to_point_turn(self) -> None:
        self._read(READ_S)
        now = time.monotonic()
        for dev in self.devices():
            out = self._take(dev.id)
            if not out and now - self._last_poll.get(dev.id, 0) >= POLL_S:
                out = [self._poll_frame(dev)]
            if out:
                self._last_poll[dev.id] = now
                with self._lock:
                    self.port.write(b"".join(out))

    def _bus_round(self) -> None:
        for dev in self.devices():
            out = self._take(dev.id)
            self.port.write(b"".join(out) + self._poll_frame(dev))
            self._answered.clear()
            deadline = time.monotonic() + ANSWER_S
            while not self._answered.is_set() and time.monotonic() < deadline:
                self._read(max(0.001, deadline - time.monotonic()))
        if not self.devices():
            self._read(READ_S)

    def _read(self, timeout: float) -> None:
        self.port.timeout = timeout
        data = self.port.read(max(1, self.port.in_waiting))
        if not data:
            return
        devices = self.devices()
        owners = {d.serial_address or 0: d.id for d in devices}
        before = self._frame_errors()
        frames = self.frames.feed(data)
        self._count_frame_errors(before, devices)
        for addr, line in frames:
            self._answered.set()
            owner = owners.get(addr)
            if owner is None:
                self.gateway.rejected["unknown_address"] += 1
                continue
            self.gateway.handle_line(line, self.settings.port, owner)

    def _frame_errors(self) -> tuple[int, int, int]:
        f = self.frames
        return f.crc_errors, f.bad_frames, f.overflows

    def _count_frame_errors(self, before: tuple[int, int, int], devices: list[Device]) -> None:
        """Damaged frames count as refused lines: against the port's device on a point-to-
        point link (it can only be its), for the port alone on a bus (the address may be
        the damaged part)."""
        after = self._frame_errors()
        owner = devices[0].id if len(devices) == 1 and not devices[0].serial_address else "-"
        for reason, old, new in zip(("bad_crc", "bad_frame", "too_long"), before, after):
            for _ in range(new - old):
                self.gateway.reject(owner, reason, self.settings.port)

    def stats(self) -> dict[str, int]:
        f = self.frames
        return {"frames": f.frames, "crc_errors": f.crc_errors, "bad_frames": f.bad_frames,
                "too_long": f.overflows, "noise_bytes": f.noise_bytes, "opens": self.opens,
                "failures": self.failures}

    def _take(self, device_id: str) -> list[bytes]:
        with self._lock:
            q = self._queues.get(device_id)
            if not q:
                return []
            out = list(q)
            q.clear()
            return out

    def _poll_frame(self, dev: Device) -> bytes:
        return encode_frame(dev.serial_address or 0,
                            encode(Message("poll", dev.id, "-", 0), dev.key))

    def _mark_silent(self) -> None:
        limit = time.time() - SILENCE_S
        for dev in self.devices():
            health = self.registry.health.get(dev.id)
            if health is not None and health.online and health.last_seen is not None \
                    and health.last_seen.timestamp() < limit:
                self.gateway.presence(dev.id, False, self.settings.port)


class SerialLinks:
    """Every [[serial]] port of the site, as one link for the gateway."""

    def __init__(self, gateway: DeviceGateway, registry: DeviceRegistry,
                 ports: tuple[SerialPortSettings, ...],
                 opener: Callable[..., Any] = serial.serial_for_url):
        self.ports = {p.port: SerialPortLink(gateway, registry, p, opener) for p in ports}
        gateway.attach("serial", self)

    def send(self, device: Device, channel: str, line: bytes) -> None:
        link = self.ports.get(device.serial_port or "")
        if link is None:
            log.warning("%s is on serial port %s, which the site does not list", device.id,
                        device.serial_port)
            return
        link.send(device, channel, line)

    def start(self) -> None:
        for link in self.ports.values():
            link.start()

    def stats(self) -> dict[str, dict[str, int]]:
        """Each port's frame counters, for GET /api/devices."""
        return {port: link.stats() for port, link in self.ports.items()}

    def stop(self) -> None:
        for link in self.ports.values():
            link.stop()

