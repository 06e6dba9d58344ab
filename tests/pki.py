"""Certificates for TLS tests, made with Debian's openssl command (`make test` installs it).

    pki = make_pki(tmp_path / "pki")   # ca.pem, other-ca.pem, broker.pem/.key, elsewhere.pem/.key
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def make_pki(folder: Path) -> Path:
    """The site's CA, a CA that is not the site's, and two broker certificates signed by the
    site's CA: `broker` for localhost and 127.0.0.1, `elsewhere` for another name only.
    EC P-256 (what a small board verifies fastest), made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("no `openssl` command: install Debian's `openssl` package; the TLS tests "
                    "make their certificates with it", pytrace=False)
    folder.mkdir()

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    for ca in ("ca", "other-ca"):
        run("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "3",
            "-subj", f"/CN=Suivant test {ca}")
    for name, names in (("broker", "DNS:localhost,IP:127.0.0.1"),
                        ("elsewhere", "DNS:elsewhere.example")):
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(f"subjectAltName={names}\nbasicConstraints=CA:FALSE\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "3", "-extfile", f"{name}.ext")
    return folder
