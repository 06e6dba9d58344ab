"""A push service on loopback, as browsers' vendors run them (RFC 8030), for the tests.

It takes the bridge's POSTs to a subscription's endpoint, checks the VAPID Authorization
(RFC 8292: a JWT signed ES256 by the site's key, `aud` the endpoint's origin, not expired) and
decrypts the body (RFC 8291 aes128gcm) with the subscription's private key and auth secret,
made here as a browser makes them. What each endpoint answers is set per test: a status
sequence (500 then 201...), or a hang until released.
"""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscription's keys, as the browser keeps them."""
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        raw = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(raw), "auth": b64url(self.auth)}}


@dataclass
class Received:
    path: str
    message: dict  # the decrypted JSON
    headers: dict
    claims: dict


class PushService:
    def __init__(self, site_key: str):
        self.site_key = site_key  # the bridge's VAPID public key, base64url
        self.browsers: dict[str, Browser] = {}
        self.answers: dict[str, list[int]] = {}  # path -> statuses still to answer, then 201
        self.hang = threading.Event()  # set: requests to /hang/... wait until released
        self.release = threading.Event()
        self.received: list[Received] = []
        self.attempts: dict[str, int] = {}
        self.refusals: list[str] = []  # what the service refused, and why
        self._arrived = threading.Condition()
        handler = type("Handler", (_Handler,), {"service": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "PushService":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def browser(self, path: str) -> Browser:
        browser = self.browsers[path] = Browser(f"{self.url}{path}")
        return browser

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.received) >= count, timeout), \
                f"{len(self.received)} pushes received, expected {count}; refused: {self.refusals}"
            return list(self.received)

    def wait_attempts(self, path: str, count: int, timeout: float = 10.0) -> None:
        with self._arrived:
            assert self._arrived.wait_for(lambda: self.attempts.get(path, 0) >= count, timeout), \
                f"{self.attempts.get(path, 0)} attempts at {path}, expected {count}"

    # ----- in the server's threads ------------------------------------------------------
    def handle(self, path: str, headers: dict, body: bytes) -> int:
        with self._arrived:
            self.attempts[path] = self.attempts.get(path, 0) + 1
            self._arrived.notify_all()
        if path.startswith("/hang"):
            self.release.wait(30)
            return 201
        browser = self.browsers.get(path)
        if browser is None:
            return 404
        try:
            claims = self._check_vapid(headers.get("authorization", ""), path)
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"content-encoding {headers.get('content-encoding')!r}")
            if not headers.get("ttl", "").isdigit():
                raise ValueError("no TTL header")
            plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth,
                                     version="aes128gcm")
        except Exception as exc:  # noqa: BLE001 - the test reads why
            self.refusals.append(f"{path}: {exc}")
            return 400
        statuses = self.answers.get(path)
        status = statuses.pop(0) if statuses else 201
        if status == 201:
            with self._arrived:
                self.received.append(Received(path, json.loads(plain), headers, claims))
                self._arrived.notify_all()
        return status

    def _check_vapid(self, authorization: str, path: str) -> dict:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"Authorization scheme {scheme!r}, expected vapid")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        if parts.get("k") != self.site_key:
            raise ValueError("k is not the site's public key")
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(unb64url(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg {header.get('alg')!r}")
        signature = unb64url(signature_b64)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        key.verify(encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                        int.from_bytes(signature[32:], "big")),
                   f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(unb64url(claims_b64))
        if claims.get("aud") != self.url:
            raise ValueError(f"aud {claims.get('aud')!r}, expected {self.url}")
        if not time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600:
            raise ValueError("exp not within the next 24 h")
        return claims


class _Handler(BaseHTTPRequestHandler):
    service: PushService

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(min(length, 8192))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = self.service.handle(self.path, headers, body)
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass
