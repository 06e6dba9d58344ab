"""NATS on TLS only (`nats-config --tls-cert --tls-key`): the sites' passwords cross the WAN.
A site and central on tls:// with the network's CA work; a plain connection is refused."""
from __future__ import annotations

import json
import socket

import httpx

from network_rig import Network
from pki import make_pki
from simulators.bridge_process import BridgeProcess
from support import AGENT


def test_sites_and_central_over_tls_and_nothing_in_the_clear(tmp_path, pg):
    net = Network(tmp_path, pg, ["mairie-a"], pki=make_pki(tmp_path / "pki"))
    bridge = BridgeProcess(net.site_file("mairie-a"), tmp_path / "mairie-a" / "queue.db")
    try:
        net.central()
        bridge.start()
        httpx.post(f"{bridge.url}/api/counters/1/open", headers=AGENT).raise_for_status()
        httpx.post(f"{bridge.url}/api/tickets", json={"service": "accueil"}).raise_for_status()
        last = httpx.get(f"{bridge.url}/api/health").json()["last_seq"]
        net.wait_caught_up("mairie-a", last)
        # a client that sends its password in the clear is never listened to: the server
        # says TLS is required before anything, and drops a plain CONNECT
        with socket.create_connection(("127.0.0.1", net.nats.port), 5) as raw:
            info = json.loads(raw.recv(4096).decode().removeprefix("INFO ").strip())
            assert info["tls_required"] is True
            raw.sendall(b'CONNECT {"user":"site-mairie-a","pass":"x","verbose":true}\r\nPING\r\n')
            raw.settimeout(5)
            answer = b""
            try:
                while chunk := raw.recv(4096):
                    answer += chunk
            except (ConnectionError, socket.timeout):
                pass
            assert b"PONG" not in answer and b"+OK" not in answer
    finally:
        bridge.stop()
        net.close()
