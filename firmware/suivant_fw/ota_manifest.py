"""§9 the manifest of a firmware build: what a board checks before it installs anything.

    text = make(key, build, version, role, link, confirm_s, files)  # files: [(path, data)]
    m = parse(text, key)     # Manifest, or ProtocolError("bad_manifest" | "bad_mac")

One manifest per device and build (it is signed with that device's key): ASCII lines, in
this order, at most MANIFEST_MAX bytes:

    SVM1
    build 7
    version 0.1.0+1a2b3c4d
    role counter
    link mqtt
    confirm 300
    file suivant_fw/app.mpy 4210 <sha256 of the file, 64 lowercase hex>
    ...                                      (1 to FILES_MAX files)
    mac <HMAC-SHA256(key, every byte above), 64 lowercase hex>

The bridge writes it (host_bridge/ota/); the board parses it (ota.py) and keeps it on its
flash while it downloads, so a board that loses power resumes after checking its MAC again.
"""
import binascii
import hashlib

from suivant_fw import ProtocolError
from suivant_fw.mac import equal, hmac_sha256
from suivant_fw.message import _is_hex, _uint  # the codec's number and hex rules (§1)

try:
    from micropython import const
except ImportError:  # CPython: the bridge imports this module too
    def const(x):  # type: ignore[misc]  # the stub's const is generic; this one is Any -> Any
        return x

MAGIC = "SVM1"
MANIFEST_MAX = const(4096)
FILES_MAX = const(40)
FILE_MAX = const(131072)  # bytes per file
PACKAGE = "suivant_fw/"
_HEADS = ("build", "version", "role", "link", "confirm")


class Manifest:
    def __init__(self, build, version, role, link, confirm_s, files):
        self.build = build
        self.version = version
        self.role = role
        self.link = link
        self.confirm_s = confirm_s
        self.files = files  # [(path, size, sha256 hex)], in the manifest's order

    def total(self):
        n = 0
        for f in self.files:
            n += f[1]
        return n


def hexdigest(data):
    return str(binascii.hexlify(hashlib.sha256(data).digest()), "ascii")


def _name_ok(path):
    if not path.startswith(PACKAGE):
        return False
    name = path[len(PACKAGE):]
    if name == "MANIFEST":  # the build's own list, shipped last: the mark of a whole build
        return True
    dot = name.find(".")
    if dot < 1 or dot > 24 or name[dot:] not in (".mpy", ".py"):
        return False
    for c in name[:dot]:
        if not ("a" <= c <= "z" or "0" <= c <= "9" or c == "_"):
            return False
    return True


def _text_ok(s):
    if not 1 <= len(s) <= 40:
        return False
    for c in s:
        if not "!" <= c <= "~":
            return False
    return True


def make(key, build, version, role, link, confirm_s, files):
    """The manifest's bytes. files: [(path, data)]; ValueError if anything breaks a rule."""
    lines = [MAGIC, "build %d" % build, "version " + version, "role " + role, "link " + link,
             "confirm %d" % confirm_s]
    for path, data in files:
        lines.append("file %s %d %s" % (path, len(data), hexdigest(data)))
    body = ("\n".join(lines) + "\n").encode("ascii")
    text = body + b"mac " + binascii.hexlify(hmac_sha256(key, body)) + b"\n"
    parse(text, key)  # what the board would refuse is refused here first
    return text


def parse(text, key):
    """Manifest from its bytes: its MAC checked before anything in it is believed."""
    if len(text) > MANIFEST_MAX:
        raise ProtocolError("bad_manifest", "over %d bytes" % MANIFEST_MAX)
    cut = text.rfind(b"mac ")
    if cut < 0 or (cut > 0 and text[cut - 1] != 0x0A) or len(text) != cut + 69 \
            or text[-1] != 0x0A:
        raise ProtocolError("bad_manifest", "no mac line at the end")
    body = text[:cut]
    mac = text[cut + 4:cut + 68]
    if not equal(binascii.hexlify(hmac_sha256(key, body)), mac):
        raise ProtocolError("bad_mac", "manifest")
    try:
        lines = str(body, "ascii").split("\n")[:-1]
    except UnicodeError:
        raise ProtocolError("bad_manifest", "not ASCII")
    if len(lines) < 7 or lines[0] != MAGIC:
        raise ProtocolError("bad_manifest", "header")
    heads = []
    for i in range(5):
        parts = lines[1 + i].split(" ")
        if len(parts) != 2 or parts[0] != _HEADS[i] or not _text_ok(parts[1]):
            raise ProtocolError("bad_manifest", "line %d" % (i + 2))
        heads.append(parts[1])
    build, confirm_s = _uint(heads[0]), _uint(heads[4])
    if build < 1 or confirm_s < 0:
        raise ProtocolError("bad_manifest", "build or confirm")
    files = []  # type: list
    for line in lines[6:]:
        parts = line.split(" ")
        if len(parts) != 4 or parts[0] != "file" or not _name_ok(parts[1]):
            raise ProtocolError("bad_manifest", "file line")
        size, sha = _uint(parts[2]), parts[3]
        if not 0 < size <= FILE_MAX or not _is_hex(sha, 64):
            raise ProtocolError("bad_manifest", "file size or hash")
        for f in files:
            if f[0] == parts[1]:
                raise ProtocolError("bad_manifest", "file listed twice")
        files.append((parts[1], size, sha))
    if not 1 <= len(files) <= FILES_MAX:
        raise ProtocolError("bad_manifest", "1 to %d files" % FILES_MAX)
    return Manifest(build, heads[1], heads[2], heads[3], confirm_s, files)
