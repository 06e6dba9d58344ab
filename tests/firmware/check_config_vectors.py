"""Checks the device config validation against the frozen vectors; runs on CPython and on
MicroPython.

    python3 tests/firmware/check_config_vectors.py [path/to/config.json]
    micropython tests/firmware/check_config_vectors.py [path/to/config.json]

Without an argument (MicroPython's sys.argv may be empty) it reads the global VECTORS_PATH when a
harness defined it before exec, else vectors/config.json next to this script. suivant_fw is
imported from sys.path, with FIRMWARE_PATH (a global, like VECTORS_PATH) or ../../firmware
added at its end. Prints `config vectors: N passed, M failed`; exits 1 on any failure.
That plumbing is vector_check.py's, as for check_vectors.py.
"""
import vector_check
from vector_check import Failed, load
from vector_check import expect as _expect

VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/config.json")

from suivant_fw.config import ConfigError, redacted, validate

SECTIONS = ("valid", "invalid", "redacted")
_SECRETS = (("wifi", "password"), ("broker", "password"), ("key",))


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(value[k]) for k in value}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _parent(config, path, create):
    """(the object holding the last key of the dotted path, that key)."""
    names = path.split(".")
    obj = config
    for name in names[:-1]:
        if name not in obj and create:
            obj[name] = {}
        obj = obj[name]
    return obj, names[-1]


def config_of(vectors, case):
    """The case's config: `config`, or a copy of its base with `delete` then `set` applied."""
    if "base" not in case:
        return _copy(case["config"])
    config = _copy(vectors["bases"][case["base"]])
    for path in case.get("delete", ()):
        obj, name = _parent(config, path, False)
        del obj[name]
    sets = case.get("set", {})
    for path in sorted(sets):  # "wifi" before "wifi.password"
        obj, name = _parent(config, path, True)
        obj[name] = _copy(sets[path])
    return config


def _secrets(config):
    """The secret strings of a config, to look for in error texts."""
    out = []
    for path in _SECRETS:
        value = config
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        if isinstance(value, str) and len(value) >= 4:
            out.append(value)
    return out


def check_valid(vectors, case):
    got = validate(config_of(vectors, case))
    want = case["normalised"]
    _expect(got == want, "validate gave %r" % (got,))
    again = validate(_copy(want))
    _expect(again == want, "the normalised config did not validate to itself: %r" % (again,))


def check_invalid(vectors, case):
    config = config_of(vectors, case)
    try:
        got = validate(config)
    except ConfigError as e:
        where = "%s %r (%s)" % (e.code, e.key, e)
        _expect(e.code == case["code"] and e.key == case["key"],
                "expected %s %r, got %s" % (case["code"], case["key"], where))
        _expect(str(e).startswith(e.code), "the text does not start with the code: " + where)
        for secret in _secrets(config):
            _expect(secret not in str(e) and secret not in e.reason, "a secret in " + where)
        return
    raise Failed("expected ConfigError %s %r, got %r" % (case["code"], case["key"], got))


def check_redacted(vectors, case):
    got = redacted(case["config"])
    _expect(got == case["redacted"], "redacted gave %r" % (got,))


CHECKS = {"valid": check_valid, "invalid": check_invalid, "redacted": check_redacted}


def cases(vectors):
    """(section, case) for every vector, in file order."""
    return vector_check.cases(vectors, SECTIONS)


def check(vectors, section, case):
    """Raise Failed (or whatever validate raised) unless the vector holds."""
    CHECKS[section](vectors, case)


def run(vectors):
    """-> (passed, failed); prints each failure."""
    return vector_check.run(cases(vectors),
                            lambda section, case: check(vectors, section, case))


def main(path=None):
    vector_check.main("config", run, load, path, VECTORS_PATH)


if __name__ == "__main__":
    main()
