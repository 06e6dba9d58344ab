"""Run Python code under real MicroPython (the webassembly port, driven by node).

    from micropython_wasm import run
    result = run(Path("tests/firmware/check_vectors.py"),
                 files={"/firmware": FIRMWARE, "/vectors": VECTORS},
                 args=["/vectors/protocol.json"])
    assert result.returncode == 0, result.output

- node and the pinned MicroPython package come from simulators/micropython_port.py (the
  simulator's REPL board uses them too); here a missing node or a failed install fails the
  test, loudly, with how to fix it.
- The script runs through `run_micropython.mjs`: see there for what the script sees
  (sys.argv, ARGS, extra globals, __file__, sys.path, asyncio.run).

Also a command line for developers (`--help`):

    .venv/bin/python tests/firmware/micropython_wasm.py some_script.py [args...]
    .venv/bin/python tests/firmware/micropython_wasm.py --repl
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulators import micropython_port as port
from simulators.micropython_port import (  # noqa: F401 - the harness's users import them here
    CACHE, PACKAGE, VERSION, WASM_DIR, Node, cache_lock)

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
RUNNER = Path(__file__).with_name("run_micropython.mjs")

def _fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


@functools.cache
def find_node() -> Node:
    """The node to use (the wheel's first), or fail the test with instructions."""
    try:
        return port.find_node()
    except port.PortUnavailable as e:
        _fail(str(e))
        raise AssertionError("unreachable") from None


@functools.cache
def ensure_micropython() -> Path:
    """Path of the pinned port's micropython.mjs, installing it first if needed."""
    try:
        return port.ensure_micropython()
    except port.PortUnavailable as e:
        _fail(str(e))
        raise AssertionError("unreachable") from None


# ---- running a script ----------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    stdout: str
    stderr: str
    returncode: int
    mem_alloc_before: int | None = None  # gc.mem_alloc() after gc.collect(), before the script
    mem_alloc_after: int | None = None   # the same once the script (and its tasks) finished
    mem_free_after: int | None = None

    @property
    def output(self) -> str:
        """Both streams, for assertion messages."""
        return f"exit status {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def _literal(value: object, what: str) -> str:
    """repr() of plain data, which MicroPython's eval() reads back identically."""
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise TypeError(f"{what} must be plain data (str, int, float, bool, None, list, "
                        f"tuple, dict), not {value!r}")
    return text


def _spec(script: str | os.PathLike[str], files: Mapping[str, str | os.PathLike[str]] | None,
          args: Sequence[str], globals: Mapping[str, object] | None,
          sys_path: Sequence[str] | None, script_target: str | None,
          heapsize: int | None, cwd: str | None) -> dict[str, object]:
    mounts = []
    for target, host in (files or {}).items():
        if not target.startswith("/"):
            raise ValueError(f"target paths are absolute in MicroPython's file system: {target!r}")
        host = Path(host).resolve()
        if not host.exists():
            raise FileNotFoundError(f"nothing to copy to {target}: {host} does not exist")
        mounts.append((target.rstrip("/") or "/", host))
    if isinstance(script, str):
        source, target = script, script_target or "/script.py"
    else:
        path = Path(script).resolve()
        source = path.read_text(encoding="utf-8")
        if script_target is None:  # mirror the repository's layout when the script is in it
            inside = path.is_relative_to(REPO)
            script_target = "/" + (path.relative_to(REPO).as_posix() if inside else path.name)
        target = script_target
    if sys_path is None:  # like CPython: the script's folder first; then every mounted folder
        sys_path = [target.rsplit("/", 1)[0] or "/"]
        sys_path += [t for t, host in mounts if host.is_dir() and t not in sys_path]
    return {
        "module": str(ensure_micropython()),
        "heapsize": heapsize,
        "files": [[t, str(host)] for t, host in mounts],
        "script": target,
        "source": source,
        "argv_py": _literal([target, *map(str, args)], "args"),
        "globals_py": _literal(dict(globals or {}), "globals"),
        "sys_path_py": _literal(list(sys_path), "sys_path"),
        "cwd": cwd,
    }


def run(script: str | os.PathLike[str],
        files: Mapping[str, str | os.PathLike[str]] | None = None,
        args: Sequence[str] = (), *,
        globals: Mapping[str, object] | None = None,
        sys_path: Sequence[str] | None = None,
        script_target: str | None = None,
        heapsize: int | None = None,
        cwd: str | None = None,
        timeout: float = 120.0) -> Result:
    """Run `script` under MicroPython and return what it printed and its exit status.

    script: a Path (the file is read) or a str (the source itself).
    files: MicroPython path -> host file or folder, copied in (recursively, without
      __pycache__) before the script runs. Nothing from the host is visible otherwise.
    args: sys.argv[1:], also given to the script as the global list ARGS.
    globals: extra globals for the script (plain data), e.g. {"VECTORS_PATH": "/v/p.json"}.
    sys_path: folders put in front of sys.path; by default the script's folder and every
      mounted folder.
    script_target: where the script is written (its __file__); by default its path relative
      to the repository, or /script.py for source text.
    heapsize: MicroPython's initial GC heap in bytes (default 1 MiB). Not a RAM cap: the port
      grows its heap on demand (gc.mem_free() says ~135 MB), so compare mem_alloc figures
      with the board's budget instead of waiting for a MemoryError.
    Exit status: 0, SystemExit's code, or 1 on an uncaught exception (traceback on stderr).
    """
    spec = _spec(script, files, args, globals, sys_path, script_target, heapsize, cwd)
    done, report = _launch(spec, capture=True, timeout=timeout)
    stdout, stderr = _text(done.stdout), _text(done.stderr)
    if report.get("status") == "runner-error":
        raise RuntimeError(f"run_micropython.mjs failed (exit {done.returncode}):\n"
                           f"--- stdout\n{stdout}--- stderr\n{stderr}")
    return Result(stdout=stdout, stderr=stderr, returncode=done.returncode,
                  mem_alloc_before=report.get("mem_alloc_before"),
                  mem_alloc_after=report.get("mem_alloc_after"),
                  mem_free_after=report.get("mem_free_after"))


def _launch(spec: dict[str, object], capture: bool, timeout: float | None
            ) -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    """node run_micropython.mjs on `spec`; (the process, the runner's report)."""
    node = find_node()
    with tempfile.TemporaryDirectory(prefix="micropython-run-") as tmp:
        spec["report"] = report_path = os.path.join(tmp, "report.json")
        spec_path = os.path.join(tmp, "spec.json")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(spec, f)
        command = [str(node.node), str(RUNNER), spec_path]
        try:
            if capture:
                done = subprocess.run(command, check=False, capture_output=True,
                                      stdin=subprocess.DEVNULL,
                                      timeout=timeout)
            else:  # the terminal's own stdin/stdout/stderr: for people
                done = subprocess.run(command, check=False, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            finished = _report(report_path)
            if finished is None:
                raise TimeoutError(f"MicroPython did not finish in {timeout} s.\n--- stdout\n"
                                   f"{_text(e.stdout)}--- stderr\n{_text(e.stderr)}") from None
            # The runner wrote its report (the script had ended) and only node's own exit hung:
            # seen about once in six full runs. The run's outcome is complete: take it.
            done = subprocess.CompletedProcess(command, int(finished.get("exit") or 0) & 0xFF,
                                               e.stdout or b"", e.stderr or b"")
        report = _report(report_path) or {"status": "runner-error"}
    return done, report


def _report(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def memory_after(script: str | os.PathLike[str],
                 files: Mapping[str, str | os.PathLike[str]] | None = None,
                 args: Sequence[str] = (), **options: Any) -> int:
    """gc.mem_alloc() (after gc.collect()) once `script` has run, e.g. a boot on the
    simulator's HAL. Fails the test when the script fails. For the figure before the script
    and mem_free, use run()'s Result."""
    result = run(script, files, args, **options)
    if result.returncode != 0 or result.mem_alloc_after is None:
        pytest.fail(f"the script failed under MicroPython:\n{result.output}", pytrace=False)
    return result.mem_alloc_after


# ---- command line --------------------------------------------------------------------------

def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="micropython_wasm.py",
        description=f"Run a script (or a REPL) under MicroPython {VERSION} (webassembly port), "
                    "with firmware/ copied to /firmware and on sys.path.")
    parser.add_argument("--mount", action="append", default=[], metavar="TARGET=HOST",
                        help="also copy HOST (file or folder) to TARGET in MicroPython's FS")
    parser.add_argument("--heapsize", type=int, help="initial GC heap in bytes (default 1 MiB; it grows on demand)")
    parser.add_argument("--mem", action="store_true",
                        help="print gc.mem_alloc() before/after the script to stderr")
    parser.add_argument("--repl", action="store_true", help="interactive REPL (Ctrl-D leaves)")
    parser.add_argument("script", nargs="?", type=Path)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    files: dict[str, str | os.PathLike[str]] = {"/firmware": FIRMWARE}
    for item in opts.mount:
        target, sep, host = item.partition("=")
        if not sep:
            parser.error(f"--mount wants TARGET=HOST, not {item!r}")
        files[target] = host
    if opts.repl:
        spec = _spec("", files, (), None, None, "/repl.py", opts.heapsize, None)
        spec["repl"] = True
    elif opts.script is None:
        parser.error("give a script, or --repl")
    else:
        spec = _spec(opts.script, files, opts.args, None, None, None, opts.heapsize, None)
    done, report = _launch(spec, capture=False, timeout=None)
    if opts.mem and not opts.repl:
        print(f"gc.mem_alloc(): {report.get('mem_alloc_before')} before the script, "
              f"{report.get('mem_alloc_after')} after; gc.mem_free() after: "
              f"{report.get('mem_free_after')}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    try:
        sys.exit(_main())
    except pytest.fail.Exception as e:  # find_node / ensure_micropython outside pytest
        sys.exit(str(e))
