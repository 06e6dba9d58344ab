"""A network printer and a bridge that prints, for the printed-ticket tests (test_ticket_printing,
test_printed_wait_window)."""
from __future__ import annotations

import dataclasses
import socket
import threading

import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from host_bridge.site_config import PrinterSettings


class FakeJetDirect:
    """A socket that keeps what it is sent, as a network printer would print it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                job = b""
                while data := conn.recv(65536):
                    job += data
                self.jobs.append(job)

    def close(self) -> None:
        self.server.close()



@pytest.fixture
def printer_bridge(settings, clock):
    """start(url) -> (a client, the bridge) printing to `url`; closed after the test."""
    made = []

    def start(url: str):
        b = build(dataclasses.replace(settings, printer=PrinterSettings(url, "Bonne journée")),
                  clock)
        made.append(b)
        return TestClient(b.app), b
    yield start
    for b in made:
        b.close()
