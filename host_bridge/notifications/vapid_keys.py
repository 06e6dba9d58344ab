"""The site's VAPID key pair (RFC 8292): made on first start, kept beside the queue's file.

The private key signs every push the site sends; whoever holds it can push to the site's
subscribers, so the file is created owner-only (0600) and never rewritten once there.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid


def key_path(db_path: str) -> Path:
    return Path(f"{db_path}.vapid.pem")


def load_or_create(path: Path) -> Vapid:
    if not path.exists():
        vapid = Vapid()
        vapid.generate_keys()
        try:  # O_EXCL: two starts at once cannot both write; 0600 from the first byte
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return Vapid.from_file(str(path))
        with os.fdopen(fd, "wb") as out:
            out.write(vapid.private_pem())
            out.flush()
            os.fsync(out.fileno())
        return vapid
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # copied around with looser rights: tighten, the key stays
    return Vapid.from_file(str(path))


def public_key(vapid: Vapid) -> str:
    """The applicationServerKey a browser subscribes with: the raw P-256 point, base64url."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
