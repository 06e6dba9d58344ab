"""What the vector checkers (check_*.py beside this file) share; runs on CPython and on MicroPython.

A checker starts with

    import vector_check
    VECTORS_PATH = vector_check.setup(globals(), "VECTORS_PATH", "vectors/protocol.json")

which gives the vectors' default location: the checker's global of that name when a harness
defined it before exec, else the path relative to the checker's folder. It also appends to
sys.path the checker's global FIRMWARE_PATH, or ../../firmware from its folder, so suivant_fw
imports. Then run() checks every vector and main() prints `<title> vectors: N passed,
M failed`, exiting 1 on any failure (or when nothing passed).

MicroPython: no typing, %-formatting only, no os.path (hence _dirname); this module is found on
sys.path like any other, so a harness puts it next to the checker and that folder on sys.path.
"""
import json
import sys


class Failed(Exception):
    pass


def expect(ok, what):
    if not ok:
        raise Failed(what)


def _dirname(path):
    i = path.rfind("/")
    return "." if i < 0 else (path[:i] or "/")


def setup(checker_globals, name, default):
    """-> checker_globals[name], or `default` relative to the checker's folder ("." when it
    was exec'd without a file name); puts the firmware folder at the end of sys.path."""
    file = checker_globals.get("__file__")
    here = "." if file is None else _dirname(file)
    firmware = checker_globals.get("FIRMWARE_PATH")
    if firmware is None:
        firmware = here + "/../../firmware"
    if firmware not in sys.path:
        sys.path.append(firmware)
    path = checker_globals.get(name)
    return here + "/" + default if path is None else path


def load(path):
    with open(path) as f:
        return json.load(f)


def cases(vectors, sections):
    """(section, case) for every vector of those sections, in file order."""
    for section in sections:
        for case in vectors[section]:
            yield section, case


def _section_name(section, case):
    return "%s/%s" % (section, case["name"])


def run(items, check, label=_section_name):
    """check(*item) for every item -> (passed, failed). Every failure (any exception) is
    printed as `FAIL <label(*item)>: <type>: <text>`, and the next vector runs."""
    passed = failed = 0
    for item in items:
        try:
            check(*item)
            passed += 1
        except Exception as e:  # report every vector, not only the first failure
            failed += 1
            print("FAIL %s: %s: %s" % (label(*item), type(e).__name__, e))
    return passed, failed


def main(title, run_vectors, load_vectors, path, default):
    """run_vectors(load_vectors(path)) -> (passed, failed), reported. path None: sys.argv[1]
    when given (MicroPython's sys.argv may be empty), else default. Exits 1 on any failure,
    or when nothing passed."""
    argv = getattr(sys, "argv", None) or []
    if path is None:
        path = argv[1] if len(argv) > 1 else default
    passed, failed = run_vectors(load_vectors(path))
    print("%s vectors: %d passed, %d failed" % (title, passed, failed))
    if failed or not passed:
        raise SystemExit(1)
