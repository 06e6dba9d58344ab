"""Running a vector checker (tests/firmware/check_*.py) under MicroPython, from the firmware's
sources or its .mpy files, laid out as in the repository; and reading its result line."""
from __future__ import annotations

import re
from pathlib import Path

from firmware_builds import firmware_as_mpy
from micropython_wasm import FIRMWARE, Result, run

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
FORMS = ("source", "mpy")


def run_checker(checker: Path, form: str, workdir: Path, vectors: str,
                global_name: str = "VECTORS_PATH", **extra_globals: str) -> Result:
    """`checker` at /tests/firmware/, the vectors at /tests/firmware/vectors/, firmware/ at
    /firmware from source or .mpy; `vectors` (a file or the folder, relative to the vectors
    folder, "" for the folder) is given both as argv[1] and as the global `global_name`."""
    firmware = FIRMWARE if form == "source" else firmware_as_mpy(workdir / "firmware")
    target = "/tests/firmware/vectors" + (f"/{vectors}" if vectors else "")
    return run(checker,
               files={"/firmware": firmware, "/tests/firmware/vectors": VECTORS,
                      "/tests/firmware/vector_check.py": HERE / "vector_check.py"},
               args=[target], globals={global_name: target, **extra_globals},
               sys_path=["/tests/firmware", "/firmware"], cwd="/")


def vector_counts(title: str, output: str) -> tuple[int, int]:
    """(passed, failed) from the one `<title> vectors: N passed, M failed` line."""
    found = re.findall(rf"^{re.escape(title)} vectors: (\d+) passed, (\d+) failed$", output,
                       re.MULTILINE)
    assert len(found) == 1, f"expected one '{title} vectors: N passed, M failed' line:\n{output}"
    passed, failed = map(int, found[0])
    return passed, failed
