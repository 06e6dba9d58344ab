"""Reading config.json at boot: without the validator when the file carries its seal.

A sealed config.json is the normalised config that suivant_fw.config validated, plus one key,
`sealed`: the SHA-256 of RULES and of the config in a canonical form (digest() below). The
bridge writes it so (config.sealed), and so does the board after a full validation
(write_sealed, from start.run). At boot the board parses the file and recomputes that hash:

- equal: the file is what a validator of these rules passed; it is used as it is;
- different or missing (a hand edit, a corrupted file, a file sealed under other rules): the
  full validator runs, and refuses the file with its code (C0-C7) as before.

Why: importing the validator costs about 12 KB while loaded and leaves its names behind for
good (MicroPython never frees an interned string), several KB of a 56 KB heap
(docs/performance.md). The seal guards against accidents, not an attacker: whoever can write
config.json can write any firmware too.
"""
import gc
import sys
from binascii import hexlify, unhexlify
from hashlib import sha256

SEAL = "sealed"
# Names the rules of suivant_fw.config. Bump it whenever the normalised config changes shape
# (a key, a default, a rule): a file sealed under the old rules then goes through the new
# validator once (tests/firmware/test_boot.py holds the shape this name stands for).
RULES = "suivant-config-1"
_ONCE = ("config", "pins_default")


def _feed(h, value):
    """The canonical form: the same bytes for the same JSON value on CPython and MicroPython,
    whatever the file's spacing or key order."""
    if isinstance(value, dict):
        h.update(b"{")
        for name in sorted(value):
            _feed(h, name)
            _feed(h, value[name])
        h.update(b"}")
    elif isinstance(value, list):
        h.update(b"[")
        for item in value:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(value, str):
        data = value.encode("utf-8")
        h.update(b"s%d:" % len(data))
        h.update(data)
    elif value is True or value is False or value is None:
        h.update(b"T" if value else b"F" if value is False else b"N")
    else:  # an int; a float (never in a validated config) hashes to what no seal holds
        h.update(b"n%r;" % value)


def digest(cfg):
    """The seal of a config (a dict): 64 hex digits. Its own `sealed` key is left out."""
    h = sha256(RULES.encode())
    h.update(b"{")
    for name in sorted(cfg):
        if name != SEAL:
            _feed(h, name)
            _feed(h, cfg[name])
    h.update(b"}")
    return hexlify(h.digest()).decode()


def _sealed(path):
    """The config at path if its seal holds, else None (the validator will say why)."""
    import json
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(raw, dict) and raw.get(SEAL) == digest(raw):
        return raw
    return None


def _forget(package, names):
    for name in names:
        sys.modules.pop(package.__name__ + "." + name, None)
        if hasattr(package, name):  # an imported submodule is also an attribute of its package
            delattr(package, name)


def load_config(path="config.json"):
    """(config, 32-byte key). A sealed file is taken as it is (its `sealed` key kept: the
    config came from the seal); else validated, and the result has no `sealed` key. Raises
    suivant_fw.config.ConfigError, whose code the display shows; the validator is dropped from
    memory either way."""
    cfg = _sealed(path)
    if cfg is None:
        import suivant_fw
        from suivant_fw import config
        try:
            cfg = config.load(path)
        finally:
            del config  # the last reference, so gc.collect() below can free the module
            _forget(suivant_fw, _ONCE)
            gc.collect()
    return cfg, unhexlify(cfg["key"])


def write_sealed(path, cfg):
    """Write a validated cfg back to path with its seal (a temp file, then renamed), so that
    the next boot skips the validator. False if the flash refused (full, read-only): the
    next boot validates again, nothing else changes."""
    import json
    import os
    out = dict(cfg)
    out[SEAL] = digest(cfg)
    tmp = path + ".new"
    try:
        with open(tmp, "w") as f:
            json.dump(out, f)
        os.rename(tmp, path)
    except OSError:
        return False
    return True
